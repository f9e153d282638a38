"""Who could mentor whom: the Mentor Center's ranking, in plain Python (no database, no Slack).

A mentor is eligible for a request when they offer its topic, are not the protégé, have room
left (capacity minus mentorships running or proposed), are not paused, and have not already
worked with this protégé in this topic, nor declined or let lapse this very request. Among the
eligible, the score adds up, each part between 0 and 1:

- role (weight 0.45): how much of the wanted role the mentor's role holds ("Engineering Manager"
  holds all of "Senior Engineering Manager" once seniority words are set aside). The wanted role is
  the protégé's own, the one they are moving into, or, by default, whichever fits better;
- tenure (0.25): years in the role, two or more scoring best; it counts fully only when the role
  fits, so ten years in an unrelated job do not outrank two in the right one;
- working hours (0.15): how much of a 09:00-17:00 day the two share, from their UTC offsets.
  Any location is allowed unless the protégé asked for their own;
- spread (0.15): how free the mentor is (running and proposed mentorships, and how often they
  are already on offer to others), so a few popular mentors are not swamped.

Every candidate comes with its parts (`why`) and a one-line reason for the protégé.
"""

from __future__ import annotations

import functools
import heapq
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

WEIGHTS = {"role": 0.45, "tenure": 0.25, "hours": 0.15, "spread": 0.15}
CANDIDATES = 3
FULL_TENURE_YEARS = 2
WORKDAY_HOURS = 8
UNKNOWN_TENURE = 0.25  # no years given: neither trusted nor ruled out
# Words that say how senior, not what the role is.
SENIORITY = frozenset(
    [
        "senior",
        "sr",
        "junior",
        "jr",
        "associate",
        "assistant",
        "principal",
        "staff",
        "lead",
        "chief",
        "head",
        "new",
        "newly",
        "first",
        "i",
        "ii",
        "iii",
        "iv",
    ]
)
# Words that join a title's parts: "Head of Sales" and "Head of Engineering" share only "of".
FILLER = frozenset(["of", "and", "the", "for", "in", "at", "to", "on", "with"])
_WORD = re.compile(r"[^\W_]+")


def role_words(role: str | None) -> frozenset[str]:
    words = [w for w in _WORD.findall((role or "").casefold()) if w not in FILLER]
    return frozenset(w for w in words if w not in SENIORITY) or frozenset(words)


def role_fit(wanted: frozenset[str], held: frozenset[str]) -> float:
    """1.0 when the mentor's role names everything the wanted role does; partial overlaps score
    by the share of the larger of the two ("Manager" for "Engineering Manager" is 0.5)."""
    if not wanted or not held:
        return 0.0
    return len(wanted & held) / max(len(wanted), len(held))


def hours_overlap(offset_a: int, offset_b: int) -> float:
    """The share of a working day two people have in common, from their UTC offsets (seconds)."""
    apart = abs(offset_a - offset_b) / 3600 % 24
    apart = min(apart, 24 - apart)
    return max(0.0, WORKDAY_HOURS - apart) / WORKDAY_HOURS


def tenure(years: int | None) -> float:
    if years is None:
        return UNKNOWN_TENURE
    return min(max(years, 0), FULL_TENURE_YEARS) / FULL_TENURE_YEARS


def same_place(a: str | None, b: str | None) -> bool:
    return bool(a and b) and " ".join(a.casefold().split()) == " ".join(b.casefold().split())


@dataclass(frozen=True)
class Mentor:
    user_id: str
    topics: frozenset[int]
    capacity: int = 1
    # Mentorships running or proposed: each takes a place.
    load: int = 0
    # Requests this mentor is currently on offer to (shown, not yet chosen).
    on_offer: int = 0
    role: str | None = None
    years: int | None = None
    location: str | None = None
    tz_offset: int = 0
    paused: bool = False

    @property
    def room(self) -> int:
        return 0 if self.paused else max(self.capacity - self.load, 0)


@dataclass(frozen=True)
class Request:
    protege_id: str
    topic_id: int
    role: str | None = None
    target_role: str | None = None
    role_pref: str = "any"  # any | mine | target
    location: str | None = None
    location_pref: str = "any"  # any | same
    tz_offset: int = 0
    # Mentors never to offer: declined or lapsed for this request, or already worked with the
    # protégé in this topic.
    excluded: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Candidate:
    mentor_id: str
    score: float
    reason: str
    why: dict[str, float] = field(default_factory=dict)


def wanted_roles(request: Request) -> list[frozenset[str]]:
    mine, target = role_words(request.role), role_words(request.target_role)
    if request.role_pref == "mine":
        return [mine]
    if request.role_pref == "target":
        return [target or mine]
    return [w for w in (mine, target) if w]


def eligible(request: Request, mentor: Mentor) -> bool:
    return (
        request.topic_id in mentor.topics
        and mentor.user_id != request.protege_id
        and mentor.user_id not in request.excluded
        and mentor.room > 0
        and (request.location_pref != "same" or not request.location or same_place(request.location, mentor.location))
    )


def reason(mentor: Mentor) -> str:
    """ "Engineering Manager for 3 years, London": what the protégé reads about a candidate."""
    role = mentor.role or "Role not given"
    if mentor.years is not None:
        role += (
            " for less than a year"
            if mentor.years < 1
            else f" for {mentor.years} year{'s' if mentor.years != 1 else ''}"
        )
    return f"{role}, {mentor.location}" if mentor.location else role


