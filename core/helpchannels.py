"""Help channels: plain questions asked where people already ask (#help-it), pointed to earlier
lessons, privately and calmly. No Slack here.

- Admins choose the channels (`designate`, `undesignate`) and may pause one (`set_paused`):
  Knowhow then says nothing there until it is resumed.
- A person's top-level message there is considered (`consider`) once: when it reads as a question
  (core.questions), its asker has not said "don't suggest to me" (`set_opted_out`), and no expert
  session is open in the channel (the session takes it). Its text is not stored.
- `decide` is the whole decision for one message: does it ask, and which earlier lessons cover it
  (core.asking.earlier_answers: the same ranking and the same precision threshold as the
  suggestions shown before an `/ask` question is posted). Nothing good enough: nothing is said.
- What came of it is recorded once (`record_outcome`): suggested, nothing, or answered (a colleague
  replied first, so Knowhow kept out of it). At most one suggestion per message.
- The asker's choice (`choose`): *This answers it* counts the message as answered from an earlier
  lesson (a deflection, counted per topic on the scoreboard: storage.scoreboard.help_channels),
  *Not quite* is noted,
  *Don't suggest to me* stops suggestions to them in every help channel.
- Closing the loop (`offer_save`): when the asker marks a colleague's reply in the thread, they are
  offered once per thread to save it as a lesson.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from core import asking, questions
from core.clock import utcnow
from storage.models import HelpChannel, HelperPreference, HelpThread
from storage.upsert import insert_if_absent

MAX_NAME_CHARS = 80


# -- the channels -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HelpChannelInfo:
    channel_id: str
    name: str | None
    paused: bool


def designate(session: Session, *, team_id: str, channel_id: str, user_id: str, name: str | None = None) -> bool:
    """Make a channel a help channel. False when it already was (its name is kept up to date)."""
    name = (name or "").strip()[:MAX_NAME_CHARS] or None
    added = insert_if_absent(
        session, HelpChannel, dict(team_id=team_id, channel_id=channel_id, added_by=user_id, name=name)
    )
    if not added and name:
        session.execute(
            update(HelpChannel)
            .where(HelpChannel.team_id == team_id, HelpChannel.channel_id == channel_id)
            .values(name=name)
        )
    return added


def undesignate(session: Session, *, team_id: str, channel_id: str) -> bool:
    row = session.get(HelpChannel, (team_id, channel_id))
    if row is None:
        return False
    session.delete(row)
    return True


class PauseOutcome(enum.Enum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"  # it was already paused (or already on)
    NOT_A_HELP_CHANNEL = "not_a_help_channel"


def set_paused(session: Session, *, team_id: str, channel_id: str, paused: bool, user_id: str) -> PauseOutcome:
    """Pause (Knowhow says nothing there) or resume a help channel."""
    row = session.get(HelpChannel, (team_id, channel_id))
    if row is None:
        return PauseOutcome.NOT_A_HELP_CHANNEL
    if (row.paused_at is not None) == paused:
        return PauseOutcome.UNCHANGED
    row.paused_at, row.paused_by = (utcnow(), user_id) if paused else (None, None)
    session.add(row)
    return PauseOutcome.CHANGED


def listed(session: Session, *, team_id: str) -> list[HelpChannelInfo]:
    """The workspace's help channels, in the order they were added."""
    rows = session.exec(select(HelpChannel).where(HelpChannel.team_id == team_id).order_by(HelpChannel.added_at))
    return [HelpChannelInfo(r.channel_id, r.name, r.paused_at is not None) for r in rows]


def is_listening(session: Session, *, team_id: str, channel_id: str) -> bool:
    """Is `channel_id` a help channel that is not paused?"""
    row = session.get(HelpChannel, (team_id, channel_id))
    return row is not None and row.paused_at is None


# -- a person's "don't suggest to me" ----------------------------------------------------------------


