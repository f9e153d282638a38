"""Ask the Expert sessions: designated channels, the session state machine, session questions,
deferrals and the closing summary. No Slack here: the edge and the scheduler call these with
plain values and render what comes back.

States: scheduled -> open -> closed; scheduled -> cancelled; scheduled -> missed (the whole
window passed while Knowhow was down). Every transition is one conditional UPDATE from the state
it leaves, so a duplicated job, a second process or a restart can never open or close a session
twice: exactly one caller gets the transition back, and only that caller says so in Slack.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import exists, or_, update
from sqlmodel import Session, select

from core.accepting import NO_POST
from storage import qa
from storage import search as search_index
from storage.models import Answer, Deferral, DesignatedChannel, ExpertSession, Question, SessionExpert
from storage.upsert import insert_if_absent

DEFAULT_MINUTES = 60
MAX_MINUTES = 240
MAX_TOPIC_CHARS = 150
MAX_EXPERTS = 10
# A session may start "now": a start up to this far in the past is accepted as now.
START_SLACK = timedelta(minutes=5)
CHASE_AFTER = timedelta(hours=1)
REMIND_AT = time(9, 0)


class State(enum.StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    MISSED = "missed"


# -- designated channels -------------------------------------------------------------------


def designate(session: Session, *, team_id: str, channel_id: str, user_id: str) -> bool:
    """Make a channel host sessions. False when it already did."""
    return insert_if_absent(session, DesignatedChannel, dict(team_id=team_id, channel_id=channel_id, added_by=user_id))


def undesignate(session: Session, *, team_id: str, channel_id: str) -> bool:
    row = session.get(DesignatedChannel, (team_id, channel_id))
    if row is None:
        return False
    session.delete(row)
    return True


def designated(session: Session, *, team_id: str) -> list[str]:
    return list(
        session.exec(
            select(DesignatedChannel.channel_id)
            .where(DesignatedChannel.team_id == team_id)
            .order_by(DesignatedChannel.added_at)
        )
    )


# -- sessions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionInfo:
    """A session as plain data (safe to use after its database session closed)."""

    id: int
    team_id: str
    channel_id: str
    topic: str
    organiser_id: str
    experts: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    state: State
    announcement_ts: str | None
    summary_ts: str | None
    summary_version: int


def _info(session: Session, row: ExpertSession) -> SessionInfo:
    experts = tuple(
        session.exec(
            select(SessionExpert.user_id).where(SessionExpert.session_id == row.id).order_by(SessionExpert.user_id)
        )
    )
    return SessionInfo(
        id=row.id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        topic=row.topic,
        organiser_id=row.organiser_id,
        experts=experts,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        state=State(row.state),
        announcement_ts=row.announcement_ts,
        summary_ts=row.summary_ts,
        summary_version=row.summary_version,
    )


def _row(session: Session, team_id: str, session_id: int) -> ExpertSession | None:
    session.expire_all()  # read what is committed now, not what this session saw earlier
    return session.exec(
        select(ExpertSession).where(ExpertSession.team_id == team_id, ExpertSession.id == session_id)
    ).first()


def get(session: Session, *, team_id: str, session_id: int) -> SessionInfo | None:
    row = _row(session, team_id, session_id)
    return _info(session, row) if row else None


class Refusal(enum.Enum):
    NO_TOPIC = "no_topic"
    NO_EXPERTS = "no_experts"
    TOO_MANY_EXPERTS = "too_many_experts"
    BAD_DURATION = "bad_duration"
    IN_PAST = "in_past"
    NOT_DESIGNATED = "not_designated"
    NOT_ALLOWED = "not_allowed"
    OVERLAP = "overlap"


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    other: SessionInfo | None = None  # the session it overlaps


def upcoming(session: Session, *, team_id: str) -> list[SessionInfo]:
    """Scheduled and open sessions, soonest first."""
    query = select(ExpertSession).where(
        ExpertSession.team_id == team_id, ExpertSession.state.in_((State.SCHEDULED.value, State.OPEN.value))
    )
    return [_info(session, row) for row in session.exec(query.order_by(ExpertSession.starts_at))]


def schedule(
    session: Session,
    *,
    team_id: str,
    organiser_id: str,
    channel_id: str,
    topic: str,
    experts: list[str],
    starts_at: datetime,
    minutes: int = DEFAULT_MINUTES,
    is_admin: bool,
    now: datetime,
    request_id: str | None = None,
) -> SessionInfo | Refused:
    """Schedule a session. Admins and the session's own experts may."""
    topic = " ".join((topic or "").split())
    experts = list(dict.fromkeys(experts))
    if not topic or len(topic) > MAX_TOPIC_CHARS:
        return Refused(Refusal.NO_TOPIC)
    if not experts:
        return Refused(Refusal.NO_EXPERTS)
    if len(experts) > MAX_EXPERTS:
        return Refused(Refusal.TOO_MANY_EXPERTS)
    if not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
        return Refused(Refusal.BAD_DURATION)
    if starts_at < now - START_SLACK:
        return Refused(Refusal.IN_PAST)
    if not (is_admin or organiser_id in experts):
        return Refused(Refusal.NOT_ALLOWED)
    # Take the channel's row for writing before looking for clashes, so two organisers cannot book
    # one window at once: a no-op UPDATE locks the row on PostgreSQL and takes SQLite's write lock
    # (a plain SELECT would let both read "free" and both write).
    channel = session.execute(
        update(DesignatedChannel)
        .where(DesignatedChannel.team_id == team_id, DesignatedChannel.channel_id == channel_id)
        .values(added_by=DesignatedChannel.added_by)
        .returning(DesignatedChannel.channel_id)
    ).first()
    if channel is None:
        return Refused(Refusal.NOT_DESIGNATED)
    if request_id:
        existing = session.exec(
            select(ExpertSession).where(ExpertSession.team_id == team_id, ExpertSession.request_id == request_id)
        ).first()
        if existing is not None:
            return _info(session, existing)
    starts_at = max(starts_at, now)
    ends_at = starts_at + timedelta(minutes=minutes)
    clash = session.exec(
        select(ExpertSession).where(
            ExpertSession.team_id == team_id,
            ExpertSession.channel_id == channel_id,
            ExpertSession.state.in_((State.SCHEDULED.value, State.OPEN.value)),
            ExpertSession.starts_at < ends_at,
            ExpertSession.ends_at > starts_at,
        )
    ).first()
    if clash is not None:
        return Refused(Refusal.OVERLAP, _info(session, clash))
    row = ExpertSession(
        team_id=team_id,
        channel_id=channel_id,
        topic=topic,
        organiser_id=organiser_id,
        starts_at=starts_at,
        ends_at=ends_at,
        request_id=request_id,
    )
    session.add(row)
    session.flush()
    for user_id in experts:
        session.add(SessionExpert(session_id=row.id, user_id=user_id, team_id=team_id))
    session.flush()
    return _info(session, row)


