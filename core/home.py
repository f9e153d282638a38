"""What App Home shows one person about themself: their questions and where each stands, the
answers they gave, the deferrals they owe, their mentoring, and the topics they are listed in.
Plain values, read from the database; only that person ever sees them.

A Grid user id is the same in every workspace of the organisation, so a person's own questions,
answers, deferrals and mentoring are theirs in any of its workspaces: the Home shows them all,
each question's link opening in the workspace it lives in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, func
from sqlmodel import Session, select

from core import accepting, expertise, mentoring, saving
from storage import qa, workspaces
from storage.models import Answer, Deferral, Question

RECENT_QUESTIONS = 5


@dataclass(frozen=True)
class InSession:
    """Where a question asked in an Ask the Expert session stands, by the session's own rule:
    answered when one of its experts answered; else owed by one expert by a date; else open."""

    answered: bool
    deferred_to: date | None = None
    deferred_by: str | None = None
    overdue: bool = False


@dataclass(frozen=True)
class MyQuestion:
    id: int
    text: str
    status: str  # held, pending, posted, failed, deflected (never withdrawn: those are left out)
    shown_state: str  # open, answered, resolved (of its post, or of its answers when Knowhow did not post it)
    permalink: str | None
    asked_at: datetime
    session: InSession | None = None  # asked in an expert session
    lesson: bool = False  # a thread of theirs someone saved as a lesson (core.saving)


@dataclass(frozen=True)
class Owed:
    question_id: int
    text: str
    due: date
    overdue: bool
    permalink: str | None


@dataclass
class Picture:
    questions: list[MyQuestion]
    asked: int
    answers: int
    accepted: int
    owed: list[Owed]
    mentoring: mentoring.Status | None
    topics: list[str]
    lessons_saved: int = 0  # threads they saved as lessons, in every workspace of the organisation


def picture(session: Session, *, team_id: str, user_id: str, now: datetime) -> Picture:
    pool = workspaces.pool(session, team_id=team_id)
    recent = session.exec(
        select(Question)
        .where(Question.team_id.in_(pool), Question.asker_id == user_id, Question.status != "withdrawn")
        .order_by(Question.created_at.desc(), Question.id.desc())
        .limit(RECENT_QUESTIONS)
    ).all()
    asked = session.exec(
        select(func.count())
        .select_from(Question)
        .where(Question.team_id.in_(pool), Question.asker_id == user_id, Question.status != "withdrawn")
    ).one()
    answers, accepted = session.exec(
        select(func.count(), func.count(Answer.accepted_at)).where(
            Answer.team_id.in_(pool), Answer.author_id == user_id, Answer.deleted_at.is_(None)
        )
    ).one()
    # As core.sessions counts it: a deferral is paid by an answer from one of the session's experts
    # (the asker's own reply, or a colleague's, leaves it owed).
    paid = exists().where(
        Answer.team_id == Deferral.team_id,
        Answer.question_id == Deferral.question_id,
        Answer.deleted_at.is_(None),
        qa.by_session_expert(),
    )
    owed = session.exec(
        select(Deferral, Question)
        .join(Question, Question.id == Deferral.question_id)
        .where(Deferral.team_id.in_(pool), Deferral.expert_id == user_id, ~paid)
        .order_by(Deferral.due_date)
    ).all()
    profile = mentoring.get_profile(session, team_id=team_id, user_id=user_id)
    standing = _in_session(session, [q for q in recent if q.session_id is not None], now)
    return Picture(
        questions=[
            MyQuestion(
                q.id,
                q.text,
                q.status,
                # A question Knowhow did not post (imported) has no post whose state is kept: its answers say.
                accepting.state_of(session, q).value if q.shown_state == accepting.NO_POST else q.shown_state,
                q.permalink,
                q.created_at,
                standing.get(q.id),
                q.saved_by is not None,
            )
            for q in recent
        ],
        asked=asked,
        answers=answers,
        accepted=accepted,
        owed=[Owed(q.id, q.text, d.due_date, d.overdue_at <= now, q.permalink) for d, q in owed],
        mentoring=mentoring.status(session, team_id=team_id, user_id=user_id, profile=profile) if profile else None,
        topics=[s.topic for s in expertise.profile(session, team_id=team_id, user_id=user_id, now=now)],
        lessons_saved=saving.saved_by(session, team_id=team_id, user_id=user_id),
    )


def _in_session(session: Session, questions: list[Question], now: datetime) -> dict[int, InSession]:
    """Where each question asked in a session stands (core.sessions counts it the same way)."""
    if not questions:
        return {}
    ids = [q.id for q in questions]
    teams = sorted({q.team_id for q in questions})
    answered = set(
        session.exec(
            select(Answer.question_id)
            .join(Question, Question.id == Answer.question_id)
            .where(
                Answer.team_id.in_(teams),
                Question.team_id.in_(teams),
                Answer.question_id.in_(ids),
                Answer.deleted_at.is_(None),
                qa.by_session_expert(),
            )
        )
    )
    deferrals = {
        d.question_id: d
        for d in session.exec(select(Deferral).where(Deferral.team_id.in_(teams), Deferral.question_id.in_(ids)))
    }
    out = {}
    for q in questions:
        d = deferrals.get(q.id)
        if q.id in answered or d is None:
            out[q.id] = InSession(answered=q.id in answered)
        else:
            out[q.id] = InSession(False, d.due_date, d.expert_id, d.overdue_at <= now)
    return out
