"""Socket Mode: the same listeners, fed envelopes over a WebSocket from the stand-in."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qsl

import pytest
from sqlmodel import select

from fakeslack import SlackSender
from storage.db import session_scope
from storage.models import Answer, Question

from ..settle import settle
from .conftest import QA_CHANNEL

# Wall-clock bounds: run by `make test` in one process, after the others (pyproject.toml's markers).
pytestmark = pytest.mark.timing

SENDER = SlackSender("http://unused", "unused")  # used only to build payloads; nothing is signed


@pytest.fixture
def ack_budget():
    """The product's budget: a stop's drain of acks is bounded by it."""
    from bot.ackbudget import AckBudget

    return AckBudget()


def _command(command, text):
    body = SENDER.command_body(command, text, response_url="http://127.0.0.1:9/unused")
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


def _posted_ts(service, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(service.engine) as s:
            ts = s.exec(select(Question.message_ts)).first()
        if ts:
            return ts
        time.sleep(0.05)
    raise AssertionError("the question was never posted")


def test_commands_and_events_arrive_over_the_socket(socket_knowhow, fake_slack):
    service, server = socket_knowhow
    [opened] = fake_slack.calls_to("apps.connections.open")
    assert opened.headers["authorization"] == "Bearer xapp-1-fake"  # the app token, at SLACK_API_URL

    before = time.monotonic()
    ack = server.send("slash_commands", _command("/ask", "Who runs the design review?"))
    assert "looking for earlier answers" in ack["payload"]["text"]
    # Requests over the socket are marked for the workers too (acks first), as the HTTP front does.
    assert service.workers.activity._last.value >= before
    [post] = fake_slack.wait_for("chat.postMessage")
    assert post.args["channel"] == QA_CHANNEL and "Who runs the design review?" in post.block_text()

    # A thread reply delivered twice (Slack retries over the socket too) is one answer.
    reply = SENDER.thread_reply(
        channel=QA_CHANNEL, thread_ts=_posted_ts(service), ts="1754600000.000100", user="U0HELPER", text="Ask Priya"
    )
    envelope = json.loads(SENDER.event_body(reply, event_id="Ev0SOCKET01"))
    server.send("events_api", envelope)
    server.send("events_api", envelope, retry_attempt=1)
    settle(service)  # stored by the ack, recorded as an answer just after
    with session_scope(service.engine) as s:
        assert [a.text for a in s.exec(select(Answer))] == ["Ask Priya"]

    help_ack = server.send("slash_commands", _command("/ask", "help"))
    assert "/ask" in json.dumps(help_ack["payload"]["blocks"])


def test_socket_mode_serves_health_but_not_the_events_endpoint(socket_knowhow):
    service, _ = socket_knowhow
    base = f"http://127.0.0.1:{service.http.port}"
    with urllib.request.urlopen(base + "/healthz") as answer:
        assert answer.status == 200
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(base + "/slack/events", data=b"{}"))
    assert refused.value.code == 404


def test_a_stop_lets_requests_already_taken_send_their_acks(socket_knowhow, fake_slack):
    """A request the app took before the stop (its listener is running: here waiting on a slow
    Slack, within the ack budget) still gets its ack over the socket: the socket is closed only
    after every request taken has answered."""
    import threading

    service, server = socket_knowhow
    fake_slack.hang(seconds=30)
    calls_before = len(fake_slack.calls)
    acks: list = []
    try:
        sending = threading.Thread(target=lambda: acks.append(server.send("slash_commands", _command("/mentor", ""))))
        sending.start()
        deadline = time.monotonic() + 10
        while len(fake_slack.calls) == calls_before:  # the listener is running, waiting on Slack
            assert time.monotonic() < deadline, "the command never reached its listener"
            time.sleep(0.01)
        service.stop()
        sending.join(15)
    finally:
        fake_slack.release()
    assert len(acks) == 1 and "Slack" in acks[0]["payload"]["text"]
