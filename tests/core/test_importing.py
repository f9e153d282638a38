"""Importing a knowledge base: good records in, bad ones reported by line, nothing twice."""

from __future__ import annotations

import io
import json

from sqlmodel import select

from core import export, importing
from core.lessons import lessons_for
from core.search import search_questions, similar_questions
from storage.db import session_scope
from storage.models import Question

TEAM = "T0FAKETEAM"


def _lines(*records):
    return [r if isinstance(r, str) else json.dumps(r) for r in records]


GOOD = [
    {
        "id": "faq-1",
        "text": "How do I reset my VPN password?",
        "details": "The portal says expired",
        "topics": ["IT", "it ", "VPN"],
        "asked_at": "2025-03-01T09:00:00Z",
        "asker": "U0OLDASKER",
        "answers": [
            {"text": "Use the self-service portal", "accepted": False, "author": "U0IT1"},
            {
                "text": "Call the helpdesk on 1234",
                "accepted": True,
                "author": "U0IT2",
                "answered_at": "2025-03-01T10:00:00Z",
            },
        ],
    },
    {"id": 42, "text": "Where is the expenses policy?"},
]


def _import(engine, lines, team=TEAM):
    with session_scope(engine) as s:
        return importing.import_jsonl(s, team_id=team, lines=lines)


def test_records_are_imported_with_answers_topics_and_acceptance(engine):
    report = _import(engine, _lines(*GOOD))
    assert (report.imported, report.already, report.problems) == (2, 0, [])
    with session_scope(engine) as s:
        page = search_questions(s, team_id=TEAM, text="vpn password")
        [match] = page.matches
        assert match.state.value == "resolved" and match.answer == "Call the helpdesk on 1234"
        lessons = lessons_for(s, team_id=TEAM, text="I need to reset the VPN password")
        assert lessons and lessons[0].accepted
    out = io.StringIO()
    with session_scope(engine) as s:
        export.write(export.knowledge(s, team_id=TEAM), out, "jsonl")
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in records] == ["faq-1", "42"]  # source ids survive a round trip
    assert records[0]["topics"] == ["IT", "VPN"] and records[0]["asker"] == "U0OLDASKER"
    assert records[1]["asker"] is None and records[1]["answers"] == []


def test_importing_the_same_file_twice_adds_nothing(engine):
    _import(engine, _lines(*GOOD))
    again = _import(engine, _lines(*GOOD))
    assert (again.imported, again.already) == (0, 2)
    with session_scope(engine) as s:
        assert len(s.exec(select(Question)).all()) == 2


def test_an_export_imports_into_another_workspace(engine):
    _import(engine, _lines(*GOOD))
    out = io.StringIO()
    with session_scope(engine) as s:
        export.write(export.knowledge(s, team_id=TEAM), out, "jsonl")
    report = _import(engine, out.getvalue().splitlines(), team="T0NEWTEAM")
    assert report.imported == 2 and report.problems == []
    with session_scope(engine) as s:
        assert similar_questions(s, team_id="T0NEWTEAM", text="vpn password reset")


def test_bad_records_are_reported_by_line_and_skipped(engine):
    lines = _lines(
        GOOD[0],
        "{not json",
        "[1, 2]",
        {"id": "x1"},
        {"id": "x2", "text": "ok", "answers": [{"text": "a", "accepted": True}, {"text": "b", "accepted": True}]},
        {"id": "x3", "text": "ok", "asked_at": "last Tuesday"},
        {"id": "x4", "text": "ok", "topics": "not a list"},
        {"text": "no id"},
        "",
        {"id": "faq-1", "text": "the same id again"},
        {"id": "x5", "text": "x" * 9000},
        {"id": "fine", "text": "A good one after the bad ones"},
    )
    report = _import(engine, lines)
    assert report.imported == 2
    assert [line for line, _ in report.problems] == [2, 3, 4, 5, 6, 7, 8, 10, 11]
    problems = dict(report.problems)
    assert "not valid JSON" in problems[2] and "`text`" in problems[4] and "accepted" in problems[5]
    assert "asked_at" in problems[6] and "earlier in the file" in problems[10]


def test_imported_questions_are_scoped_to_their_workspace(engine):
    _import(engine, _lines(*GOOD), team="T0OTHERTEAM")
    with session_scope(engine) as s:
        assert similar_questions(s, team_id=TEAM, text="vpn password") == []


def test_control_characters_are_dropped_and_an_invisible_question_is_refused_on_both_databases(engine):
    """NUL cannot be stored on PostgreSQL: an import drops control characters as the Slack edge
    does (tabs and line breaks stay), and a question of nothing visible is a bad record."""
    report = _import(
        engine,
        _lines(
            {
                "id": "nul",
                "text": "Where is the\x00 badge\x07 office?\tAsk\nreception",
                "answers": [{"text": "Floor\x00 2"}],
            },
            {"id": "blank", "text": "\u200b\u2060\ufeff"},
        ),
    )
    assert (report.imported, len(report.problems)) == (1, 1)
    assert report.problems[0][0] == 2 and "text" in report.problems[0][1]
    with session_scope(engine) as s:
        [question] = s.exec(select(Question)).all()
        assert question.text == "Where is the badge office?\tAsk\nreception"
