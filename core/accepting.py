"""Accepting an answer, and the state a question's post shows.

Who may accept: the asker, anyone who declared expertise in one of the question's topics, and
workspace admins (the edge knows who those are: KNOWHOW_ADMINS and Slack's admins and owners).
A question has at most one accepted answer; accepting another moves the mark.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, select

from core.clock import utcnow
from storage import qa, tally
from storage.claims import claim_all
from storage.models import Answer, Expertise, Question, QuestionTopic


class PostState(enum.Enum):
    OPEN = "open"  # posted, nobody has answered yet
    ANSWERED = "answered"  # has replies
    RESOLVED = "resolved"  # has an accepted answer


def state_of(session: Session, question: Question) -> PostState:
    answers = qa.list_answers(session, team_id=question.team_id, question_id=question.id)
    if any(a.accepted_at is not None for a in answers):
        return PostState.RESOLVED
    return PostState.ANSWERED if answers else PostState.OPEN


# `shown_state` of a question Knowhow did not post (a message in an expert session, an import):
# there is no post of Knowhow's to keep up to date.
NO_POST = "none"


def sync_shown_state(session: Session, *, team_id: str, question_id: int, force: bool = False) -> int | None:
    """If the post no longer shows the question's state (or, with `force`, whenever what it
    shows changed, as when another answer is accepted), record the state and return the new
    post version (one chat.update to queue per version); else None."""
    question = qa.get_question(session, team_id=team_id, question_id=question_id)
    if question is None or question.status != "posted" or question.shown_state == NO_POST:
        return None
    state = state_of(session, question).value
    if state == question.shown_state and not force:
        return None
    versions = claim_all(
        session,
        Question,
        Question.team_id == team_id,
        Question.id == question.id,
        Question.post_version == question.post_version,
        returning=Question.post_version,
        shown_state=state,
        post_version=Question.post_version + 1,
    )
    return versions[0] if versions else None


class Role(enum.Enum):
    ASKER = "asker"
    EXPERT = "expert"


def is_topic_expert(session: Session, *, team_id: str, question_id: int, user_id: str) -> bool:
    return (
        session.exec(
            select(Expertise.id)
            .join(QuestionTopic, QuestionTopic.topic_id == Expertise.topic_id)
            .where(
                QuestionTopic.team_id == team_id,
                QuestionTopic.question_id == question_id,
                Expertise.team_id == team_id,
                Expertise.user_id == user_id,
            )
            .limit(1)
        ).first()
        is not None
    )


def role_of(session: Session, question: Question, user_id: str) -> Role | None:
    """The user's right to accept answers to `question`, short of being an admin."""
    if user_id == question.asker_id:
        return Role.ASKER
    if is_topic_expert(session, team_id=question.team_id, question_id=question.id, user_id=user_id):
        return Role.EXPERT
    return None


class AcceptOutcome(enum.Enum):
    ACCEPTED = "accepted"
    ALREADY = "already"  # that answer was already the accepted one
    NOT_ALLOWED = "not_allowed"
    NOT_A_QUESTION = "not_a_question"  # the message is not a reply in one of our questions' threads
    NOT_AN_ANSWER = "not_an_answer"  # a reply Knowhow does not count as an answer (the asker's own)
    DELETED = "deleted"


@dataclass(frozen=True)
class Accepted:
    outcome: AcceptOutcome
    question_id: int | None = None
    answer_author: str | None = None
    post_version: int | None = None  # set when the post must be updated
    answer_ts: str | None = None  # the answer accepted (or already accepted)
    previous_ts: str | None = None  # the answer that was accepted before, if the mark moved


