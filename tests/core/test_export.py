"""Exporting the knowledge base, on both databases."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from core import asking, export
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
    assert "## Where is the <VPN> guide? See the wiki" in text
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
