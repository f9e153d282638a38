"""How long Knowhow keeps what it no longer needs, per workspace, and the sweep that deletes it.

Three things, each with a default chosen on purpose, a minimum, and whether "forever" is offered
(`/mentor retention` shows them to anyone and lets admins change them; README "Retention"):

- **mentoring**: ended mentorships (completed, stopped, and proposals declined, expired or
  withdrawn) with their dates, check-in answers, ratings and words, counted from when they
  ended; and then the finished request behind them (its goal and preferences, the candidates
  offered). 365 days by default: a year lets both people look back at the pairing in their App
  Home and keeps the matching from pairing the same two again in that topic, which is what the
  records are for; after that they serve nobody. At least 30 days: a late "How did it go?" still
  finds its mentorship, and the weekly scoreboard has long counted it. Forever may be chosen.
- **unposted**: questions that were never posted (`UNPOSTED`: held for the asker's choice or expired,
  cancelled, failed to post, or settled by an earlier answer), counted from when they were asked. 30 days by
  default: nobody but the asker ever saw them, and a choice not made in a month will not be.
  At least 14 days: the weekly scoreboard (which counts questions an earlier answer settled)
  has computed their week before they can go. Forever may be chosen. Posted questions and their
  answers are the organisation's knowledge and are never deleted by retention.
  The same period covers Knowhow's record of each help-channel message it acted on (`help_thread`:
  no text, but who asked, what was suggested and what they chose), counted from the last thing
  that happened to it (asked, answered from a lesson, *not quite*, offered to be saved): these
  are questions that were never posted either, and a deflection counts on the scoreboard in the
  week of the click, which the 14-day minimum lets be computed first. Once it is gone, a message
  that old is not considered again (Slack does not send it again) and a checkmark on its thread
  may offer saving it once more. And the outbox's dead letters (messages Knowhow gave up
  delivering: an admin sees them with `/expert outbox` and may retry them), counted from when they
  failed: a month is long enough to notice and retry one, and a question's failed post goes with
  the question.
- **sent**: the outbox's delivered rows, counted from when they were sent. 7 days by default
  (as before this setting existed): an operator can see what went out over the last week, and
  a message is never queued twice while its row is kept. At least 2 days: Knowhow looks for a
  message it already sent up to a day back (notify.mentoring.UNSENT_WITHIN). At most 90 days,
  and never forever: the outbox is a work queue, not a record.

The scoreboard: each week's figures are computed once, when the week ends, and stored
(`scoreboard_week`); its history and trends read those snapshots, never the rows. So deleting a
row after its week was computed changes no figure already posted. The minimums above keep every
row until its week has been computed. (A Knowhow stopped for longer than a minimum computes the
missed weeks when it is back, without what was deleted meanwhile: that drop is accepted.)
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session

from core.mentoring.shared import MentorshipState, RequestState
from storage import retention as store
from storage import workspaces
from storage.models import Workspace

DAY = timedelta(days=1)
FOREVER = 0  # as stored
# What the sweep deletes in one statement: a batch is one short transaction.
BATCH = 500

# Never posted: held (earlier answers were suggested, or it was very short or long), withdrawn
# (cancelled), deflected (an earlier answer settled it), expired (held a week with no choice),
# failed (Slack refused its post for good: the asker was told). Pending ones are not here.
UNPOSTED = ("held", "withdrawn", "deflected", "expired", "failed")
ENDED = (
    MentorshipState.COMPLETED,
    MentorshipState.STOPPED,
    MentorshipState.DECLINED,
    MentorshipState.EXPIRED,
    MentorshipState.WITHDRAWN,
)
FINISHED_REQUEST = (RequestState.MATCHED, RequestState.WITHDRAWN)


class Kind(enum.StrEnum):
    MENTORING = "mentoring"
    UNPOSTED = "unposted"
    SENT = "sent"


@dataclass(frozen=True)
class Rule:
    kind: Kind
    word: str  # what an admin types: `/mentor retention <word> <days>`
    what: str  # what is deleted, for people
    since: str  # from when the time is counted
    default: int
    minimum: int
    maximum: int
    forever: bool  # may it be kept forever?


RULES: dict[Kind, Rule] = {
    rule.kind: rule
    for rule in (
        Rule(
            Kind.MENTORING,
            "mentoring",
            "Ended mentorships and finished requests for a mentor (goals, check-in answers, ratings)",
            "after they ended",
            default=365,
            minimum=30,
            maximum=3650,
            forever=True,
        ),
        Rule(
            Kind.UNPOSTED,
            "questions",
            "Questions that were never posted (held, cancelled, failed, or settled by an earlier answer), "
            "messages Knowhow gave up delivering, and its notes on the help-channel messages it acted on (no text)",
            "after they were asked, failed or were last acted on",
            default=30,
            minimum=14,
            maximum=3650,
            forever=True,
        ),
        Rule(
            Kind.SENT,
            "sent",
            "Knowhow's record of the messages it delivered",
            "after they were sent",
            default=7,
            minimum=2,
            maximum=90,
            forever=False,
        ),
    )
}
BY_WORD = {rule.word: rule for rule in RULES.values()}


class RetentionError(ValueError):
    """A value an admin must change; the message says how."""


@dataclass(frozen=True)
class Kept:
    """How long one kind is kept in a workspace: `days`, or None for forever; `chosen`: an admin
    set it (else it is the default)."""

    rule: Rule
    days: int | None
    chosen: bool

    def describe(self) -> str:
        if self.days is None:
            return "kept forever"
        return f"deleted {days(self.days)} {self.rule.since}"


def days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def _kept(rule: Rule, stored: int | None) -> Kept:
    if stored is None:
        return Kept(rule, rule.default, False)
    return Kept(rule, None if stored == FOREVER else stored, True)


def retention(session: Session, *, team_id: str) -> list[Kept]:
    """The workspace's three periods, in RULES's order."""
    stored = store.chosen(session, team_id=team_id)
    return [_kept(rule, stored[rule.kind.value]) for rule in RULES.values()]


DEFAULT = "default"
_DAYS = re.compile(r"^(\d{1,6})\s*(?:d|days?)?$")


def parse(rule: Rule, value: str) -> int | str | None:
    """What an admin typed for `rule`: a number of days, None for forever, or DEFAULT."""
    value = value.strip().lower()
    if value == DEFAULT:
        return DEFAULT
    if value in ("forever", "never"):
        if not rule.forever:
            raise RetentionError(
                f"{rule.what} cannot be kept forever: choose from {rule.minimum} to {rule.maximum} days."
            )
        return None
    match = _DAYS.match(value)
    if not match:
        also = ", `forever`" if rule.forever else ""
        raise RetentionError(f"Say a number of days, for example `{rule.default}`{also} or `default`.")
    n = int(match.group(1))
    if n < rule.minimum:
        raise RetentionError(
            f"{rule.what} are kept at least {days(rule.minimum)}, so that nothing still needed is deleted. "
            f"Choose {rule.minimum} days or more."
        )
    if n > rule.maximum:
        also = " or `forever`" if rule.forever else ""
        raise RetentionError(f"Choose at most {rule.maximum} days{also}.")
    return n


def set_retention(session: Session, *, team_id: str, rule: Rule, value: int | str | None) -> tuple[Kept, bool]:
    """Store a workspace's choice (as `parse` returned it). The period after, and whether it changed."""
    before = next(k for k in retention(session, team_id=team_id) if k.rule is rule)
    stored = None if value == DEFAULT else FOREVER if value is None else int(value)
    workspaces.seen(session, team_id=team_id)
    column = store.SETTINGS[rule.kind.value]
    session.execute(update(Workspace).where(Workspace.team_id == team_id).values({column.key: stored}))
    after = _kept(rule, stored)
    return after, (after.days, after.chosen) != (before.days, before.chosen)


