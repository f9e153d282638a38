"""The mentoring topic list: the topics people volunteer and ask in. Admins curate it; anyone may
suggest a topic, and a protégé's own topic stays off it (a request is private)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, select

from core import topics
from core.mentoring.shared import OPEN_REQUEST, TopicInfo
from storage.models import MentoringTopic, MentorRequest, Topic
from storage.upsert import insert_if_absent


def topic_list(session: Session, *, team_id: str) -> list[TopicInfo]:
    """The topics people can volunteer and ask in: curated ones first, then suggestions."""
    rows = session.exec(
        select(Topic.id, Topic.name, MentoringTopic.curated)
        .join(MentoringTopic, (MentoringTopic.topic_id == Topic.id) & (MentoringTopic.team_id == Topic.team_id))
        .where(MentoringTopic.team_id == team_id)
        .order_by(MentoringTopic.curated.desc(), Topic.key)
    )
    return [TopicInfo(*row) for row in rows]


def add_topic(session: Session, *, team_id: str, raw: str, user_id: str, curated: bool) -> tuple[TopicInfo, bool]:
    """Put a topic on the list (an admin curates; anyone may suggest). Returns the topic and
    whether anything changed. Raises topics.TopicError for a name that cannot be a topic."""
    topic = topics.resolve(session, team_id=team_id, raw=raw, created_by=user_id)
    row = session.get(MentoringTopic, (team_id, topic.id))
    if row is None:
        insert_if_absent(
            session, MentoringTopic, dict(team_id=team_id, topic_id=topic.id, curated=curated, added_by=user_id)
        )
        return TopicInfo(topic.id, topic.name, curated), True
    if curated and not row.curated:
        row.curated = True
        session.add(row)
        return TopicInfo(topic.id, topic.name, True), True
    return TopicInfo(topic.id, topic.name, row.curated), False


def request_topic(session: Session, *, team_id: str, raw: str, user_id: str) -> TopicInfo:
    """A topic a protégé names while asking for a mentor. It is NOT put on the mentoring list (a
    request is private, and its topic could say more than the person wants): the request can
    use it (`ask_for_mentor(..., unlisted_ok=True)`), and a volunteer who suggests the same
    topic is matched to it, but it appears in the topic list, the volunteer form and the calls
    for volunteers only once an admin adds it (or a volunteer suggests it). Raises
    topics.TopicError for a name that cannot be a topic."""
    topic = topics.resolve(session, team_id=team_id, raw=raw, created_by=user_id)
    row = session.get(MentoringTopic, (team_id, topic.id))
    return TopicInfo(topic.id, topic.name, bool(row and row.curated))


def unlisted_requested(session: Session, *, team_id: str) -> list[str]:
    """Topics of open requests that are not on the mentoring list (named by protégés): for an
    admin to curate. Names only, never who asked."""
    listed = select(MentoringTopic.topic_id).where(MentoringTopic.team_id == team_id)
    return list(
        session.exec(
            select(Topic.name)
            .join(MentorRequest, MentorRequest.topic_id == Topic.id)
            .where(MentorRequest.team_id == team_id, MentorRequest.state.in_(OPEN_REQUEST), Topic.id.not_in(listed))
            .group_by(Topic.name, Topic.key)
            .order_by(Topic.key)
        )
    )


def remove_topic(session: Session, *, team_id: str, raw: str) -> str | None:
    """Take a topic off the list (offers and requests already in it carry on). The topic's name,
    or None when it was not on the list."""
    topic = topics.find(session, team_id=team_id, raw=raw)
    if topic is None:
        return None
    gone = session.execute(
        delete(MentoringTopic)
        .where(MentoringTopic.team_id == team_id, MentoringTopic.topic_id == topic.id)
        .returning(MentoringTopic.topic_id)
    ).first()
    return topic.name if gone else None
