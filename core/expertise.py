"""Who knows what, beyond job titles: expertise profiles and the helpers invited to a question.

A person's profile in a topic is what they declared (`/expert topics add`) plus what they did:
every answer they gave to a question in that topic counts, an accepted one more, a recent one
more than an old one. It is read from the answers themselves, so it is never out of step.

When a question with topics is posted, up to three likely helpers are invited in its thread:
never the asker, never someone who paused invitations, never anyone already invited
`daily_limit` times in the last 24 hours.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from core import topics as topic_rules
from core.clock import utcnow
from storage.erasure import FORMER_MEMBER
from storage.models import Answer, Expertise, HelperPreference, Invitation, Question, QuestionTopic, Topic
from storage.upsert import insert_if_absent

DECLARED_WEIGHT = 2.0
ANSWER_WEIGHT = 1.0
ACCEPTED_WEIGHT = 3.0
HALF_LIFE = timedelta(days=180)  # an answer counts half as much after six months
MAX_HELPERS = 3
DEFAULT_DAILY_LIMIT = 2
MAX_DECLARED_TOPICS = 30


def _decay(age: timedelta) -> float:
    return 0.5 ** (max(age.total_seconds(), 0) / HALF_LIFE.total_seconds())


class DeclareOutcome(enum.Enum):
    ADDED = "added"
    ALREADY = "already"
    REMOVED = "removed"
    NOT_LISTED = "not_listed"
    TOO_MANY = "too_many"


@dataclass(frozen=True)
class Declared:
    outcome: DeclareOutcome
    topic: str  # the topic's name as the workspace writes it


def declare(session: Session, *, team_id: str, user_id: str, raw_topic: str) -> Declared:
    """`/expert topics add`: raises topics.TopicError for a name that cannot be a topic."""
    count = session.exec(
        select(func.count()).select_from(Expertise).where(Expertise.team_id == team_id, Expertise.user_id == user_id)
    ).one()
    if count >= MAX_DECLARED_TOPICS:  # before creating a topic nobody would then hold
        return Declared(DeclareOutcome.TOO_MANY, topic_rules.normalise(raw_topic).name)
    topic = topic_rules.resolve(session, team_id=team_id, raw=raw_topic, created_by=user_id)
    added = insert_if_absent(
        session, Expertise, dict(team_id=team_id, user_id=user_id, topic_id=topic.id, declared_at=utcnow())
    )
    return Declared(DeclareOutcome.ADDED if added else DeclareOutcome.ALREADY, topic.name)


def withdraw(session: Session, *, team_id: str, user_id: str, raw_topic: str) -> Declared:
    """`/expert topics remove`."""
    topic = topic_rules.find(session, team_id=team_id, raw=raw_topic)
    if topic is None:
        return Declared(DeclareOutcome.NOT_LISTED, topic_rules.normalise(raw_topic).name)
    row = session.exec(
        select(Expertise).where(
            Expertise.team_id == team_id, Expertise.user_id == user_id, Expertise.topic_id == topic.id
        )
    ).first()
    if row is None:
        return Declared(DeclareOutcome.NOT_LISTED, topic.name)
    session.delete(row)
    return Declared(DeclareOutcome.REMOVED, topic.name)


def set_paused(session: Session, *, team_id: str, user_id: str, paused: bool) -> bool:
    """Pause or resume invitations. Returns whether anything changed."""
    row = session.get(HelperPreference, (team_id, user_id))
    if row is None:
        if not paused:
            return False
        insert_if_absent(
            session,
            HelperPreference,
            dict(team_id=team_id, user_id=user_id, invitations_paused=True, updated_at=utcnow()),
        )
        return True
    if row.invitations_paused == paused:
        return False
    row.invitations_paused = paused
    row.updated_at = utcnow()
    session.add(row)
    return True


def set_thanked(session: Session, *, team_id: str, user_id: str, thanked: bool) -> bool:
    """Agree (or no longer agree) to be thanked by name on the weekly scoreboard for accepted
    answers. Nobody is named without saying yes. Returns whether anything changed."""
    row = session.get(HelperPreference, (team_id, user_id))
    if row is None:
        if not thanked:
            return False
        insert_if_absent(
            session, HelperPreference, dict(team_id=team_id, user_id=user_id, thank_publicly=True, updated_at=utcnow())
        )
        return True
    if row.thank_publicly == thanked:
        return False
    row.thank_publicly, row.updated_at = thanked, utcnow()
    session.add(row)
    return True


def is_thanked(session: Session, *, team_id: str, user_id: str) -> bool:
    row = session.get(HelperPreference, (team_id, user_id))
    return bool(row and row.thank_publicly)


def is_paused(session: Session, *, team_id: str, user_id: str) -> bool:
    row = session.get(HelperPreference, (team_id, user_id))
    return bool(row and row.invitations_paused)


def lists_topic_in(session: Session, *, team_id: str, user_id: str, text: str) -> bool:
    """Does the person list (`/expert topics add`) a topic that `text` names (core.topics.names)?"""
    title = topic_rules.words(text)
    if not title:
        return False
    keys = session.exec(
        select(Topic.key)
        .join(Expertise, Expertise.topic_id == Topic.id)
        .where(Expertise.team_id == team_id, Expertise.user_id == user_id, Topic.team_id == team_id)
    )
    return any(topic_rules.names(title, key) for key in keys)


@dataclass(frozen=True)
class TopicStanding:
    topic: str
    declared: bool
    answers: int
    accepted: int
    score: float


def _answer_scores(session: Session, *, team_id: str, topic_ids: list[int], now: datetime, user_id: str | None = None):
    """(user, topic) -> (answers, accepted, learned score), from live answers in those topics."""
    query = (
        select(Answer.author_id, QuestionTopic.topic_id, Answer.answered_at, Answer.accepted_at)
        .join(Question, Question.id == Answer.question_id)
        .join(QuestionTopic, QuestionTopic.question_id == Question.id)
        .where(
            Answer.team_id == team_id,
            Answer.deleted_at.is_(None),
            Question.asker_id != Answer.author_id,
            QuestionTopic.topic_id.in_(topic_ids),
        )
    )
    if user_id is not None:
        query = query.where(Answer.author_id == user_id)
    scores: dict[tuple[str, int], list] = defaultdict(lambda: [0, 0, 0.0])
    for author, topic_id, answered_at, accepted_at in session.exec(query):
        entry = scores[(author, topic_id)]
        entry[0] += 1
        entry[1] += accepted_at is not None
        entry[2] += (ACCEPTED_WEIGHT if accepted_at is not None else ANSWER_WEIGHT) * _decay(now - answered_at)
    return scores


def profile(session: Session, *, team_id: str, user_id: str, now: datetime | None = None) -> list[TopicStanding]:
    """A person's topics, strongest first: declared ones and those they have answered in."""
    now = now or utcnow()
    declared = {
        t.id: t
        for t in session.exec(
            select(Topic)
            .join(Expertise, Expertise.topic_id == Topic.id)
            .where(Expertise.team_id == team_id, Expertise.user_id == user_id)
        )
    }
    answered_topics = set(
        session.exec(
            select(QuestionTopic.topic_id)
            .join(Answer, Answer.question_id == QuestionTopic.question_id)
            .where(Answer.team_id == team_id, Answer.author_id == user_id, Answer.deleted_at.is_(None))
            .distinct()
        )
    )
    topic_ids = sorted(set(declared) | answered_topics)
    if not topic_ids:
        return []
    names = {t.id: t.name for t in session.exec(select(Topic).where(Topic.team_id == team_id, Topic.id.in_(topic_ids)))}
    scores = _answer_scores(session, team_id=team_id, topic_ids=topic_ids, now=now, user_id=user_id)
    standings = []
    for topic_id in topic_ids:
        answers, accepted, learned = scores.get((user_id, topic_id), (0, 0, 0.0))
        if topic_id not in declared and answers == 0:
            continue  # every answer there was the person's own question
        standings.append(
            TopicStanding(
                topic=names[topic_id],
                declared=topic_id in declared,
                answers=answers,
                accepted=accepted,
                score=learned + (DECLARED_WEIGHT if topic_id in declared else 0.0),
            )
        )
    return sorted(standings, key=lambda s: (-s.score, s.topic.casefold()))


