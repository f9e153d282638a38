"""Workspace topics: free-form, but one topic however people write it.

"Kubernetes", "kubernetes " and "#kubernetes" are one topic; so are "machine-learning" and
"Machine Learning", and "runbook" and "runbooks" (a plural is an obvious duplicate of an existing
singular, and the other way round). The first spelling written is the one shown.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from storage.models import QuestionTopic, Topic
from storage.upsert import insert_if_absent

MAX_TOPIC_CHARS = 50
MAX_TOPICS_PER_QUESTION = 5
_SEPARATORS = re.compile(r"[\s_\-–—/]+")
_EDGE_PUNCTUATION = "#.,;:!?'\"`*()[]{}<>@&"


class TopicError(ValueError):
    """A topic name that cannot be one (empty, or too long); the message says which."""


@dataclass(frozen=True)
class TopicRef:
    """A workspace topic as plain data (safe to use after its database session closed)."""

    id: int
    team_id: str
    key: str
    name: str


def _ref(row: Topic) -> TopicRef:
    return TopicRef(id=row.id, team_id=row.team_id, key=row.key, name=row.name)


@dataclass(frozen=True)
class TopicName:
    key: str  # what decides sameness
    name: str  # as written, tidied


def normalise(raw: str) -> TopicName:
    """The key and display form of a topic name."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")  # no control characters
    name = " ".join(text.split()).strip(_EDGE_PUNCTUATION + " ")
    if not name:
        raise TopicError("A topic needs at least one letter or digit.")
    if len(name) > MAX_TOPIC_CHARS:
        raise TopicError(f"“{name[:MAX_TOPIC_CHARS]}…” is too long for a topic ({MAX_TOPIC_CHARS} characters at most).")
    key = " ".join(_SEPARATORS.sub(" ", name.casefold()).split())
    return TopicName(key=key, name=name)


def _variants(key: str) -> list[str]:
    """Keys an existing topic may have that make `key` an obvious duplicate of it."""
    variants = [key, key + "s"]
    if key.endswith("s") and len(key) > 3:
        variants.append(key[:-1])
    return variants


def find(session: Session, *, team_id: str, raw: str) -> TopicRef | None:
    """The existing topic `raw` names, if any."""
    wanted = normalise(raw)
    candidates = {
        t.key: t
        for t in session.exec(select(Topic).where(Topic.team_id == team_id, Topic.key.in_(_variants(wanted.key))))
    }
    for key in _variants(wanted.key):
        if key in candidates:
            return _ref(candidates[key])
    return None


def resolve(session: Session, *, team_id: str, raw: str, created_by: str | None = None) -> TopicRef:
    """The topic `raw` names, created if the workspace has none like it (safe under races)."""
    existing = find(session, team_id=team_id, raw=raw)
    if existing is not None:
        return existing
    wanted = normalise(raw)
    insert_if_absent(session, Topic, dict(team_id=team_id, key=wanted.key, name=wanted.name, created_by=created_by))
    return _ref(session.exec(select(Topic).where(Topic.team_id == team_id, Topic.key == wanted.key)).one())


def resolve_all(session: Session, *, team_id: str, raws: list[str], created_by: str | None = None) -> list[TopicRef]:
    """Several topic names as topics, each once, in the order given; at most
    MAX_TOPICS_PER_QUESTION (raises TopicError beyond, or for a bad name)."""
    topics: dict[int, TopicRef] = {}
    for raw in raws:
        topic = resolve(session, team_id=team_id, raw=raw, created_by=created_by)
        topics.setdefault(topic.id, topic)
    if len(topics) > MAX_TOPICS_PER_QUESTION:
        raise TopicError(f"Choose at most {MAX_TOPICS_PER_QUESTION} topics.")
    return list(topics.values())


def tag_question(session: Session, *, team_id: str, question_id: int, topics: list[TopicRef]) -> None:
    for topic in topics:
        insert_if_absent(session, QuestionTopic, dict(question_id=question_id, topic_id=topic.id, team_id=team_id))


def of_question(session: Session, *, team_id: str, question_id: int) -> list[TopicRef]:
    return [
        _ref(row)
        for row in session.exec(
            select(Topic)
            .join(QuestionTopic, QuestionTopic.topic_id == Topic.id)
            .where(QuestionTopic.team_id == team_id, QuestionTopic.question_id == question_id)
            .order_by(Topic.name)
        )
    ]


def suggest(session: Session, *, team_id: str, typed: str, limit: int = 20) -> list[TopicRef]:
    """Existing topics for a picker: those containing what was typed, most used first."""
    uses = (
        select(QuestionTopic.topic_id, func.count().label("uses"))
        .where(QuestionTopic.team_id == team_id)
        .group_by(QuestionTopic.topic_id)
        .subquery()
    )
    query = (
        select(Topic)
        .outerjoin(uses, uses.c.topic_id == Topic.id)
        .where(Topic.team_id == team_id)
        .order_by(func.coalesce(uses.c.uses, 0).desc(), Topic.key)
        .limit(limit)
    )
    try:
        key = normalise(typed).key if typed.strip() else ""
    except TopicError:
        key = ""
    if key:
        pattern = "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Topic.key.like(pattern, escape="\\"))
    return [_ref(row) for row in session.exec(query)]