def set_opted_out(session: Session, *, team_id: str, user_id: str, off: bool) -> bool:
    """Stop (`off`) or start again offering earlier lessons to a person in help channels. Whether
    anything changed."""
    row = session.get(HelperPreference, (team_id, user_id))
    if row is None:
        if not off:
            return False
        return insert_if_absent(
            session, HelperPreference, dict(team_id=team_id, user_id=user_id, help_suggestions_off=True)
        )
    if row.help_suggestions_off == off:
        return False
    row.help_suggestions_off, row.updated_at = off, utcnow()
    session.add(row)
    return True


def opted_out(session: Session, *, team_id: str, user_id: str) -> bool:
    row = session.get(HelperPreference, (team_id, user_id))
    return bool(row and row.help_suggestions_off)


# -- a message ------------------------------------------------------------------------------------


class Skip(enum.Enum):
    """Why a top-level message in a channel gets nothing from Knowhow."""

    NOT_A_HELP_CHANNEL = "not_a_help_channel"
    PAUSED = "paused"
    SESSION_OPEN = "session_open"  # an expert session open there takes it as its question
    OPTED_OUT = "opted_out"
    NOT_A_QUESTION = "not_a_question"
    SEEN = "seen"  # considered before (a retried event)


@dataclass(frozen=True)
class Considered:
    """`skip` None: Knowhow looks up earlier lessons for it (the row is "looking")."""

    skip: Skip | None
    reason: str = ""


def consider(
    session: Session, *, team_id: str, channel_id: str, message_ts: str, user_id: str, text: str
) -> Considered:
    """A person's top-level message in a channel: is it a help channel's question to look up
    earlier lessons for? Decided once per message (a row is kept for those taken, without text)."""
    row = session.get(HelpChannel, (team_id, channel_id))
    if row is None:
        return Considered(Skip.NOT_A_HELP_CHANNEL)
    if row.paused_at is not None:
        return Considered(Skip.PAUSED)
    if asking.session_takes(session, team_id=team_id, channel_id=channel_id):
        return Considered(Skip.SESSION_OPEN)
    if opted_out(session, team_id=team_id, user_id=user_id):
        return Considered(Skip.OPTED_OUT)
    detected = questions.detect(text)
    if not detected.asks:
        return Considered(Skip.NOT_A_QUESTION, detected.reason)
    taken = insert_if_absent(
        session,
        HelpThread,
        dict(team_id=team_id, channel_id=channel_id, thread_ts=message_ts, asker_id=user_id, state="looking"),
    )
    return Considered(None, detected.reason) if taken else Considered(Skip.SEEN)


@dataclass(frozen=True)
class Decision:
    """What Knowhow does with one help-channel message: the detection, and the earlier lessons
    to offer (none: nothing is said)."""

    detection: questions.Detection
    lessons: tuple = ()

    @property
    def suggest(self) -> bool:
        return self.detection.asks and bool(self.lessons)


def decide(session: Session, *, team_id: str, channel_id: str, text: str) -> Decision:
    """Does `text` ask, and which earlier lessons (core.lessons.Lesson) cover it, for someone in
    `channel_id`: the suggestions' own ranking and threshold (core.asking.earlier_answers)."""
    detection = questions.detect(text)
    if not detection.asks:
        return Decision(detection)
    return Decision(detection, asking.earlier_answers(session, team_id=team_id, text=text, channel_id=channel_id))


def thread(session: Session, *, team_id: str, channel_id: str, thread_ts: str) -> HelpThread | None:
    return session.get(HelpThread, (team_id, channel_id, thread_ts))


class Outcome(enum.Enum):
    SUGGESTED = "suggested"
    NOTHING = "nothing"  # no earlier lesson good enough
    ANSWERED = "answered"  # a colleague replied before Knowhow would have: it kept out of it


