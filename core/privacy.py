"""Which counts a channel may show exactly. The threshold (KNOWHOW_PRIVACY_THRESHOLD, default 3)
keeps a small group of *people* from being singled out; it has no reason to hide activity.

The rule, for every surface that shows counts (the weekly post, `/mentor scoreboard`, App Home,
the picture, calls for volunteers):

- A count of people in a sensitive group (`PEOPLE`: people looking for a mentor, volunteers with
  a place free, protégés in an active or a completed mentorship, protégés who became mentors;
  overall or in one topic) from 1 to threshold - 1 reads "fewer than N", with no change shown.
- Every other count is of activity (`ACTIVITY`: questions asked, answered, resolved, answered
  within a day or by an earlier answer; lessons saved from conversations; expert sessions held, their questions handled, deferrals
  kept or overdue; and the times, such as the median wait for a first answer): shown as it is.
- Zero is shown as zero: nobody in a group singles nobody out.

A topic's count that would give one of the hidden counts away (taken from a shown total) is left
out as well: core.scoreboard.complementary. Names are the scoreboard's: (group, count).
"""

from __future__ import annotations

DEFAULT_THRESHOLD = 3

PEOPLE: dict[tuple[str, str], str] = {
    ("mentoring", "seeking"): "people looking for a mentor",
    ("mentoring", "volunteers"): "volunteers with a place free",
    ("mentoring", "active"): "protégés in an active mentorship (one per pair)",
    ("mentoring", "completed"): "protégés whose mentorship completed",
    ("mentoring", "protege_to_mentor_total"): "protégés who went on to mentor",
    ("mentoring", "protege_to_mentor_week"): "protégés who went on to mentor this week",
}

ACTIVITY: dict[tuple[str, str], str] = {
    ("questions", "asked"): "questions asked",
    ("questions", "answered"): "questions answered",
    ("questions", "resolved"): "questions resolved",
    ("questions", "answered_within_day"): "questions answered within a day",
    ("questions", "deflected"): "questions an earlier answer settled",
    ("help", "deflected"): "questions in help channels answered from earlier lessons",
    ("sessions", "held"): "expert sessions held",
    ("sessions", "questions"): "questions in expert sessions",
    ("sessions", "handled"): "session questions answered or deferred",
    ("sessions", "deferrals_kept"): "deferred answers given on time",
    ("sessions", "deferrals_overdue"): "deferred answers overdue",
    # Threads saved as lessons (core.saving), overall and per topic: activity, not people.
    ("lessons", "saved"): "lessons saved from conversations",
}


def of_people(group: str, key: str) -> bool:
    """Whether (group, key) counts people in a sensitive group. A count neither list names is
    treated as one of people, so a new count is hidden until someone decides otherwise."""
    return (group, key) not in ACTIVITY


def is_exact(count: int, *, people: bool, threshold: int = DEFAULT_THRESHOLD) -> bool:
    """Whether `count` may be shown as it is."""
    return not people or count == 0 or count >= threshold


def count_text(count: int, *, people: bool, threshold: int = DEFAULT_THRESHOLD) -> str:
    """ "7", "0", or "fewer than 3" for a count of people from 1 to 2."""
    return f"{count:,}" if is_exact(count, people=people, threshold=threshold) else f"fewer than {threshold}"


def hidden_range(threshold: int = DEFAULT_THRESHOLD) -> str | None:
    """The counts of people that read "fewer than N": "1 or 2" (None: a threshold of 1 hides none)."""
    if threshold <= 1:
        return None
    if threshold == 2:
        return "1"
    return f"1 or {threshold - 1}" if threshold == 3 else f"1 to {threshold - 1}"