def score(
    request: Request, mentor: Mentor, wanted: list[frozenset[str]] | None = None, held: frozenset[str] | None = None
) -> Candidate:
    wanted = wanted_roles(request) if wanted is None else wanted
    held = role_words(mentor.role) if held is None else held
    fit = max((role_fit(w, held) for w in wanted), default=0.0)
    years = tenure(mentor.years)
    why = {
        "role": fit,
        "tenure": years * (0.25 + 0.75 * fit),
        "hours": hours_overlap(request.tz_offset, mentor.tz_offset),
        "spread": 1.0 / (1.0 + mentor.load + 0.5 * mentor.on_offer),
    }
    total = sum(WEIGHTS[k] * v for k, v in why.items())
    return Candidate(mentor.user_id, round(total, 6), reason(mentor), why)


def rank(request: Request, mentors: Iterable[Mentor], k: int = CANDIDATES) -> list[Candidate]:
    """The best `k` eligible mentors for `request`, best first (ties: the mentor id, so the
    order never depends on how the database returned rows)."""
    mentors = list(mentors)
    best = _best(request, mentors, k, [m.load for m in mentors], [m.on_offer for m in mentors])
    return [score(request, mentors[i]) for i in best]


def _best(
    request: Request,
    mentors: list[Mentor],
    k: int,
    load: list[int],
    on_offer: list[int],
    skip: set[int] | frozenset[int] = frozenset(),
) -> list[int]:
    """The positions in `mentors` of the best `k` eligible for `request`, best first, given each
    mentor's current load and times on offer (`load[i]`, `on_offer[i]`), leaving out positions in
    `skip`. The same eligibility and the same score, to the last bit, as `eligible` and `score`:
    only the per-mentor work is cut (parts shared by mentors of one role or one time zone are
    worked out once per request, and reasons are written for the winners alone), because the
    batch scores every volunteer in the topic for every request."""
    wanted = wanted_roles(request)
    topic, protege, excluded = request.topic_id, request.protege_id, request.excluded
    place = request.location if request.location_pref == "same" and request.location else None
    fits: dict[str | None, float] = {}
    # Worked out once per request: role and tenure by (role, years), working hours by UTC offset.
    parts: dict[tuple[str | None, int | None], float] = {}
    overlaps: dict[int, float] = {}
    w_role, w_tenure, w_hours, w_spread = WEIGHTS["role"], WEIGHTS["tenure"], WEIGHTS["hours"], WEIGHTS["spread"]
    scored = []
    for i, m in enumerate(mentors):
        if (
            m.paused
            or m.capacity - load[i] <= 0
            or topic not in m.topics
            or m.user_id == protege
            or m.user_id in excluded
            or i in skip
            or (place is not None and not same_place(place, m.location))
        ):
            continue
        key = (m.role, m.years)
        part = parts.get(key)
        if part is None:
            fit = fits.get(m.role)
            if fit is None:
                held = _role_words(m.role)
                fit = fits[m.role] = max((role_fit(w, held) for w in wanted), default=0.0)
            part = parts[key] = w_role * fit + w_tenure * (tenure(m.years) * (0.25 + 0.75 * fit))
        hours = overlaps.get(m.tz_offset)
        if hours is None:
            hours = overlaps[m.tz_offset] = w_hours * hours_overlap(request.tz_offset, m.tz_offset)
        # As in `score`: the same parts added in the same order, so the totals are the same floats.
        total = part + hours + w_spread * (1.0 / (1.0 + load[i] + 0.5 * on_offer[i]))
        scored.append((-round(total, 6), m.user_id, i))
    return [i for _, _, i in heapq.nsmallest(k, scored)]


@functools.lru_cache(maxsize=4096)
def _role_words(role: str | None) -> frozenset[str]:
    return role_words(role)


@dataclass
class Assignment:
    request: Request
    candidates: list[Candidate]
    # The mentor taken for this request (the best candidate with room at its turn), or None.
    mentor_id: str | None


def match_all(requests: list[Request], mentors: list[Mentor], k: int = CANDIDATES) -> list[Assignment]:
    """Every open request against every volunteer, oldest request first: each gets its `k`
    candidates and provisionally its best one, whose room goes down by one. Later requests see
    the mentors already taken and shown, so demand is spread. The batch behind the benchmark,
    and the property tests' model of what the one-by-one flow guarantees."""
    by_topic: dict[int, list[int]] = defaultdict(list)
    for i, m in enumerate(mentors):
        for t in m.topics:
            by_topic[t].append(i)
    # Running state, by position in `mentors`: places taken and times shown in this batch.
    load = [m.load for m in mentors]
    on_offer = [m.on_offer for m in mentors]
    # Which mentors each protégé is paired with in each topic within this batch: never twice.
    paired: dict[tuple[str, int], set[str]] = defaultdict(set)
    out: list[Assignment] = []
    for request in requests:
        where = by_topic.get(request.topic_id, [])
        pool = [mentors[i] for i in where]
        taken = paired.get((request.protege_id, request.topic_id), ())
        skip = {j for j, m in enumerate(pool) if m.user_id in taken} if taken else frozenset()
        best = _best(request, pool, k, [load[i] for i in where], [on_offer[i] for i in where], skip)
        best = [where[j] for j in best]
        candidates = [score(request, replace(mentors[i], load=load[i], on_offer=on_offer[i])) for i in best]
        chosen = best[0] if best else None
        for i in best:
            on_offer[i] += 1
        if chosen is not None:
            load[chosen] += 1
            paired[(request.protege_id, request.topic_id)].add(mentors[chosen].user_id)
        out.append(Assignment(request, candidates, mentors[chosen].user_id if chosen is not None else None))
    return out
