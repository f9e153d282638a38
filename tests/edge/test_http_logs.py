"""KNOWHOW_LOG_FORMAT=json: one JSON object a line, with the ids that say what it is about, and never
a token, a secret or what people wrote (bot/logs.py), driven through the running app."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot import logs
from bot.service import Knowhow
from core import sessions
from fakeslack import SlackSender
from scheduler import jobs
from storage.db import session_scope
from storage.models import ExpertSession, Question

from ..settle import settle, watch
from .conftest import SECRET

TEAM = "T0FAKETEAM"
# What people wrote: a question with a token pasted in it (it happens), and a reply.
PASTED_TOKEN = "xoxb-2222222222-3333333333-Zq9ProductionBotToken"
QUESTION = f"Why does the deploy bot say invalid_auth with {PASTED_TOKEN} on the purple giraffe cluster?"
REPLY = "Rotate it at once, then restart the marmalade worker"
WORDS_PEOPLE_WROTE = ("purple giraffe", "marmalade", "Zq9ProductionBotToken", "invalid_auth with")


@pytest.fixture
def json_lines(settings):
    """The app's log lines, as `knowhow run` writes them with KNOWHOW_LOG_FORMAT=json."""
    stream = io.StringIO()
    root, bolt = logging.getLogger(), logging.getLogger("slack_bolt")
    levels = root.level, bolt.level
    handler = logs.configure(settings.model_copy(update={"log_format": "json"}), stream=stream)
    yield stream
    root.removeHandler(handler)
    root.setLevel(levels[0])
    bolt.setLevel(levels[1])


@pytest.fixture
def app(settings, json_lines):
    service = Knowhow(settings.model_copy(update={"log_format": "json"}), host="127.0.0.1", outbox_poll_seconds=0.2)
    service.start()
    watch(service)
    yield service
    service.stop()


def test_json_logs_carry_ids_and_never_a_token_a_secret_or_what_people_wrote(app, json_lines, fake_slack):
    slack = SlackSender(f"http://127.0.0.1:{app.http.port}/slack/events", SECRET)
    # A question whose post Slack refuses once (a warning about its outbox row), then posts.
    fake_slack.fail_next("chat.postMessage", status=503)
    assert slack.command("/ask", QUESTION, response_url=fake_slack.response_url("ask")).status == 200
    fake_slack.wait_for("chat.postMessage", 2, timeout=20)
    settle(app, timeout=20)
    with session_scope(app.engine) as s:
        [question] = s.exec(select(Question)).all()
    reply = slack.thread_reply(
        channel=question.channel_id, thread_ts=question.message_ts, ts="1754500000.000300", user="U0HELPER1", text=REPLY
    )
    assert slack.event(reply).status == 200
    # A click Knowhow has no listener for: Bolt warns about it, within the request.
    click = slack.block_actions_payload(user="U0STUDENT1", action_id="no_such_button", value=QUESTION)
    assert slack.interaction(click).status in (200, 404)
    # A session the scheduler opens.
    now = datetime.now(UTC)
    with session_scope(app.engine) as s:
        sessions.designate(s, team_id=TEAM, channel_id="C0EXPERTS1", user_id="U0EXPERT01")
        sid = sessions.schedule(
            s,
            team_id=TEAM,
            organiser_id="U0EXPERT01",
            channel_id="C0EXPERTS1",
            topic="Kubernetes at scale",
            experts=["U0EXPERT01"],
            starts_at=now + timedelta(minutes=5),
            is_admin=True,
            now=now,
        ).id
        s.execute(update(ExpertSession).where(ExpertSession.id == sid).values(starts_at=now - timedelta(seconds=1)))
    jobs.session_alarm(TEAM, sid)
    settle(app, timeout=20)

    lines = json_lines.getvalue().splitlines()
    assert lines
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    for record in records:
        assert {"time", "level", "logger", "message"} <= record.keys(), record
        datetime.fromisoformat(record["time"])
    text = json_lines.getvalue()
    for secret in (SECRET, fake_slack.token, PASTED_TOKEN):
        assert secret not in text
    for words in WORDS_PEOPLE_WROTE:
        assert words not in text, [line for line in lines if words in line]

    retried = [r for r in records if "will be retried" in r["message"]]
    assert retried and retried[0]["outbox_kind"] == "ask.post_question" and retried[0]["team"] == TEAM
    assert isinstance(retried[0]["outbox_id"], int)
    unhandled = [r for r in records if r["logger"].startswith("slack_bolt")]
    assert unhandled and all(r.get("request_kind") == "other" and r["team"] == TEAM for r in unhandled)
    opened = [r for r in records if r.get("session_id") == sid]
    assert opened and opened[0]["team"] == TEAM


def test_a_token_or_secret_in_a_log_message_is_redacted_in_both_formats():
    record = logging.LogRecord(
        "bot.x", logging.WARNING, __file__, 1, "Slack said no to %s (secret %s)", ("xapp-1-A0-123-abc", "s3cr3t"), None
    )
    for log_format in ("json", "text"):
        line = logs.formatter(log_format, secrets=("s3cr3t",)).format(record)
        assert "xapp-1" not in line and "s3cr3t" not in line
        assert line.count(logs.REDACTED) == 2