def record_outcome(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    thread_ts: str,
    outcome: Outcome,
    lesson_ids: list[int] | tuple[int, ...] = (),
) -> bool:
    """What came of looking up a message, once (from "looking"). False when it was recorded before."""
    values: dict = dict(state=outcome.value)
    if outcome is Outcome.SUGGESTED:
        values["suggested"] = ",".join(str(i) for i in lesson_ids)[:200]
    done = session.execute(
        update(HelpThread)
        .where(
            HelpThread.team_id == team_id,
            HelpThread.channel_id == channel_id,
            HelpThread.thread_ts == thread_ts,
            HelpThread.state == "looking",
        )
        .values(**values)
    )
    return done.rowcount == 1


class Choice(enum.Enum):
    ANSWERS_IT = "answers_it"
    NOT_QUITE = "not_quite"
    STOP = "stop"  # "Don't suggest to me"


class Chosen(enum.Enum):
    COUNTED = "counted"  # answered from an earlier lesson: a deflection
    NOTED = "noted"  # not quite
    STOPPED = "stopped"  # no more suggestions to them
    ALREADY = "already"  # a choice was made before (a second click)
    NOT_YOURS = "not_yours"
    UNKNOWN = "unknown"  # no such suggestion, or a lesson that was not suggested


def choose(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    thread_ts: str,
    user_id: str,
    choice: Choice,
    lesson_id: int | None = None,
    now: datetime | None = None,
) -> Chosen:
    """The asker's choice on a suggestion. Only the asker chooses; *This answers it* counts once,
    and only for a lesson that was shown."""
    now = now or utcnow()
    row = thread(session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)
    if row is None or row.state != "suggested":
        return Chosen.UNKNOWN
    if row.asker_id != user_id:
        return Chosen.NOT_YOURS
    if choice is Choice.STOP:
        set_opted_out(session, team_id=team_id, user_id=user_id, off=True)
        return Chosen.STOPPED
    if row.answered_at is not None or row.not_quite_at is not None:
        return Chosen.ALREADY
    key = (HelpThread.team_id == team_id, HelpThread.channel_id == channel_id, HelpThread.thread_ts == thread_ts)
    undecided = (HelpThread.answered_at.is_(None), HelpThread.not_quite_at.is_(None))
    if choice is Choice.NOT_QUITE:
        done = session.execute(update(HelpThread).where(*key, *undecided).values(not_quite_at=now))
        return Chosen.NOTED if done.rowcount == 1 else Chosen.ALREADY
    shown = {int(i) for i in (row.suggested or "").split(",") if i.isdigit()}
    if lesson_id not in shown:
        return Chosen.UNKNOWN
    done = session.execute(update(HelpThread).where(*key, *undecided).values(answered_by_id=lesson_id, answered_at=now))
    return Chosen.COUNTED if done.rowcount == 1 else Chosen.ALREADY


# -- closing the loop -------------------------------------------------------------------------------

# The reactions that mark an answer: the asker adds one to a colleague's reply in their thread.
CHECKMARKS = frozenset({"white_check_mark", "heavy_check_mark", "ballot_box_with_check"})


def marks_answer(*, reactor: str, asker: str | None, answer_author: str | None, answer_is_reply: bool) -> bool:
    """Does a checkmark say the asker found their answer? Theirs, on a colleague's reply in their
    own thread (not on their own message, not on the question itself)."""
    return bool(answer_is_reply and asker and reactor == asker and answer_author and answer_author != asker)


def offer_save(session: Session, *, team_id: str, channel_id: str, thread_ts: str, asker_id: str) -> bool:
    """Claim the offer to save a help-channel thread's answer as a lesson: True once per thread."""
    insert_if_absent(
        session,
        HelpThread,
        dict(team_id=team_id, channel_id=channel_id, thread_ts=thread_ts, asker_id=asker_id, state="unread"),
    )
    done = session.execute(
        update(HelpThread)
        .where(
            HelpThread.team_id == team_id,
            HelpThread.channel_id == channel_id,
            HelpThread.thread_ts == thread_ts,
            HelpThread.save_offered_at.is_(None),
        )
        .values(save_offered_at=utcnow())
    )
    return done.rowcount == 1
