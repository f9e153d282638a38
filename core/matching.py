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
from collections.abc import Iterable
from dataclasses import dataclass, field

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
    # The workspace of the offer (another of the organisation's than the protégé's, maybe).
    team_id: str = ""

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
    """Who may be offered at all: the one filter `rank` applies."""
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


def _tenure_part(years: int | None, fit: float) -> float:
    # Tenure counts fully only when the role fits: ten years in an unrelated job do not outrank two in the right one.
    return tenure(years) * (0.25 + 0.75 * fit)


def _spread(mentor: Mentor) -> float:
    return 1.0 / (1.0 + mentor.load + 0.5 * mentor.on_offer)


class _Scorer:
    """The score for one request. Parts shared by mentors of one role and tenure, or of one time
    zone, are worked out once: `rank` scores every volunteer in the topic."""

    def __init__(self, request: Request):
        self.request = request
        self.wanted = wanted_roles(request)
        self._fits: dict[str | None, float] = {}
        self._roles: dict[tuple[str | None, int | None], float] = {}
        self._hours: dict[int, float] = {}

    def fit(self, role: str | None) -> float:
        fit = self._fits.get(role)
        if fit is None:
            held = _role_words(role)
            fit = self._fits[role] = max((role_fit(w, held) for w in self.wanted), default=0.0)
        return fit

    def total(self, mentor: Mentor) -> float:
        """The weighted sum of the parts, rounded (ties then go by mentor id)."""
        key = (mentor.role, mentor.years)
        role = self._roles.get(key)
        if role is None:
            fit = self.fit(mentor.role)
            role = self._roles[key] = WEIGHTS["role"] * fit + WEIGHTS["tenure"] * _tenure_part(mentor.years, fit)
        hours = self._hours.get(mentor.tz_offset)
        if hours is None:
            hours = self._hours[mentor.tz_offset] = WEIGHTS["hours"] * hours_overlap(
                self.request.tz_offset, mentor.tz_offset
            )
        return round(role + hours + WEIGHTS["spread"] * _spread(mentor), 6)

    def candidate(self, mentor: Mentor) -> Candidate:
        fit = self.fit(mentor.role)
        why = {
            "role": fit,
            "tenure": _tenure_part(mentor.years, fit),
            "hours": hours_overlap(self.request.tz_offset, mentor.tz_offset),
            "spread": _spread(mentor),
        }
        return Candidate(mentor.user_id, self.total(mentor), reason(mentor), why)


def score(request: Request, mentor: Mentor) -> Candidate:
    """One mentor's score for a request, with its parts (`why`) and the reason the protégé reads."""
    return _Scorer(request).candidate(mentor)


def rank(request: Request, mentors: Iterable[Mentor], k: int = CANDIDATES) -> list[Candidate]:
    """The best `k` eligible mentors for `request`, best first (ties: the mentor id, so the
    order never depends on how the database returned rows). The one rule, which core.mentoring
    offers by: `eligible`, then the score; reasons are written for the winners alone."""
    mentors = list(mentors)
    scorer = _Scorer(request)
    scored = [(-scorer.total(m), m.user_id, i) for i, m in enumerate(mentors) if eligible(request, m)]
    return [scorer.candidate(mentors[i]) for _, _, i in heapq.nsmallest(k, scored)]


@functools.lru_cache(maxsize=4096)
def _role_words(role: str | None) -> frozenset[str]:
    return role_words(role)