def set_post(
    session: Session,
    *,
    team_id: str,
    session_id: int,
    announcement_ts: str | None = None,
    summary_ts: str | None = None,
) -> None:
    """Remember where a session's announcement or summary was posted."""
    values = {k: v for k, v in (("announcement_ts", announcement_ts), ("summary_ts", summary_ts)) if v}
    if values:
        session.execute(
            update(ExpertSession)
            .where(ExpertSession.team_id == team_id, ExpertSession.id == session_id)
            .values(**values)
        )


def _may_manage(info: SessionInfo, user_id: str, is_admin: bool) -> bool:
    return is_admin or user_id == info.organiser_id or user_id in info.experts


class Change(enum.Enum):
    DONE = "done"
    NOT_ALLOWED = "not_allowed"
    NOT_FOUND = "not_found"
    WRONG_STATE = "wrong_state"  # e.g. cancelling a session that already opened


@dataclass(frozen=True)
class Changed:
    outcome: Change
    session: SessionInfo | None = None


def cancel(session: Session, *, team_id: str, session_id: int, user_id: str, is_admin: bool, now: datetime) -> Changed:
    info = get(session, team_id=team_id, session_id=session_id)
    if info is None:
        return Changed(Change.NOT_FOUND)
    if not _may_manage(info, user_id, is_admin):
        return Changed(Change.NOT_ALLOWED, info)
    if not _move(session, info, State.SCHEDULED, State.CANCELLED, cancelled_at=now):
        return Changed(Change.WRONG_STATE, get(session, team_id=team_id, session_id=session_id))
    return Changed(Change.DONE, get(session, team_id=team_id, session_id=session_id))


