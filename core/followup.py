"""Raising unanswered questions once more: which are due, and recording that it was done.

A question posted more than `after` ago that nobody has answered is raised once, ever: the
scheduler's periodic job asks `due_followups`, then claims each with `mark_followed_up` (a
conditional update, so two runs or two processes never raise one question twice).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import exists
from sqlmodel import Session, select

from storage.claims import claim
from storage.models import Answer, Question

DEFAULT_AFTER = timedelta(hours=24)


def due_followups(
    session: Session, *, now: datetime, after: timedelta, limit: int = 200, skip: Collection[str] = ()
) -> list[tuple[str, int]]:
    """(team_id, question_id) of posted questions older than `after`, never followed up, with no
    live answer: across workspaces, as the scheduler serves them all (but those in `skip`:
    workspaces whose installation is gone)."""
    answered = exists().where(
        Answer.question_id == Question.id, Answer.team_id == Question.team_id, Answer.deleted_at.is_(None)
    )
    rows = session.exec(
        select(Question.team_id, Question.id)
        .where(
            Question.status == "posted",
            Question.posted_at <= now - after,
            Question.followed_up_at.is_(None),
            Question.session_id.is_(None),  # a session's questions are answered or deferred by its experts
            ~answered,
            Question.team_id.not_in(sorted(skip)),
        )
        .order_by(Question.posted_at)
        .limit(limit)
        .execution_options(all_workspaces=True)  # the scheduler's follow-up job serves every workspace
    ).all()
    return [(team_id, question_id) for team_id, question_id in rows]


def mark_followed_up(session: Session, *, team_id: str, question_id: int, now: datetime) -> bool:
    """Claim the follow-up of one question. False when it was already done."""
    return claim(
        session,
        Question,
        Question.team_id == team_id,
        Question.id == question_id,
        Question.followed_up_at.is_(None),
        followed_up_at=now,
    )
