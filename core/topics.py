"""Topics: free-form, but one topic however people write it, in the whole organisation.

"Kubernetes", "kubernetes " and "#kubernetes" are one topic; so are "machine-learning" and
"Machine Learning", and "runbook" and "runbooks" (a plural is an obvious duplicate of an existing
singular, and the other way round). The first spelling written is the one shown.

An organisation (every workspace of an Enterprise Grid organisation) shares its topics by their
`key`, the normalised form that decides sameness. Each workspace keeps its own topic rows (its
questions, volunteers and lists point at its own), and a topic new to a workspace takes the key
and name the organisation already uses for it ("Runbooks" in Singapore becomes the "Runbook" Paris
wrote first). Pools then match by key (`pooled`): a mentor request in one workspace finds a
volunteer in another, and topics written before the workspaces were known to be one organisation
(or created by two of them at the same moment) match too, which shared ids could not promise.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import case, func
from sqlmodel import Session, select

from storage import workspaces
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


def words(text: str) -> list[str]:
    """The words of any text as topic keys see them (casefolded, split where a topic's key is,
    the punctuation around each dropped): a free-text title such as a session's topic is matched
    against topics with these."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return [w for w in (part.strip(_EDGE_PUNCTUATION) for part in _SEPARATORS.split(text)) if w]


def _same_word(a: str, b: str) -> bool:
    return a == b or a + "s" == b or b + "s" == a  # "runbook" is "runbooks", as topics have it


def names(text_words: list[str], key: str) -> bool:
    """Does a text (its `words`) name the topic of `key`: hold the topic's words in a row?
    "Kubernetes upgrades" names Kubernetes, "Rust tips" names Rust, "Google Docs" does not name Go."""
    topic = words(key)
    n = len(topic)
    return bool(n) and any(
        all(_same_word(a, b) for a, b in zip(text_words[i : i + n], topic, strict=True))
        for i in range(len(text_words) - n + 1)
    )


def named_in(session: Session, *, team_id: str, text: str, limit: int = MAX_TOPICS_PER_QUESTION) -> list[TopicRef]:
    """Existing topics of the organisation that `text` names (`names`), most used first: the
    topics a form suggests for a text someone did not tag (a thread saved as a lesson)."""
    text_words = words(text)
    if not text_words:
        return []
    found = [t for t in suggest(session, team_id=team_id, typed="", limit=500) if names(text_words, t.key)]
    return found[:limit]


def _variants(key: str) -> list[str]:
    """Keys an existing topic may have that make `key` an obvious duplicate of it."""
    variants = [key, key + "s"]
    if key.endswith("s") and len(key) > 3:
        variants.append(key[:-1])
    return variants


def _find_in(session: Session, team_ids: list[str], key: str) -> Topic | None:
    """The topic of these workspaces (the first one's first) that `key` is one of."""
    variants = _variants(key)
    found = session.exec(select(Topic).where(Topic.team_id.in_(team_ids), Topic.key.in_(variants))).all()
    ranked = sorted(found, key=lambda t: (team_ids.index(t.team_id), variants.index(t.key), t.id))
    return ranked[0] if ranked else None


def find(session: Session, *, team_id: str, raw: str, organisation: bool = False) -> TopicRef | None:
    """The workspace's existing topic `raw` names, if any (with `organisation`: else the one
    another workspace of its organisation has)."""
    teams = workspaces.pool(session, team_id=team_id) if organisation else [team_id]
    row = _find_in(session, teams, normalise(raw).key)
    return _ref(row) if row is not None else None


def resolve(session: Session, *, team_id: str, raw: str, created_by: str | None = None) -> TopicRef:
    """The workspace's topic `raw` names, created if it has none like it (safe under races),
    with the key and name another workspace of its organisation already uses for it."""
    existing = find(session, team_id=team_id, raw=raw)
    if existing is not None:
        return existing
    wanted = normalise(raw)
    elsewhere = _find_in(session, workspaces.pool(session, team_id=team_id)[1:], wanted.key)
    key, name = (elsewhere.key, elsewhere.name) if elsewhere is not None else (wanted.key, wanted.name)
    insert_if_absent(session, Topic, dict(team_id=team_id, key=key, name=name, created_by=created_by))
    return _ref(session.exec(select(Topic).where(Topic.team_id == team_id, Topic.key == key)).one())


def pooled(session: Session, *, team_id: str, topic_ids: list[int]) -> list[int]:
    """These topics (of `team_id`'s organisation) as every workspace of the organisation has them:
    the ids of all its topics with the same keys, these included."""
    if not topic_ids:
        return []
    pool = workspaces.pool(session, team_id=team_id)
    keys = select(Topic.key).where(Topic.team_id.in_(pool), Topic.id.in_(topic_ids))
    return sorted(session.exec(select(Topic.id).where(Topic.team_id.in_(pool), Topic.key.in_(keys))).all())


def name_in_pool(session: Session, *, team_id: str, topic_id: int) -> str | None:
    """The name of a topic of `team_id`'s organisation (a mentorship's may be another workspace's)."""
    pool = workspaces.pool(session, team_id=team_id)
    return session.exec(select(Topic.name).where(Topic.team_id.in_(pool), Topic.id == topic_id)).first()


def resolve_all(session: Session, *, team_id: str, raws: list[str], created_by: str | None = None) -> list[TopicRef]:
    """Several topic names as topics, each once, in the order given; at most
    MAX_TOPICS_PER_QUESTION (raises TopicError beyond, or for a bad name). Every name is checked
    before any topic is created: a refusal creates none."""
    if len({normalise(raw).key for raw in raws}) > MAX_TOPICS_PER_QUESTION:
        raise TopicError(f"Choose at most {MAX_TOPICS_PER_QUESTION} topics.")
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
    """Existing topics of the organisation for a picker: those containing what was typed, most
    used first, each key once (as the workspace itself has it, when it does)."""
    pool = workspaces.pool(session, team_id=team_id)
    uses = (
        select(Topic.key, func.count().label("uses"))
        .select_from(QuestionTopic)
        .join(Topic, Topic.id == QuestionTopic.topic_id)
        .where(QuestionTopic.team_id.in_(pool))
        .group_by(Topic.key)
        .subquery()
    )
    query = (
        select(Topic)
        .outerjoin(uses, uses.c.key == Topic.key)
        .where(Topic.team_id.in_(pool))
        .order_by(
            func.coalesce(uses.c.uses, 0).desc(), Topic.key, case((Topic.team_id == team_id, 0), else_=1), Topic.id
        )
        .limit(limit * min(len(pool), 5))
    )
    try:
        key = normalise(typed).key if typed.strip() else ""
    except TopicError:
        key = ""
    if key:
        pattern = "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Topic.key.like(pattern, escape="\\"))
    found: dict[str, TopicRef] = {}
    for row in session.exec(query):
        found.setdefault(row.key, _ref(row))
    return list(found.values())[:limit]
