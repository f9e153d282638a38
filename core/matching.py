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
    "senior sr junior jr associate assistant principal staff lead chief head new newly first i ii iii iv".split()
)
# Words that join a title's parts: "Head of Sales" and "Head of Engineering" share only "of".
FILLER = frozenset("of and the for in at to on with".split())
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
    """"Engineering Manager for 3 years, London": what the protégé reads about a candidate."""
    role = mentor.role or "Role not given"
    if mentor.years is not None:
        role += " for less than a year" if mentor.years < 1 else f" for {mentor.years} year{'s' if mentor.years != 1 else ''}"
    return f"{role}, {mentor.location}" if mentor.location else role


def score(request: Request, mentor: Mentor, wanted: list[frozenset[str]] | None = None, held: frozenset[str] | None = None) -> Candidate:
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
    wanted = wanted_roles(request)
    scored = (score(request, m, wanted) for m in mentors if eligible(request, m))
    return heapq.nsmallest(k, scored, key=lambda c: (-c.score, c.mentor_id))


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
    by_topic: dict[int, list[Mentor]] = defaultdict(list)
    for m in mentors:
        for t in m.topics:
            by_topic[t].append(m)
    state = {m.user_id: m for m in mentors}
    held_words = {m.user_id: role_words(m.role) for m in mentors}
    # Which mentors each protégé is paired with in each topic within this batch: never twice.
    paired: set[tuple[str, str, int]] = set()
    out: list[Assignment] = []
    for request in requests:
        wanted = wanted_roles(request)
        pool = (state[m.user_id] for m in by_topic.get(request.topic_id, ()))
        scored = (
            score(request, m, wanted, held_words[m.user_id])
            for m in pool
            if eligible(request, m) and (request.protege_id, m.user_id, request.topic_id) not in paired
        )
        best = heapq.nsmallest(k, scored, key=lambda c: (-c.score, c.mentor_id))
        chosen = best[0].mentor_id if best else None
        for c in best:
            m = state[c.mentor_id]
            state[c.mentor_id] = replace(m, on_offer=m.on_offer + 1, load=m.load + (c.mentor_id == chosen))
        if chosen is not None:
            paired.add((request.protege_id, chosen, request.topic_id))
        out.append(Assignment(request, best, chosen))
    return out