def _move(session: Session, info: SessionInfo, old: State, new: State, **values) -> bool:
    result = session.execute(
        update(ExpertSession)
        .where(ExpertSession.team_id == info.team_id, ExpertSession.id == info.id, ExpertSession.state == old.value)
        .values(state=new.value, **values)
        .returning(ExpertSession.id)
    )
    return result.first() is not None


@dataclass(frozen=True)
class Transition:
    """What happened to a session; exactly one caller gets each."""

    new_state: State
    session: SessionInfo


def advance(session: Session, *, team_id: str, session_id: int, now: datetime) -> Transition | None:
    """Bring one session's state up to `now`: open it if its window is running, close it if its
    window is over, mark it missed if the whole window passed before it could open. The one
    entry point of the scheduler's jobs and the start-up reconcile; None when nothing changed."""
    info = get(session, team_id=team_id, session_id=session_id)
    if info is None:
        return None
    if info.state is State.SCHEDULED and now >= info.starts_at:
        if now >= info.ends_at:
            if _move(session, info, State.SCHEDULED, State.MISSED, closed_at=now):
                return Transition(State.MISSED, get(session, team_id=team_id, session_id=session_id))
            return None
        if _move(session, info, State.SCHEDULED, State.OPEN, opened_at=now):
            return Transition(State.OPEN, get(session, team_id=team_id, session_id=session_id))
        return None
    if (
        info.state is State.OPEN
        and now >= info.ends_at
        and _move(session, info, State.OPEN, State.CLOSED, closed_at=now)
    ):
        return Transition(State.CLOSED, get(session, team_id=team_id, session_id=session_id))
    return None


def due(session: Session, *, now: datetime, limit: int = 500) -> list[tuple[str, int]]:
    """(team, session id) of every session whose state is behind the clock, across workspaces."""
    rows = session.exec(
        select(ExpertSession.team_id, ExpertSession.id)
        .where(
            or_(
                (ExpertSession.state == State.SCHEDULED.value) & (ExpertSession.starts_at <= now),
                (ExpertSession.state == State.OPEN.value) & (ExpertSession.ends_at <= now),
            )
        )
        .order_by(ExpertSession.starts_at)
        .limit(limit)
    ).all()
    return [(t, i) for t, i in rows]


def pending(session: Session) -> list[tuple[str, int, datetime, datetime, str]]:
    """(team, id, starts_at, ends_at, state) of scheduled and open sessions: what needs alarms."""
    return [
        (r.team_id, r.id, r.starts_at, r.ends_at, r.state)
        for r in session.exec(
            select(ExpertSession).where(ExpertSession.state.in_((State.SCHEDULED.value, State.OPEN.value)))
        )
    ]


def open_in(session: Session, *, team_id: str, channel_id: str) -> SessionInfo | None:
    row = session.exec(
        select(ExpertSession).where(
            ExpertSession.team_id == team_id,
            ExpertSession.channel_id == channel_id,
            ExpertSession.state == State.OPEN.value,
        )
    ).first()
    return _info(session, row) if row else None


def start_now(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    channel_id: str,
    topic: str,
    now: datetime,
    request_id: str | None = None,
) -> Transition | Refused:
    """`/expert start <topic>`: a session now, for the default duration, with its starter as its
    expert (so anyone may start one, in a designated channel with no session at that time)."""
    info = schedule(
        session,
        team_id=team_id,
        organiser_id=user_id,
        channel_id=channel_id,
        topic=topic,
        experts=[user_id],
        starts_at=now,
        is_admin=False,
        now=now,
        request_id=request_id,
    )
    if isinstance(info, Refused):
        return info
    return advance(session, team_id=team_id, session_id=info.id, now=now) or Transition(info.state, info)


