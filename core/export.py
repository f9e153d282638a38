"""The knowledge base as files: every posted question with its live answers.

Formats: JSON Lines (one question a line; what `knowhow import` will read), CSV (one row per
answer, a question without answers on a row of its own), and Markdown (for reading or a wiki).
Text is exported as people wrote it: Slack's `&amp;`/`&lt;`/`&gt;` unescaped and links as their
labels. The files are opened by spreadsheets and wikis, so what people wrote must not run there:
a CSV cell that a spreadsheet would read as a formula starts with a `'` (`formula_safe`), and
Markdown shows HTML as text (`_markdown_text`). JSON Lines, read by programs and by `knowhow
import`, holds the text unchanged.

What is exported: the knowledge base of one workspace's whole organisation (every workspace of an
Enterprise Grid organisation; `workspace_only` for that workspace alone), or of every workspace
(the operator's full dump). A file is read by whoever it reaches, so questions of conversations
that are not public channels (storage.channels) are left out unless the operator asks for them
(`include_private`). Each question keeps its workspace and its permalink, which opens there.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import TextIO
from urllib.parse import urlsplit

from sqlalchemy import exists, or_
from sqlmodel import Session, select

from core.importing import source_id
from storage import channels, workspaces
from storage.erasure import FORMER_MEMBER, FORMER_MEMBER_TEXT
from storage.models import Answer, Channel, Question, QuestionTopic, Topic
from storage.search import plain

FORMATS = ("jsonl", "csv", "markdown")

# What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"), and the full-width
# forms some spreadsheets take as the same characters.
FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")


@dataclass
class ExportedAnswer:
    text: str
    author: str
    answered_at: str
    accepted: bool = False


@dataclass
class ExportedQuestion:
    id: str
    team_id: str
    text: str
    asker: str | None  # None for anonymous questions
    asked_at: str
    permalink: str | None
    details: str | None = None
    topics: list[str] = field(default_factory=list)
    answers: list[ExportedAnswer] = field(default_factory=list)


def knowledge(
    session: Session,
    *,
    team_id: str | None = None,
    batch: int = 500,
    workspace_only: bool = False,
    include_private: bool = False,
) -> Iterator[ExportedQuestion]:
    """Posted questions, oldest first, each with its live answers in order: of `team_id`'s
    organisation (its workspace alone with `workspace_only`), or of every workspace."""
    teams = None
    if team_id is not None:
        teams = [team_id] if workspace_only else workspaces.pool(session, team_id=team_id)
    query = _scoped(select(Question).where(Question.status == "posted"), Question.team_id, teams)
    if not include_private:
        public = exists().where(
            Channel.team_id == Question.team_id, Channel.channel_id == Question.channel_id, Channel.private.is_(False)
        )
        query = query.where(or_(Question.channel_id == channels.IMPORTED, public))
    last_id = 0
    while True:
        questions = list(session.exec(query.where(Question.id > last_id).order_by(Question.id).limit(batch)))
        if not questions:
            return
        last_id = questions[-1].id
        answers: dict[int, list[ExportedAnswer]] = {}
        ids = [q.id for q in questions]
        for answer in session.exec(
            _scoped(
                select(Answer)
                .where(Answer.question_id.in_(ids), Answer.deleted_at.is_(None))
                .order_by(Answer.answered_at, Answer.message_ts),
                Answer.team_id,
                teams,
            )
        ):
            answers.setdefault(answer.question_id, []).append(
                ExportedAnswer(
                    text=plain(answer.text),
                    author=answer.author_id,
                    answered_at=answer.answered_at.isoformat(),
                    accepted=answer.accepted_at is not None,
                )
            )
        topics: dict[int, list[str]] = {}
        for question_id, name in session.exec(
            _scoped(
                select(QuestionTopic.question_id, Topic.name)
                .join(Topic, Topic.id == QuestionTopic.topic_id)
                .where(QuestionTopic.question_id.in_(ids))
                .order_by(Topic.name),
                QuestionTopic.team_id,
                teams,
            )
        ):
            topics.setdefault(question_id, []).append(name)
        for q in questions:
            yield ExportedQuestion(
                id=source_id(q) or str(q.id),
                team_id=q.team_id,
                text=plain(q.text),
                asker=None if q.anonymous else q.asker_id,
                asked_at=q.created_at.isoformat(),
                permalink=q.permalink,
                details=plain(q.details) if q.details else None,
                topics=topics.get(q.id, []),
                answers=answers.get(q.id, []),
            )


def _scoped(query, column, teams: list[str] | None):
    """These workspaces' rows; or every workspace's, when the operator exports them all (the CLI)."""
    return query.where(column.in_(teams)) if teams is not None else query.execution_options(all_workspaces=True)


def write(items: Iterator[ExportedQuestion], out: TextIO, fmt: str) -> int:
    """Write the questions to `out` in `fmt`; returns how many."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    count = 0
    writer = None
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(
            [
                "question_id",
                "team_id",
                "asked_at",
                "asker",
                "question",
                "details",
                "topics",
                "permalink",
                "answer_author",
                "answered_at",
                "accepted",
                "answer",
            ]
        )
    for item in items:
        count += 1
        if fmt == "jsonl":
            out.write(json.dumps(asdict(item), ensure_ascii=False) + "\n")
        elif fmt == "csv":
            head = [
                item.id,
                item.team_id,
                item.asked_at,
                item.asker or "",
                item.text,
                item.details or "",
                "; ".join(item.topics),
                item.permalink or "",
            ]
            for answer in item.answers or [None]:
                tail = (
                    ["", "", "", ""]
                    if answer is None
                    else [answer.author, answer.answered_at, str(answer.accepted).lower(), answer.text]
                )
                writer.writerow([formula_safe(cell) for cell in head + tail])
        else:
            out.write(_markdown(item))
    return count


