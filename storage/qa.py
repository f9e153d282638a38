"""Queries for questions and answers. Keyword-only, each takes a session and a team_id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, or_
from sqlmodel import Session, select

from storage import tally
from storage.claims import claim
from storage.models import Answer, Deferral, Question, SessionExpert
from storage.upsert import insert_if_absent


def create_question(
    session: Session,
    *,
    team_id: str,
    asker_id: str,
    text: str,
    channel_id: str,
    asked_in_channel_id: str | None,
    request_id: str | None,
    details: str | None = None,
    anonymous: bool = False,
    status: str = "pending",
    session_id: int | None = None,
) -> tuple[Question, bool]:
    """Store a question once per request. Returns the question and whether it is new."""
    values = dict(
        team_id=team_id,
        asker_id=asker_id,
        text=text,
        details=details,
        anonymous=anonymous,
        status=status,
        session_id=session_id,
        channel_id=channel_id,
        asked_in_channel_id=asked_in_channel_id,
        request_id=request_id,
    )
    if request_id is None:
        question = Question(**values)
        session.add(question)
        session.flush()
        tally.stored(session, tally.QUESTION)
        return question, True
    created = insert_if_absent(session, Question, values)
    if created:
        tally.stored(session, tally.QUESTION)
    return find_by_request(session, team_id=team_id, request_id=request_id), created


def find_by_request(session: Session, *, team_id: str, request_id: str) -> Question | None:
    return session.exec(select(Question).where(Question.team_id == team_id, Question.request_id == request_id)).first()


def get_question(session: Session, *, team_id: str, question_id: int) -> Question | None:
    return session.exec(select(Question).where(Question.team_id == team_id, Question.id == question_id)).first()


def get_in_pool(session: Session, *, team_ids: Sequence[str], question_id: int) -> Question | None:
    """A question of one of these workspaces (an organisation's: storage.workspaces.pool)."""
    return session.exec(
        select(Question).where(Question.team_id.in_(list(team_ids)), Question.id == question_id)
    ).first()


def get_deferral(session: Session, *, team_id: str, question_id: int) -> Deferral | None:
    """An expert's promise to answer a session question by a date, if there is one."""
    return session.exec(
        select(Deferral).where(Deferral.team_id == team_id, Deferral.question_id == question_id)
    ).first()


def change_status(session: Session, *, team_id: str, question_id: int, old: str, **values) -> bool:
    """Move a question out of status `old` in one conditional statement (a double click, or two
    processes, change it once). False when it was not in `old`."""
    return claim(
        session, Question, Question.team_id == team_id, Question.id == question_id, Question.status == old, **values
    )


def find_question_by_post(session: Session, *, team_id: str, channel_id: str, message_ts: str) -> Question | None:
    return session.exec(
        select(Question).where(
            Question.team_id == team_id,
            Question.channel_id == channel_id,
            Question.message_ts == message_ts,
        )
    ).first()


def find_post_in_pool(
    session: Session, *, team_ids: Sequence[str], channel_id: str, message_ts: str
) -> Question | None:
    """The question posted at `message_ts` in `channel_id` by one of these workspaces (an
    organisation's: a channel shared by several of its workspaces holds questions of each)."""
    return session.exec(
        select(Question).where(
            Question.team_id.in_(list(team_ids)),
            Question.channel_id == channel_id,
            Question.message_ts == message_ts,
        )
    ).first()


def by_session_expert():
    """SQL: the answer (`Answer`) is by one of the experts of its question's (`Question`) session.
    Correlated to both from whatever query it sits in, however deep: nested in another EXISTS,
    SQLAlchemy would otherwise give it a FROM of its own over every question."""
    return (
        exists()
        .where(SessionExpert.session_id == Question.session_id, SessionExpert.user_id == Answer.author_id)
        .correlate_except(SessionExpert)
    )


def being_posted(session: Session, *, team_ids: Sequence[str], channel_id: str, asked_by: datetime) -> bool:
    """Is a question of this channel by one of these workspaces (an organisation's: a shared channel
    holds questions of each), asked at or before `asked_by`, still being posted?"""
    return (
        session.exec(
            select(Question.id)
            .where(
                Question.team_id.in_(list(team_ids)),
                Question.channel_id == channel_id,
                Question.status == "pending",
                Question.created_at <= asked_by,
            )
            .limit(1)
        ).first()
        is not None
    )


def add_answer(
    session: Session,
    *,
    team_id: str,
    question_id: int,
    message_ts: str,
    author_id: str,
    text: str,
    answered_at: datetime,
    edited_ts: str | None = None,
    edited_at: datetime | None = None,
    deleted_at: datetime | None = None,
) -> bool:
    """Store an answer once per message. False when that message was already stored."""
    inserted = insert_if_absent(
        session,
        Answer,
        dict(
            team_id=team_id,
            question_id=question_id,
            message_ts=message_ts,
            author_id=author_id,
            text=text,
            answered_at=answered_at,
            edited_ts=edited_ts,
            edited_at=edited_at,
            deleted_at=deleted_at,
        ),
    )
    if inserted:
        tally.stored(session, tally.ANSWER)
    return inserted


def _answer_row(team_id: str, question_id: int, message_ts: str):
    return (Answer.team_id == team_id, Answer.question_id == question_id, Answer.message_ts == message_ts)


def apply_edit(
    session: Session, *, team_id: str, question_id: int, message_ts: str, text: str, edited_ts: str, at: datetime
) -> bool:
    """Apply an edit if it is newer than the stored one and the answer is not deleted, in one
    statement (so racing edits and deletions cannot interleave). Slack's ts strings have a fixed
    width, so comparing them as text orders them in time."""
    return claim(
        session,
        Answer,
        *_answer_row(team_id, question_id, message_ts),
        Answer.deleted_at.is_(None),
        or_(Answer.edited_ts.is_(None), Answer.edited_ts < edited_ts),
        text=text,
        edited_ts=edited_ts,
        edited_at=at,
    )


def mark_deleted(session: Session, *, team_id: str, question_id: int, message_ts: str, at: datetime) -> bool:
    """Turn an answer into a tombstone (no text) unless it already is one."""
    return claim(
        session,
        Answer,
        *_answer_row(team_id, question_id, message_ts),
        Answer.deleted_at.is_(None),
        text="",
        deleted_at=at,
    )


def get_answer(session: Session, *, team_id: str, question_id: int, message_ts: str) -> Answer | None:
    return session.exec(
        select(Answer).where(
            Answer.team_id == team_id,
            Answer.question_id == question_id,
            Answer.message_ts == message_ts,
        )
    ).first()


def list_answers(session: Session, *, team_id: str, question_id: int, include_deleted: bool = False) -> list[Answer]:
    query = select(Answer).where(Answer.team_id == team_id, Answer.question_id == question_id)
    if not include_deleted:
        query = query.where(Answer.deleted_at.is_(None))
    return list(session.exec(query.order_by(Answer.answered_at, Answer.message_ts)))


def answers_to_show(session: Session, *, team_ids: Sequence[str], question_ids: list[int]) -> dict[int, Answer]:
    """For each question (of these workspaces), the answer to show with it: the accepted one, else
    the earliest live one."""
    shown: dict[int, Answer] = {}
    for answer in session.exec(
        select(Answer)
        .where(Answer.team_id.in_(list(team_ids)), Answer.question_id.in_(question_ids), Answer.deleted_at.is_(None))
        .order_by(Answer.answered_at, Answer.message_ts)
    ):
        current = shown.get(answer.question_id)
        if current is None or (answer.accepted_at is not None and current.accepted_at is None):
            shown[answer.question_id] = answer
    return shown