def close_now(
    session: Session, *, team_id: str, channel_id: str, user_id: str, is_admin: bool, now: datetime
) -> Changed | Transition:
    """`/expert close`: close the channel's open session early (its experts, organiser or an admin)."""
    info = open_in(session, team_id=team_id, channel_id=channel_id)
    if info is None:
        return Changed(Change.NOT_FOUND)
    if not _may_manage(info, user_id, is_admin):
        return Changed(Change.NOT_ALLOWED, info)
    if not _move(session, info, State.OPEN, State.CLOSED, closed_at=now, ends_at=min(now, info.ends_at)):
        return Changed(Change.WRONG_STATE, info)
    return Transition(State.CLOSED, get(session, team_id=team_id, session_id=info.id))


# -- questions in a session ------------------------------------------------------------------


def session_at(session: Session, *, team_id: str, channel_id: str, at: datetime) -> SessionInfo | None:
    """The session (open, or closed since) whose window held the moment `at` in a channel."""
    row = session.exec(
        select(ExpertSession).where(
            ExpertSession.team_id == team_id,
            ExpertSession.channel_id == channel_id,
            ExpertSession.state.in_((State.OPEN.value, State.CLOSED.value)),
            ExpertSession.starts_at <= at,
            ExpertSession.ends_at >= at,
        )
    ).first()
    return _info(session, row) if row else None


def record_question(
    session: Session, *, team_id: str, channel_id: str, message_ts: str, user_id: str, text: str, at: datetime
) -> tuple[int, SessionInfo] | None:
    """A top-level message in a channel: a session question when it was posted in a session's
    window (even if its event is handled after the close, or is a retry) and its author is not
    one of the experts. Returns the question id and its session when it was recorded now."""
    info = session_at(session, team_id=team_id, channel_id=channel_id, at=at)
    if info is None or user_id in info.experts:
        return None
    created = insert_if_absent(
        session,
        Question,
        dict(
            team_id=team_id,
            asker_id=user_id,
            text=text,
            channel_id=channel_id,
            message_ts=message_ts,
            status="posted",
            posted_at=at,
            created_at=at,
            session_id=info.id,
            followed_up_at=at,  # the session's own answer-or-defer rule applies, not the 24 h follow-up
            shown_state=NO_POST,  # the person's own message: Knowhow has no post to update
        ),
    )
    if not created:
        return None
    question = session.exec(
        select(Question).where(
            Question.team_id == team_id, Question.channel_id == channel_id, Question.message_ts == message_ts
        )
    ).one()
    search_index.reindex_question(session, team_id=team_id, question_id=question.id)
    return question.id, info


def _expert_answered():
    """SQL: the question has a live answer by one of its session's experts."""
    return exists().where(
        Answer.question_id == Question.id,
        Answer.deleted_at.is_(None),
        qa.by_session_expert(),
    )


@dataclass(frozen=True)
class SessionQuestion:
    id: int
    text: str
    asker_id: str
    message_ts: str
    answered: bool  # by one of the session's experts
    answered_in_window: bool
    deferred_to: date | None
    deferred_by: str | None
    overdue: bool