def _formula_like(cell: str) -> bool:
    """A cell a spreadsheet would run: a formula character first, also after leading blanks (some
    spreadsheets trim them), or a tab or carriage return first; or a cell that starts with the `'`
    of `formula_safe` before one of those, so that taking one `'` off always gives the text back."""
    if cell[:1] in ("\t", "\r") or cell.lstrip()[:1] in FORMULA_STARTS:
        return True
    return cell[:1] == "'" and _formula_like(cell[1:])


def formula_safe(cell: str) -> str:
    """The cell as a spreadsheet shows it as text: a `'` before a cell it would read as a formula.
    A reader gets the text back by taking the first `'` off a cell whose rest would still be one."""
    return "'" + cell if _formula_like(cell) else cell


# Raw HTML in Markdown (CommonMark and the older Markdown.pl alike) opens with `<` before a letter,
# `/`, `!` or `?` (tags, comments, declarations, processing instructions, autolinks); an entity is
# `&name;` or `&#...;`. Anything else of `<` and `&` is shown as it is.
_MARKUP_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#[0-9]+;|#[xX][0-9A-Fa-f]+;|[A-Za-z][A-Za-z0-9]*;)")


def _markdown_text(text: str) -> str:
    """What a person wrote, shown as text in Markdown: `<script>` reads as `<script>` and never runs,
    `&lt;` reads as `&lt;`, while `Q&A` and `a < b` stay as they are."""
    return _MARKUP_OPEN.sub("&lt;", _ENTITY.sub("&amp;", text))


def _link(url: str | None) -> str | None:
    """A permalink as a Markdown link target: http(s) only, and nothing that could end it early."""
    if not url or urlsplit(url).scheme.lower() not in ("http", "https"):
        return None
    if any(c.isspace() or c in "<>()[]\"'`\\" for c in url):
        return None
    return url


def _person(user_id: str) -> str:
    """Who wrote something, for a reader: their Slack id, or "a former member" for someone Knowhow
    forgot (core.erasure). JSON Lines and CSV keep the id itself, which `knowhow import` reads back."""
    return FORMER_MEMBER_TEXT if user_id == FORMER_MEMBER else user_id


def _markdown(item: ExportedQuestion) -> str:
    title = " ".join(item.text.split())[:120]
    lines = [f"## {_markdown_text(title)}", ""]
    if title != item.text.strip():
        lines += [_markdown_text(item.text.strip()), ""]
    if item.details:
        lines += [_markdown_text(item.details.strip()), ""]
    asker = _markdown_text(_person(item.asker)) if item.asker else None
    meta = f"Asked {item.asked_at[:10]}" + (f" by {asker}" if asker else " anonymously")
    if item.topics:
        meta += " · " + ", ".join(_markdown_text(topic) for topic in item.topics)
    if link := _link(item.permalink):
        meta += f" · [in Slack]({link})"
    lines += [f"*{meta}*", ""]
    if not item.answers:
        lines += ["_No answers yet._", ""]
    for answer in item.answers:
        mark = " (accepted)" if answer.accepted else ""
        lines += [f"**{_markdown_text(_person(answer.author))}**{mark}, {answer.answered_at[:10]}:", ""]
        lines += ["> " + line for line in _markdown_text(answer.text.strip()).splitlines() or [""]]
        lines.append("")
    return "\n".join(lines) + "\n"
