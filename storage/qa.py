"""Queries for questions and answers. Keyword-only, each takes a session and a team_id."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from storage.models import Answer, Question
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
) -> tuple[Question, bool]:
    """Store a question once per request. Returns the question and whether it is new."""
    values = dict(
        team_id=team_id,
        asker_id=asker_id,
        text=text,
        channel_id=channel_id,
        asked_in_channel_id=asked_in_channel_id,
        request_id=request_id,
    )
    if request_id is None:
        question = Question(**values)
        session.add(question)
        session.flush()
        return question, True
    created = insert_if_absent(session, Question, Question(**values).model_dump(exclude={"id"}))
    question = session.exec(
        select(Question).where(Question.team_id == team_id, Question.request_id == request_id)
    ).one()
    return question, created


def get_question(session: Session, *, team_id: str, question_id: int) -> Question | None:
    return session.exec(
        select(Question).where(Question.team_id == team_id, Question.id == question_id)
    ).first()


def find_question_by_post(
    session: Session, *, team_id: str, channel_id: str, message_ts: str
) -> Question | None:
    return session.exec(
        select(Question).where(
            Question.team_id == team_id,
            Question.channel_id == channel_id,
            Question.message_ts == message_ts,
        )
    ).first()


def add_answer(
    session: Session,
    *,
    team_id: str,
    question_id: int,
    message_ts: str,
    author_id: str,
    text: str,
    answered_at: datetime,
) -> bool:
    """Store an answer once per message. False when that message was already stored."""
    return insert_if_absent(
        session,
        Answer,
        dict(
            team_id=team_id,
            question_id=question_id,
            message_ts=message_ts,
            author_id=author_id,
            text=text,
            answered_at=answered_at,
        ),
    )


def get_answer(session: Session, *, team_id: str, question_id: int, message_ts: str) -> Answer | None:
    return session.exec(
        select(Answer).where(
            Answer.team_id == team_id,
            Answer.question_id == question_id,
            Answer.message_ts == message_ts,
        )
    ).first()


def list_answers(
    session: Session, *, team_id: str, question_id: int, include_deleted: bool = False
) -> list[Answer]:
    query = select(Answer).where(Answer.team_id == team_id, Answer.question_id == question_id)
    if not include_deleted:
        query = query.where(Answer.deleted_at.is_(None))
    return list(session.exec(query.order_by(Answer.answered_at, Answer.message_ts)))
