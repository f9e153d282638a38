"""Answer or defer: after a session, its experts answer each question or promise a date. An hour
after the close they get a last call; a deferral reminds its expert at 09:00 on the day, and an
unanswered one becomes overdue the day after (the summary says so).

In a panel a question is owed by one expert at a time. The first promise stands: only its expert
moves its date, and another expert takes it over explicitly (`take_over`), never by deferring it
again. Every surface (the experts' lists, the thread's note, the summary, reminders, App Home)
reads the one `Deferral` row, so they all name the same expert and date."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import exists
from sqlmodel import Session, select

from core.sessions.lifecycle import SessionQuestion, questions
from core.sessions.shared import CHASE_AFTER, REMIND_AT, State, row_of
from storage import qa
from storage.claims import claim
from storage.models import Answer, Deferral, ExpertSession, Question, SessionExpert
from storage.upsert import insert_if_absent


def _expert_answered():
    """SQL: the question has a live answer by one of its session's experts."""
    return exists().where(
        Answer.question_id == Question.id,
        Answer.deleted_at.is_(None),
        qa.by_session_expert(),
    )


def due_chases(session: Session, *, now: datetime) -> list[tuple[str, int]]:
    """Sessions closed over an hour ago whose experts have not had the last call yet."""
    return [
        (t, i)
        for t, i in session.exec(
            select(ExpertSession.team_id, ExpertSession.id)
            .where(
                ExpertSession.state == State.CLOSED.value,
                ExpertSession.closed_at <= now - CHASE_AFTER,
                ExpertSession.chased_at.is_(None),
            )
            # the scheduler's sweep serves every workspace
            .execution_options(all_workspaces=True)
        )
    ]


def mark_chased(session: Session, *, team_id: str, session_id: int, now: datetime) -> bool:
    """Claim the last call of one session (it also changes the summary: open questions are "left open")."""
    return claim(
        session,
        ExpertSession,
        ExpertSession.team_id == team_id,
        ExpertSession.id == session_id,
        ExpertSession.chased_at.is_(None),
        chased_at=now,
        summary_version=ExpertSession.summary_version + 1,
    )


class DeferOutcome(enum.Enum):
    DEFERRED = "deferred"
    TAKEN_OVER = "taken_over"
    HELD = "held"  # another expert of the panel has promised it: only an explicit take-over changes that
    ALREADY_YOURS = "already_yours"
    NOT_DEFERRED = "not_deferred"  # nothing to take over: nobody has promised it yet
    NOT_AN_EXPERT = "not_an_expert"
    NOT_FOUND = "not_found"
    NOT_AFTER_TODAY = "not_after_today"
    ANSWERED = "answered"


@dataclass(frozen=True)
class Deferred:
    outcome: DeferOutcome
    question_id: int | None = None
    due_date: date | None = None
    session_id: int | None = None
    holder: str | None = None  # who owes it now (HELD: the other expert who has it)
    previous: str | None = None  # TAKEN_OVER: the expert who had it, to be told
    moved_from: date | None = None  # DEFERRED again by its holder: the date it had
    asker_id: str | None = None


