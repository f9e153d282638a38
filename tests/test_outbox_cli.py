"""`knowhow outbox`: the operator lists the messages that failed for good and puts them back in
the queue, idempotently, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot import cli
from core.clock import utcnow
from storage import migrate, outbox
from storage.db import make_engine, session_scope
from storage.models import OutboxMessage


@pytest.fixture
def run(database_url, monkeypatch, tmp_path, capsys):
    """`knowhow ARGS...` in this process: (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)

    def knowhow(*args: str) -> tuple[int, str, str]:
        code = cli.main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return knowhow


def _dead_letter(engine, team_id: str, key: str, kind: str, error: str, to: str | None = None, **payload) -> int:
    with session_scope(engine) as session:
        outbox.enqueue(session, team_id=team_id, dedupe_key=key, kind=kind, payload=payload)
    with session_scope(engine) as session:
        [item] = [i for i in outbox.claim_due(session, now=utcnow(), lease=timedelta(minutes=5)) if i.dedupe_key == key]
        outbox.mark_failed(session, item=item, error=error, to=to)
        return item.id


def _status(engine, row_id: int) -> str:
    with session_scope(engine) as session:
        return session.exec(select(OutboxMessage.status).where(OutboxMessage.id == row_id)).one()


def test_nothing_failed(run):
    assert run("outbox") == (0, "", "No message failed for good.\n")


def test_the_list_says_what_to_whom_when_and_why_and_nothing_a_message_says(run, engine):
    first = _dead_letter(
        engine, "T0AAAAAAAA", "question:1:post", "ask.post_question", "channel_not_found", "C0QA", question_id=1
    )
    second = _dead_letter(
        engine,
        "T0BBBBBBBB",
        "mentorship:2:intro",
        "mentor.intro",
        "could not introduce them about their burnout",
        "U0ONE,U0TWO",
        mentorship_id=2,
    )
    code, out, err = run("outbox")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split("\t") == ["id", "kind", "workspace", "to", "failed at", "why"]
    assert [row.split("\t")[:4] for row in rows] == [
        [str(second), "mentor.intro", "T0BBBBBBBB", "U0ONE,U0TWO"],  # newest failure first
        [str(first), "ask.post_question", "T0AAAAAAAA", "C0QA"],
    ]
    assert rows[0].split("\t")[5] == "not shown (mentoring is private)"
    assert rows[1].split("\t")[5] == "channel_not_found"
    assert rows[1].split("\t")[4].endswith("Z")
    assert "burnout" not in out
    assert "2 messages failed for good" in err and "knowhow outbox retry ID" in err

    code, out, _ = run("outbox", "--team", "T0AAAAAAAA")
    assert [row.split("\t")[0] for row in out.splitlines()[1:]] == [str(first)]


def test_retry_puts_a_message_back_once(run, engine):
    row = _dead_letter(engine, "T0AAAAAAAA", "session:3:opened", "session.opened", "is_archived", "C0S", session_id=3)
    assert run("outbox", "retry", str(row)) == (
        0,
        f"Put 1 message back in the queue: {row}. A running Knowhow sends them within a few seconds.\n",
        "",
    )
    assert _status(engine, row) == "pending"

    code, out, _ = run("outbox", "retry", str(row))
    assert code == 0 and out.startswith("Put 0 messages back in the queue.")
    assert f"Not put back: {row} (retried already" in out


def test_retry_all_of_one_workspace(run, engine):
    mine = _dead_letter(engine, "T0AAAAAAAA", "session:3:opened", "session.opened", "is_archived", session_id=3)
    theirs = _dead_letter(engine, "T0BBBBBBBB", "session:4:opened", "session.opened", "is_archived", session_id=4)
    request = _dead_letter(engine, "T0AAAAAAAA", "cmd:x", "work.ask", "internal error: ValueError", user_id="U0X")
    code, out, _ = run("outbox", "retry", "--all", "--team", "T0AAAAAAAA")
    assert code == 0 and out.startswith(f"Put 1 message back in the queue: {mine}.")
    assert [_status(engine, r) for r in (mine, theirs, request)] == ["pending", "failed", "failed"]


@pytest.mark.parametrize("args", [("retry",), ("retry", "abc"), ("retry", "0"), ("retry", "9" * 30)])
def test_retry_needs_real_ids(run, args):
    if args == ("retry",):
        code, _, err = run("outbox", *args)
        assert code == 2 and "name the messages to retry (their ids), or --all" in err
        return
    with pytest.raises(SystemExit) as exited:
        run("outbox", *args)
    assert exited.value.code == 2


def test_an_unmigrated_database_is_said(run, monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine, "0016")
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    code, _, err = run("outbox")
    assert code == 2 and "run `knowhow migrate` first" in err