def accept(
    session: Session,
    *,
    team_id: str,
    question_id: int,
    answer_ts: str,
    user_id: str,
    is_admin: bool = False,
) -> Accepted:
    """Accept the answer posted at `answer_ts` in the question's thread."""
    # Lock the question first (PostgreSQL), so two people accepting at once take turns rather
    # than both clearing the old mark and colliding on the one-accepted-answer index.
    question = session.exec(
        select(Question).where(Question.team_id == team_id, Question.id == question_id).with_for_update()
    ).first()
    if question is None or question.status != "posted":
        return Accepted(AcceptOutcome.NOT_A_QUESTION)
    if role_of(session, question, user_id) is None and not is_admin:
        return Accepted(AcceptOutcome.NOT_ALLOWED, question.id)
    answer = qa.get_answer(session, team_id=team_id, question_id=question.id, message_ts=answer_ts)
    if answer is None:
        return Accepted(AcceptOutcome.NOT_AN_ANSWER, question.id)
    if answer.deleted_at is not None:
        return Accepted(AcceptOutcome.DELETED, question.id)
    if answer.accepted_at is not None:
        return Accepted(AcceptOutcome.ALREADY, question.id, answer.author_id, answer_ts=answer.message_ts)
    before = accepted_answer(session, team_id=team_id, question_id=question.id)
    session.execute(
        update(Answer)
        .where(Answer.team_id == team_id, Answer.question_id == question.id, Answer.accepted_at.is_not(None))
        .values(accepted_at=None, accepted_by=None)
    )
    session.execute(
        update(Answer)
        .where(Answer.team_id == team_id, Answer.id == answer.id)
        .values(accepted_at=utcnow(), accepted_by=user_id)
    )
    session.expire_all()
    tally.stored(session, tally.ACCEPTED_ANSWER)
    version = sync_shown_state(session, team_id=team_id, question_id=question.id, force=True)
    return Accepted(
        AcceptOutcome.ACCEPTED,
        question.id,
        answer.author_id,
        version,
        answer_ts=answer.message_ts,
        previous_ts=before.message_ts if before else None,
    )


def accept_by_message(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    thread_ts: str | None,
    message_ts: str,
    user_id: str,
    is_admin: bool = False,
) -> Accepted:
    """The "Accept as answer" shortcut on a message: find its question by the thread it is in."""
    if not thread_ts or thread_ts == message_ts:
        return Accepted(AcceptOutcome.NOT_A_QUESTION)
    question = qa.find_question_by_post(session, team_id=team_id, channel_id=channel_id, message_ts=thread_ts)
    if question is None:
        return Accepted(AcceptOutcome.NOT_A_QUESTION)
    return accept(
        session, team_id=team_id, question_id=question.id, answer_ts=message_ts, user_id=user_id, is_admin=is_admin
    )


@dataclass(frozen=True)
class AcceptedAnswer:
    """The accepted answer of a question, as plain data."""

    id: int
    question_id: int
    message_ts: str
    author_id: str
    accepted_by: str | None


def accepted_answer(session: Session, *, team_id: str, question_id: int) -> AcceptedAnswer | None:
    row = session.exec(
        select(Answer).where(
            Answer.team_id == team_id,
            Answer.question_id == question_id,
            Answer.accepted_at.is_not(None),
            Answer.deleted_at.is_(None),
        )
    ).first()
    return AcceptedAnswer(row.id, row.question_id, row.message_ts, row.author_id, row.accepted_by) if row else None


# Slack's radio buttons hold at most 10 options: the form to accept an answer offers that many.
MAX_CHOICES = 10


@dataclass(frozen=True)
class Choice:
    """An answer offered in the form to accept one, as plain data."""

    message_ts: str
    author_id: str
    text: str
    accepted: bool


def choices(answers, limit: int = MAX_CHOICES) -> tuple[list[Choice], int]:
    """Which of a question's live answers (`answers`: (message_ts, author_id, text, accepted), in
    thread order) the form offers, and how many there are: all of them when they fit, else the
    accepted one and the latest others, still in thread order. An answer left out is accepted
    from its own ⋯ menu (the message shortcut)."""
    every = [Choice(*answer) for answer in answers]
    if len(every) <= limit:
        return every, len(every)
    accepted = [c for c in every if c.accepted][:1]
    latest = [c for c in every if not c.accepted][-(limit - len(accepted)) :]
    kept = {c.message_ts for c in accepted + latest}
    return [c for c in every if c.message_ts in kept], len(every)