def zone(tz_name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _owed(session: Session, team_id: str, question_id: int, expert_id: str) -> Question | Deferred:
    """The session question an expert of its own session may defer or take over (not answered
    by one of them yet), or why not."""
    question = session.exec(select(Question).where(Question.team_id == team_id, Question.id == question_id)).first()
    if question is None or question.session_id is None:
        return Deferred(DeferOutcome.NOT_FOUND)
    experts = set(
        session.exec(
            select(SessionExpert.user_id).where(
                SessionExpert.team_id == team_id, SessionExpert.session_id == question.session_id
            )
        )
    )
    if expert_id not in experts:
        return Deferred(DeferOutcome.NOT_AN_EXPERT, question.id)
    answered = session.exec(
        select(Answer.id).where(
            Answer.team_id == team_id,
            Answer.question_id == question_id,
            Answer.deleted_at.is_(None),
            Answer.author_id.in_(experts),
        )
    ).first()
    if answered is not None:
        return Deferred(DeferOutcome.ANSWERED, question.id, session_id=question.session_id)
    return question


def _held(question: Question, deferral: Deferral, outcome: DeferOutcome = DeferOutcome.HELD) -> Deferred:
    return Deferred(
        outcome,
        question.id,
        deferral.due_date,
        question.session_id,
        holder=deferral.expert_id,
        asker_id=question.asker_id,
    )


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

    A question is owed by one expert at a time: the first promise stands. Its expert may move the
    date; another expert of the panel is refused (HELD, with who has it and until when) and may
    `take_over` it explicitly instead, so no promise is ever overwritten silently."""
    question = _owed(session, team_id, question_id, expert_id)
    if isinstance(question, Deferred):
        return question
    existing = _deferral(session, team_id, question_id)
    if existing is not None and existing.expert_id != expert_id:
        return _held(question, existing)
    tz = zone(tz_name)
    if due_date <= now.astimezone(tz).date():
        return Deferred(DeferOutcome.NOT_AFTER_TODAY, question.id, session_id=question.session_id)
    values = dict(
        due_date=due_date,
        remind_at=datetime.combine(due_date, REMIND_AT, tz).astimezone(UTC),
        overdue_at=datetime.combine(due_date + timedelta(days=1), time(0, 0), tz).astimezone(UTC),
    )
    done = Deferred(
        DeferOutcome.DEFERRED, question.id, due_date, question.session_id, holder=expert_id, asker_id=question.asker_id
    )
    if existing is None:
        row = dict(question_id=question_id, team_id=team_id, expert_id=expert_id, created_at=now, **values)
        if insert_if_absent(session, Deferral, row):
            return done
        existing = _deferral(session, team_id, question_id)  # another expert's promise, a moment earlier
    if existing.expert_id != expert_id:
        return _held(question, existing)
    moved_from = existing.due_date
    # Moved only while it is still theirs (a take-over at the same moment wins or loses as a whole).
    if not claim(
        session,
        Deferral,
        Deferral.team_id == team_id,
        Deferral.question_id == question_id,
        Deferral.expert_id == expert_id,
        reminded_at=None,
        overdue_noted_at=None,
        **values,
    ):
        return _held(question, _deferral(session, team_id, question_id))
    return replace(done, moved_from=moved_from)


def take_over(session: Session, *, team_id: str, question_id: int, expert_id: str, from_expert_id: str) -> Deferred:
    """Another expert of the panel takes over a deferred question from `from_expert_id` (the one
    they saw holding it): the promise, and its date, are theirs now; they may move the date after.
    Refused (HELD) when someone else holds it by now, so a stale button takes nothing from them."""
    question = _owed(session, team_id, question_id, expert_id)
    if isinstance(question, Deferred):
        return question
    existing = _deferral(session, team_id, question_id)
    if existing is None:
        return Deferred(DeferOutcome.NOT_DEFERRED, question.id, session_id=question.session_id)
    if existing.expert_id == expert_id:
        return _held(question, existing, DeferOutcome.ALREADY_YOURS)
    if existing.expert_id != from_expert_id or not claim(
        session,
        Deferral,
        Deferral.team_id == team_id,
        Deferral.question_id == question_id,
        Deferral.expert_id == from_expert_id,
        expert_id=expert_id,
        taken_from=from_expert_id,
    ):
        return _held(question, _deferral(session, team_id, question_id))
    return Deferred(
        DeferOutcome.TAKEN_OVER,
        question.id,
        _deferral(session, team_id, question_id).due_date,  # as it stands now it is theirs
        question.session_id,
        holder=expert_id,
        previous=from_expert_id,
        asker_id=question.asker_id,
    )


def _deferral(session: Session, team_id: str, question_id: int) -> Deferral | None:
    return session.exec(
        select(Deferral)
        .where(Deferral.team_id == team_id, Deferral.question_id == question_id)
        .execution_options(populate_existing=True)  # as it stands after a claim in this transaction
    ).first()


def set_note(session: Session, *, team_id: str, question_id: int, note_ts: str) -> None:
    """The deferral's note in its question's thread was posted: later changes update it in place."""
    claim(session, Deferral, Deferral.team_id == team_id, Deferral.question_id == question_id, note_ts=note_ts)


def follow_ups(
    session: Session, *, team_id: str, session_id: int, now: datetime, last_call: bool
) -> list[SessionQuestion]:
    """The questions of an expert's list, each as it stands now: at the close, every question not
    answered in the session; at the last call, those that were still neither answered nor
    deferred when it went out. The rows stay while the list is updated; their state changes."""
    row = row_of(session, team_id, session_id)
    if row is None:
        return []
    rows = [q for q in questions(session, team_id=team_id, session_id=session_id, now=now) if not q.answered_in_window]
    if last_call and row.chased_at is not None:
        rows = [
            q
            for q in rows
            if not (q.answered_at and q.answered_at <= row.chased_at)
            and not (q.deferred_at and q.deferred_at <= row.chased_at)
        ]
    return rows


@dataclass(frozen=True)
class ListPost:
    expert_id: str
    channel_id: str
    ts: str
    last_call: bool


def set_list_post(
    session: Session, *, team_id: str, session_id: int, expert_id: str, channel_id: str, ts: str, last_call: bool
) -> None:
    """An expert's list was posted (in their DM): it is updated in place as its questions change."""
    column = "last_call_ts" if last_call else "list_ts"
    claim(
        session,
        SessionExpert,
        SessionExpert.team_id == team_id,
        SessionExpert.session_id == session_id,
        SessionExpert.user_id == expert_id,
        list_channel=channel_id,
        **{column: ts},
    )


def list_posts(session: Session, *, team_id: str, session_id: int) -> list[ListPost]:
    """Every expert's list messages of a session, to update."""
    out = []
    for expert in session.exec(
        select(SessionExpert)
        .where(SessionExpert.team_id == team_id, SessionExpert.session_id == session_id)
        .order_by(SessionExpert.user_id)
        .execution_options(populate_existing=True)
    ):
        if expert.list_channel is None:
            continue
        for ts, last_call in ((expert.list_ts, False), (expert.last_call_ts, True)):
            if ts:
                out.append(ListPost(expert.user_id, expert.list_channel, ts, last_call))
    return out


def due_reminders(session: Session, *, now: datetime) -> list[tuple[str, int]]:
    """(team, question id) of deferrals whose reminder is due and whose question is unanswered."""
    return [
        (t, q)
        for t, q in session.exec(
            select(Deferral.team_id, Deferral.question_id)
            .join(Question, Question.id == Deferral.question_id)
            .where(Deferral.remind_at <= now, Deferral.reminded_at.is_(None), ~_expert_answered())
            .execution_options(all_workspaces=True)  # the scheduler's sweep serves every workspace
        )
    ]


def mark_reminded(session: Session, *, team_id: str, question_id: int, now: datetime) -> bool:
    """Claim the reminder of one deferral."""
    return claim(
        session,
        Deferral,
        Deferral.team_id == team_id,
        Deferral.question_id == question_id,
        Deferral.reminded_at.is_(None),
        reminded_at=now,
    )


def note_overdue(session: Session, *, now: datetime) -> list[tuple[str, int]]:
    """Mark newly overdue deferrals; returns (team, session id) of summaries to update."""
    rows = session.exec(
        select(Deferral.team_id, Deferral.question_id, Question.session_id)
        .join(Question, Question.id == Deferral.question_id)
        .where(Deferral.overdue_at <= now, Deferral.overdue_noted_at.is_(None), ~_expert_answered())
        .execution_options(all_workspaces=True)  # the scheduler's sweep serves every workspace
    ).all()
    sessions = []
    for team_id, question_id, session_id in rows:
        claimed = claim(
            session,
            Deferral,
            Deferral.team_id == team_id,
            Deferral.question_id == question_id,
            Deferral.overdue_noted_at.is_(None),
            overdue_noted_at=now,
        )
        if claimed and session_id is not None and (team_id, session_id) not in sessions:
            sessions.append((team_id, session_id))
    return sessions
