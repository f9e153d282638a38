"""Importing a knowledge base: what `knowhow export --format jsonl` writes, or another tool's
history in the same shape, into one workspace.

A record is a JSON object on one line: `id` (kept as the question's source id) and `text` are
required; `details`, `topics`, `answers` (each with `text`, and optional `accepted`, `author`,
`answered_at`), `asked_at`, `asker` and `permalink` are optional. Bad records are reported by
line number and skipped; the good ones go in one transaction, so an import is all or nothing
for them. A record whose source id the workspace already holds is skipped, so importing the same
file twice adds nothing the second time.

Imported questions are searchable and suggested like any other. They were never posted by
Knowhow, so they have no Slack post to update and are never followed up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session

from core import topics as topic_rules
from core.accepting import NO_POST
from core.asking import MAX_DETAILS_CHARS, MAX_QUESTION_CHARS
from core.clock import utcnow
from core.markup import escape, is_blank, without_controls
from storage import qa
from storage import search as search_index
from storage.models import Answer, Question, QuestionTopic
from storage.upsert import insert_if_absent

SOURCE_PREFIX = "import:"  # imported questions' request_id: the prefix, then the source id
MAX_SOURCE_ID_CHARS = 120
MAX_ANSWERS = 200


def source_id(question: Question) -> str | None:
    """The id a question had where it was imported from (None if it was asked in Slack)."""
    if question.request_id and question.request_id.startswith(SOURCE_PREFIX):
        return question.request_id[len(SOURCE_PREFIX) :]
    return None


@dataclass(frozen=True)
class ImportedAnswer:
    text: str
    accepted: bool
    author: str
    answered_at: datetime


@dataclass(frozen=True)
class Record:
    line: int
    source_id: str
    text: str
    details: str | None
    topics: list[str]
    answers: list[ImportedAnswer]
    asked_at: datetime
    asker: str | None
    permalink: str | None


@dataclass
class ImportReport:
    imported: int = 0
    already: int = 0  # source ids the workspace already held
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line number, what is wrong)


class BadRecord(ValueError):
    pass


def _text(value, name: str, limit: int, required: bool = False) -> str | None:
    """A text of the record, without control characters (as the Slack edge keeps them out:
    `core.markup.without_controls`); one that shows nothing counts as missing."""
    if isinstance(value, str):
        value = without_controls(value)
    if value is None or (isinstance(value, str) and is_blank(value)):
        if required:
            raise BadRecord(f"`{name}` is missing or empty")
        return None
    if not isinstance(value, str):
        raise BadRecord(f"`{name}` must be a string")
    if len(value) > limit:
        raise BadRecord(f"`{name}` is longer than {limit:,} characters")
    return value.strip()


def _when(value, name: str, default: datetime) -> datetime:
    if value is None:
        return default
    if not isinstance(value, str):
        raise BadRecord(f"`{name}` must be an ISO 8601 date and time")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRecord(f"`{name}` is not an ISO 8601 date and time: {value[:40]!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_record(line_number: int, line: str, now: datetime) -> Record:
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise BadRecord(f"not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise BadRecord("not a JSON object")
    raw_id = data.get("id")
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)
    ident = _text(raw_id, "id", MAX_SOURCE_ID_CHARS, required=True)
    text = _text(data.get("text"), "text", MAX_QUESTION_CHARS, required=True)
    details = _text(data.get("details"), "details", MAX_DETAILS_CHARS)
    raw_topics = data.get("topics") or []
    if not isinstance(raw_topics, list) or not all(isinstance(t, str) for t in raw_topics):
        raise BadRecord("`topics` must be a list of strings")
    try:
        names = list(dict.fromkeys(topic_rules.normalise(t).key for t in raw_topics))
    except topic_rules.TopicError as exc:
        raise BadRecord(f"a topic is unusable: {exc}") from None
    if len(names) > topic_rules.MAX_TOPICS_PER_QUESTION:
        raise BadRecord(f"more than {topic_rules.MAX_TOPICS_PER_QUESTION} topics")
    asked_at = _when(data.get("asked_at"), "asked_at", now)
    raw_answers = data.get("answers") or []
    if not isinstance(raw_answers, list) or len(raw_answers) > MAX_ANSWERS:
        raise BadRecord(f"`answers` must be a list of at most {MAX_ANSWERS}")
    answers = []
    for n, raw in enumerate(raw_answers, 1):
        if not isinstance(raw, dict):
            raise BadRecord(f"answer {n} is not a JSON object")
        answers.append(
            ImportedAnswer(
                text=_text(raw.get("text"), f"answers[{n}].text", MAX_QUESTION_CHARS, required=True),
                accepted=raw.get("accepted") is True,
                author=_text(raw.get("author"), f"answers[{n}].author", 32) or "",
                answered_at=_when(raw.get("answered_at"), f"answers[{n}].answered_at", asked_at),
            )
        )
    if sum(a.accepted for a in answers) > 1:
        raise BadRecord("more than one accepted answer")
    return Record(
        line=line_number,
        source_id=ident,
        text=text,
        details=details,
        topics=raw_topics,
        answers=answers,
        asked_at=asked_at,
        asker=_text(data.get("asker"), "asker", 32),
        permalink=_text(data.get("permalink"), "permalink", 500),
    )


def import_jsonl(session: Session, *, team_id: str, lines: Iterable[str], now: datetime | None = None) -> ImportReport:
    """Import every good record of `lines` into `team_id`, in the caller's transaction."""
    now = now or utcnow()
    report = ImportReport()
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = parse_record(number, line, now)
        except BadRecord as exc:
            report.problems.append((number, str(exc)))
            continue
        if record.source_id in seen:
            report.problems.append((number, f"id {record.source_id!r} appears earlier in the file"))
            continue
        seen.add(record.source_id)
        if _store(session, team_id, record, now):
            report.imported += 1
        else:
            report.already += 1
    return report


def _store(session: Session, team_id: str, record: Record, now: datetime) -> bool:
    created = insert_if_absent(
        session,
        Question,
        dict(
            team_id=team_id,
            asker_id=record.asker or "",
            anonymous=record.asker is None,
            text=escape(record.text),  # files hold plain text; stored text is Slack mrkdwn
            details=escape(record.details) if record.details else None,
            channel_id="",
            status="posted",
            request_id=SOURCE_PREFIX + record.source_id,
            permalink=record.permalink,
            created_at=record.asked_at,
            posted_at=record.asked_at,
            followed_up_at=now,  # never raised again: nobody in Slack is waiting on it
            shown_state=NO_POST,  # never posted by Knowhow: no post to update
        ),
    )
    if not created:
        return False
    question = qa.find_by_request(session, team_id=team_id, request_id=SOURCE_PREFIX + record.source_id)
    topics = topic_rules.resolve_all(session, team_id=team_id, raws=record.topics)
    for topic in topics:
        session.add(QuestionTopic(question_id=question.id, topic_id=topic.id, team_id=team_id))
    for n, answer in enumerate(record.answers, 1):
        session.add(
            Answer(
                team_id=team_id,
                question_id=question.id,
                message_ts=f"{SOURCE_PREFIX}{n}",
                author_id=answer.author,
                text=escape(answer.text),
                answered_at=answer.answered_at,
                accepted_at=answer.answered_at if answer.accepted else None,
                accepted_by=(record.asker or "") if answer.accepted else None,
            )
        )
    session.flush()
    search_index.reindex_question(session, team_id=team_id, question_id=question.id)
    return True