def helpers_for(
    session: Session,
    *,
    team_id: str,
    question_id: int,
    limit: int = MAX_HELPERS,
    daily_limit: int = DEFAULT_DAILY_LIMIT,
    now: datetime | None = None,
) -> list[str]:
    """The people most likely to help with a question, best first (see the module's rules)."""
    now = now or utcnow()
    question = session.exec(select(Question).where(Question.team_id == team_id, Question.id == question_id)).first()
    if question is None or limit <= 0 or daily_limit <= 0:
        return []
    topic_ids = list(
        session.exec(
            select(QuestionTopic.topic_id).where(
                QuestionTopic.team_id == team_id, QuestionTopic.question_id == question_id
            )
        )
    )
    if not topic_ids:
        return []
    score: dict[str, float] = defaultdict(float)
    for user_id in session.exec(
        select(Expertise.user_id).where(Expertise.team_id == team_id, Expertise.topic_id.in_(topic_ids))
    ):
        score[user_id] += DECLARED_WEIGHT
    for (user_id, _topic), (_answers, _accepted, learned) in _answer_scores(
        session, team_id=team_id, topic_ids=topic_ids, now=now
    ).items():
        score[user_id] += learned
    score.pop(question.asker_id, None)
    score.pop(FORMER_MEMBER, None)  # answers kept from people who left (core.erasure)
    if not score:
        return []
    candidates = list(score)
    paused = set(
        session.exec(
            select(HelperPreference.user_id).where(
                HelperPreference.team_id == team_id,
                HelperPreference.user_id.in_(candidates),
                HelperPreference.invitations_paused.is_(True),
            )
        )
    )
    busy = {
        user_id
        for user_id, count in session.exec(
            select(Invitation.user_id, func.count())
            .where(
                Invitation.team_id == team_id,
                Invitation.user_id.in_(candidates),
                Invitation.invited_at > now - timedelta(days=1),
            )
            .group_by(Invitation.user_id)
        )
        if count >= daily_limit
    }
    already = set(
        session.exec(
            select(Invitation.user_id).where(Invitation.team_id == team_id, Invitation.question_id == question_id)
        )
    )
    ranked = sorted((u for u in candidates if u not in paused | busy | already), key=lambda u: (-score[u], u))
    return ranked[:limit]


def invited(session: Session, *, team_id: str, question_id: int) -> list[str]:
    """Who was invited to help with a question, in the order they were chosen."""
    return list(
        session.exec(
            select(Invitation.user_id)
            .where(Invitation.team_id == team_id, Invitation.question_id == question_id)
            .order_by(Invitation.id)
        )
    )


def record_invitations(
    session: Session, *, team_id: str, question_id: int, user_ids: list[str], now: datetime | None = None
) -> list[str]:
    """Note the invitations; returns those not already recorded (a retry invites nobody twice)."""
    now = now or utcnow()
    return [
        user_id
        for user_id in user_ids
        if insert_if_absent(
            session, Invitation, dict(team_id=team_id, question_id=question_id, user_id=user_id, invited_at=now)
        )
    ]