def questions(session: Session, *, team_id: str, session_id: int, now: datetime) -> list[SessionQuestion]:
    info = get(session, team_id=team_id, session_id=session_id)
    if info is None:
        return []
    rows = list(
        session.exec(
            select(Question)
            .where(Question.team_id == team_id, Question.session_id == session_id)
            .order_by(Question.message_ts)
        )
    )
    ids = [q.id for q in rows]
    first_expert_answer: dict[int, datetime] = {}
    if ids:
        for question_id, answered_at in session.exec(
            select(Answer.question_id, Answer.answered_at)
            .join(SessionExpert, (SessionExpert.session_id == session_id) & (SessionExpert.user_id == Answer.author_id))
            .where(Answer.team_id == team_id, Answer.question_id.in_(ids), Answer.deleted_at.is_(None))
            .order_by(Answer.answered_at)
        ):
            first_expert_answer.setdefault(question_id, answered_at)
    deferrals = {
        d.question_id: d
        for d in session.exec(
            select(Deferral).where(Deferral.team_id == team_id, Deferral.question_id.in_(ids or [-1]))
        )
    }
    closed_at = info.ends_at
    out = []
    for q in rows:
        answered_at = first_expert_answer.get(q.id)
        deferral = deferrals.get(q.id)
        out.append(
            SessionQuestion(
                id=q.id,
                text=q.text,
                asker_id=q.asker_id,
                message_ts=q.message_ts,
                answered=answered_at is not None,
                answered_in_window=answered_at is not None and answered_at <= closed_at,
                deferred_to=deferral.due_date if deferral else None,
                deferred_by=deferral.expert_id if deferral else None,
                overdue=bool(deferral and answered_at is None and now >= deferral.overdue_at),
            )
        )
    return out


@dataclass(frozen=True)
class Summary:
    session: SessionInfo
    asked: int
    answered_in_window: int
    answered_later: int
    deferred: list[SessionQuestion] = field(default_factory=list)  # deferred and not answered yet
    open: list[SessionQuestion] = field(default_factory=list)  # neither answered nor deferred
    chased: bool = False  # the last call went out: open questions are "left open"


def summary(session: Session, *, team_id: str, session_id: int, now: datetime) -> Summary | None:
    info = get(session, team_id=team_id, session_id=session_id)
    if info is None:
        return None
    row = _row(session, team_id, session_id)
    qs = questions(session, team_id=team_id, session_id=session_id, now=now)
    return Summary(
        session=info,
        asked=len(qs),
        answered_in_window=sum(q.answered_in_window for q in qs),
        answered_later=sum(q.answered and not q.answered_in_window for q in qs),
        deferred=[q for q in qs if not q.answered and q.deferred_to],
        open=[q for q in qs if not q.answered and not q.deferred_to],
        chased=row.chased_at is not None,
    )


def bump_summary(session: Session, *, team_id: str, session_id: int) -> int | None:
    """The closing summary must change (an answer or deferral came in): its new version, or None
    when the session has no summary (not closed yet)."""
    result = session.execute(
        update(ExpertSession)
        .where(
            ExpertSession.team_id == team_id,
            ExpertSession.id == session_id,
            ExpertSession.state == State.CLOSED.value,
        )
        .values(summary_version=ExpertSession.summary_version + 1)
        .returning(ExpertSession.summary_version)
    ).first()
    return result[0] if result else None


def session_of_question(session: Session, *, team_id: str, channel_id: str, thread_ts: str) -> int | None:
    """The session a thread's question belongs to (for answers arriving in it)."""
    return session.exec(
        select(Question.session_id).where(
            Question.team_id == team_id, Question.channel_id == channel_id, Question.message_ts == thread_ts
        )
    ).first()


# -- chasing and deferrals -------------------------------------------------------------------


def due_chases(session: Session, *, now: datetime) -> list[tuple[str, int]]:
    """Sessions closed over an hour ago whose experts have not had the last call yet."""
    return [
        (t, i)
        for t, i in session.exec(
            select(ExpertSession.team_id, ExpertSession.id).where(
                ExpertSession.state == State.CLOSED.value,
                ExpertSession.closed_at <= now - CHASE_AFTER,
                ExpertSession.chased_at.is_(None),
            )
        )
    ]


def mark_chased(session: Session, *, team_id: str, session_id: int, now: datetime) -> bool:
    result = session.execute(
        update(ExpertSession)
        .where(ExpertSession.team_id == team_id, ExpertSession.id == session_id, ExpertSession.chased_at.is_(None))
        .values(chased_at=now, summary_version=ExpertSession.summary_version + 1)
        .returning(ExpertSession.id)
    )
    return result.first() is not None


class DeferOutcome(enum.Enum):
    DEFERRED = "deferred"
    NOT_AN_EXPERT = "not_an_expert"
    NOT_FOUND = "not_found"
    NOT_AFTER_TODAY = "not_after_today"
    ANSWERED = "answered"


