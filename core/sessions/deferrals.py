"""Answer or defer: after a session, its experts answer each question or promise a date. An hour
after the close they get a last call; a deferral reminds its expert at 09:00 on the day, and an
unanswered one becomes overdue the day after (the summary says so)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import exists
from sqlmodel import Session, select

from core.sessions.shared import CHASE_AFTER, REMIND_AT, State
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
    experts = set(
        session.exec(
            select(SessionExpert.user_id).where(
                SessionExpert.team_id == team_id, SessionExpert.session_id == question.session_id
            )
        )
    )
    if expert_id not in experts:
        return Deferred(DeferOutcome.NOT_AN_EXPERT, question.id)
    tz = zone(tz_name)
    if due_date <= now.astimezone(tz).date():
        return Deferred(DeferOutcome.NOT_AFTER_TODAY, question.id)
    answered = session.exec(
        select(Answer.id).where(
            Answer.team_id == team_id,
            Answer.question_id == question_id,
            Answer.deleted_at.is_(None),
            Answer.author_id.in_(experts),
        )
    ).first()
    if answered is not None:
        return Deferred(DeferOutcome.ANSWERED, question.id)
    values = dict(
        team_id=team_id,
        expert_id=expert_id,
        due_date=due_date,
        remind_at=datetime.combine(due_date, REMIND_AT, tz).astimezone(UTC),
        overdue_at=datetime.combine(due_date + timedelta(days=1), time(0, 0), tz).astimezone(UTC),
        created_at=now,
    )
    existing = _deferral(session, team_id, question_id)
    if existing is None and not insert_if_absent(session, Deferral, dict(question_id=question_id, **values)):
        existing = _deferral(session, team_id, question_id)
    if existing is not None:
        for key, value in values.items():
            setattr(existing, key, value)
        existing.reminded_at = None
        existing.overdue_noted_at = None
        session.add(existing)
    session.flush()
    return Deferred(DeferOutcome.DEFERRED, question.id, due_date, question.session_id)


def _deferral(session: Session, team_id: str, question_id: int) -> Deferral | None:
    return session.exec(
        select(Deferral).where(Deferral.team_id == team_id, Deferral.question_id == question_id)
    ).first()


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