@dataclass
class Swept:
    """What one pass deleted; `more`: some batch was full, so a next pass may find more."""

    mentorships: int = 0
    requests: int = 0
    questions: int = 0
    help_threads: int = 0
    dead_letters: int = 0
    sent: int = 0
    more: bool = False

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self) if f.type in (int, "int"))

    def add(self, other: Swept) -> None:
        """Count `other`'s deletions in these (a series of passes)."""
        for f in fields(self):
            if f.type in (int, "int"):
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def _groups(session: Session, rule: Rule) -> list[tuple[store.Teams, int]]:
    """The groups of workspaces that keep `rule`'s kind for the same number of days: each set of
    workspaces that chose a period, then every other workspace, with the default. Forever: none."""
    chosen = store.choices(session, rule.kind.value)
    by_days: dict[int, list[str]] = {}
    for team_id, n in chosen.items():
        if n != FOREVER:
            by_days.setdefault(n, []).append(team_id)
    groups = [(store.Teams(only=tuple(sorted(teams))), n) for n, teams in sorted(by_days.items())]
    groups.append((store.Teams(but=tuple(sorted(chosen))), rule.default))
    return groups


def sweep(session: Session, *, now: datetime, batch: int = BATCH) -> Swept:
    """One pass: delete, per workspace, up to `batch` rows of each kind that are past the period
    the workspace keeps them (idempotent: what is left is within its time). Run it again while
    `more` is true (each pass in a transaction of its own: scheduler.jobs.housekeeping)."""
    swept = Swept()
    more = False
    for teams, n in _groups(session, RULES[Kind.MENTORING]):
        before = now - n * DAY
        # The mentorships first: a request goes once no mentorship of it is left.
        done = store.delete_ended_mentorships(session, teams=teams, states=ENDED, before=before, limit=batch)
        swept.mentorships += done.count
        finished = store.delete_finished_requests(
            session, teams=teams, states=FINISHED_REQUEST, before=before, limit=batch
        )
        swept.requests += finished.count
        more |= done.more or finished.more
    for teams, n in _groups(session, RULES[Kind.UNPOSTED]):
        done = store.delete_unposted(session, teams=teams, statuses=UNPOSTED, before=now - n * DAY, limit=batch)
        swept.questions += done.count
        threads = store.delete_help_threads(session, teams=teams, before=now - n * DAY, limit=batch)
        swept.help_threads += threads.count
        dead = store.delete_dead_letters(session, teams=teams, before=now - n * DAY, limit=batch)
        swept.dead_letters += dead.count
        more |= done.more or threads.more or dead.more
    for teams, n in _groups(session, RULES[Kind.SENT]):
        done = store.delete_sent(session, teams=teams, before=now - n * DAY, limit=batch)
        swept.sent += done.count
        more |= done.more
    swept.more = more
    return swept