@dataclass(frozen=True)
class Deferred:
    outcome: DeferOutcome
    question: Question | None = None
    due_date: date | None = None
    session_id: int | None = None


def zone(tz_name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def defer(
    session: Session,
    *,
    team_id: str,
    question_id: int,
    expert_id: str,
    due_date: date,
    tz_name: str | None,
    now: datetime,
) -> Deferred:
    """An expert promises to answer a session question by `due_date` (after today, in their own
    time zone). They are reminded at 09:00 that day; unanswered after it, the question is overdue.
    Deferring again moves the date."""
    question = session.exec(select(Question).where(Question.team_id == team_id, Question.id == question_id)).first()
    if question is None or question.session_id is None:
        return Deferred(DeferOutcome.NOT_FOUND)
    experts = set(session.exec(select(SessionExpert.user_id).where(SessionExpert.session_id == question.session_id)))
    if expert_id not in experts:
        return Deferred(DeferOutcome.NOT_AN_EXPERT, question)
    tz = zone(tz_name)
    if due_date <= now.astimezone(tz).date():
        return Deferred(DeferOutcome.NOT_AFTER_TODAY, question)
    answered = session.exec(
        select(Answer.id).where(
            Answer.team_id == team_id,
            Answer.question_id == question_id,
            Answer.deleted_at.is_(None),
            Answer.author_id.in_(experts),
        )
    ).first()
    if answered is not None:
        return Deferred(DeferOutcome.ANSWERED, question)
    values = dict(
        team_id=team_id,
        expert_id=expert_id,
        due_date=due_date,
        remind_at=datetime.combine(due_date, REMIND_AT, tz).astimezone(UTC),
        overdue_at=datetime.combine(due_date + timedelta(days=1), time(0, 0), tz).astimezone(UTC),
        created_at=now,
    )
    existing = session.get(Deferral, question_id)
    if existing is None and not insert_if_absent(session, Deferral, dict(question_id=question_id, **values)):
        existing = session.get(Deferral, question_id)
    if existing is not None:
        for key, value in values.items():
            setattr(existing, key, value)
        existing.reminded_at = None
        existing.overdue_noted_at = None
        session.add(existing)
    session.flush()
    return Deferred(DeferOutcome.DEFERRED, question, due_date, question.session_id)


def due_reminders(session: Session, *, now: datetime) -> list[tuple[str, int]]:
    """(team, question id) of deferrals whose reminder is due and whose question is unanswered."""
    return [
        (t, q)
        for t, q in session.exec(
            select(Deferral.team_id, Deferral.question_id)
            .join(Question, Question.id == Deferral.question_id)
            .where(Deferral.remind_at <= now, Deferral.reminded_at.is_(None), ~_expert_answered())
        )
    ]


def mark_reminded(session: Session, *, team_id: str, question_id: int, now: datetime) -> bool:
    result = session.execute(
        update(Deferral)
        .where(Deferral.team_id == team_id, Deferral.question_id == question_id, Deferral.reminded_at.is_(None))
        .values(reminded_at=now)
        .returning(Deferral.question_id)
    )
    return result.first() is not None


def note_overdue(session: Session, *, now: datetime) -> list[tuple[str, int]]:
    """Mark newly overdue deferrals; returns (team, session id) of summaries to update."""
    rows = session.exec(
        select(Deferral.team_id, Deferral.question_id, Question.session_id)
        .join(Question, Question.id == Deferral.question_id)
        .where(Deferral.overdue_at <= now, Deferral.overdue_noted_at.is_(None), ~_expert_answered())
    ).all()
    sessions = []
    for team_id, question_id, session_id in rows:
        claimed = session.execute(
            update(Deferral)
            .where(Deferral.question_id == question_id, Deferral.overdue_noted_at.is_(None))
            .values(overdue_noted_at=now)
            .returning(Deferral.question_id)
        ).first()
        if claimed and session_id is not None and (team_id, session_id) not in sessions:
            sessions.append((team_id, session_id))
    return sessions
