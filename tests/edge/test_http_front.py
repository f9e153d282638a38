"""The HTTP front itself: how a body is read (Content-Length or chunked) and which signed bodies
reach Bolt at all (only what Slack sends: Events API envelopes as JSON, slash commands and
interactions form-encoded, and its ssl_check)."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlmodel import select

from bot.server import MAX_BODY_BYTES
from storage.db import session_scope
from storage.models import Answer, OutboxMessage, Question

from ..settle import settle
from .conftest import QA_CHANNEL

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def _state(knowhow):
    with session_scope(knowhow.engine) as s:
        return (
            len(list(s.exec(select(Question)))),
            len(list(s.exec(select(Answer)))),
            len(list(s.exec(select(OutboxMessage)))),
        )


def _questions(knowhow):
    with session_scope(knowhow.engine) as s:
        return [q.text for q in s.exec(select(Question).order_by(Question.id))]


def _chunked(knowhow, body: bytes, headers: dict[str, str], pieces: int = 3) -> tuple[int, bytes]:
    """POST `body` with `Transfer-Encoding: chunked` (no Content-Length), in `pieces` chunks."""
    size = max(1, -(-len(body) // pieces))
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    connection = http.client.HTTPConnection("127.0.0.1", knowhow.http.port, timeout=10)
    try:
        connection.request("POST", "/slack/events", body=iter(chunks), headers=headers, encode_chunked=True)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def _raw(knowhow, request: bytes) -> bytes:
    """Send bytes as they are and read the answer until the server closes or stops talking."""
    with socket.create_connection(("127.0.0.1", knowhow.http.port), timeout=5) as sock:
        # The server may answer and close before taking it all: then read what it said.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        answer = b""
        try:
            while data := sock.recv(65536):
                answer += data
        except (TimeoutError, ConnectionResetError):
            pass
    return answer


# -- chunked bodies -------------------------------------------------------------------------


def test_a_signed_command_sent_chunked_is_read_and_posts_the_question(knowhow, slack, fake_slack):
    body = slack.command_body("/ask", "Who runs the chunked VPN?", response_url=fake_slack.response_url("ask"))
    headers = {"Content-Type": FORM, **slack.sign(body)}
    status, answer = _chunked(knowhow, body, headers)
    assert status == 200, answer
    assert "Got it" in json.loads(answer)["text"]
    [post] = fake_slack.wait_for("chat.postMessage")
    assert post.args["channel"] == QA_CHANNEL and "Who runs the chunked VPN?" in post.block_text()


def test_a_signed_event_sent_chunked_in_one_byte_chunks_is_read(knowhow, slack):
    body = json.dumps({"token": "x", "challenge": "chunked-challenge", "type": "url_verification"}).encode()
    status, answer = _chunked(knowhow, body, {"Content-Type": JSON, **slack.sign(body)}, pieces=len(body))
    assert (status, json.loads(answer)) == (200, {"challenge": "chunked-challenge"})


def test_a_chunked_body_over_the_limit_gets_413_and_changes_nothing(knowhow, slack):
    text = "x" * (MAX_BODY_BYTES + 10)
    body = slack.command_body("/ask", text)
    before = _state(knowhow)
    status, _ = _chunked(knowhow, body, {"Content-Type": FORM, **slack.sign(body)}, pieces=40)
    assert status == 413
    settle(knowhow)
    assert _state(knowhow) == before


def test_one_huge_chunk_or_an_endless_chunk_size_line_is_refused_without_reading_it(knowhow):
    # A chunk announced far over the limit, and a chunk-size line that never ends: both answered 413
    # at once, without waiting for (or holding in memory) what they announce.
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    huge = _raw(knowhow, head + b"%x\r\n" % (1 << 40) + b"{}")
    assert huge.startswith(b"HTTP/1.1 413 ")
    endless = _raw(knowhow, head + b"1" + b"0" * (MAX_BODY_BYTES + 100_000))
    assert endless.startswith(b"HTTP/1.1 413 ")


def test_bad_chunked_framing_gets_400(knowhow):
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    answer = _raw(knowhow, head + b"zz\r\n{}\r\n0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ")


def test_a_body_with_both_content_length_and_chunked_is_refused(knowhow, slack):
    body = slack.command_body("/ask", "Which length is right?")
    signed = "".join(f"{k}: {v}\r\n" for k, v in slack.sign(body).items()).encode()
    framed = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    before = _state(knowhow)
    answer = _raw(
        knowhow,
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + signed
        + b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % len(framed)
        + framed,
    )
    assert answer.startswith(b"HTTP/1.1 400 ")
    settle(knowhow)
    assert _state(knowhow) == before


# -- only what Slack sends ------------------------------------------------------------------


def _not_from_slack(slack):
    command = dict(parse_qsl(slack.command_body("/ask", "Sneaky JSON question").decode()))
    event = json.loads(
        slack.event_body({"type": "message", "channel": QA_CHANNEL, "user": "U0X", "text": "hi", "ts": "1.000001"})
    )
    interaction = {"type": "block_actions", "user": {"id": "U0STUDENT1"}, "actions": []}
    return {
        "a slash command as JSON": (json.dumps(command).encode(), JSON),
        "a slash command as JSON with a charset": (json.dumps(command).encode(), JSON + "; charset=utf-8"),
        "an interaction as JSON": (json.dumps(interaction).encode(), JSON),
        "JSON without a type": (json.dumps({"event": event["event"]}).encode(), JSON),
        "JSON of an unknown type": (json.dumps({**event, "type": "block_actions"}).encode(), JSON),
        "an event callback form-encoded": (urlencode({k: json.dumps(v) for k, v in event.items()}).encode(), FORM),
        "JSON sent as a form": (json.dumps(command).encode(), FORM),
        "a form neither command nor interaction": (urlencode({"text": "hello", "user_id": "U0X"}).encode(), FORM),
        "a command and a payload at once": (
            urlencode({**command, "payload": json.dumps(interaction)}).encode(),
            FORM,
        ),
        "a payload that is not an interaction": (urlencode({"payload": json.dumps([1, 2])}).encode(), FORM),
        "a command as text/plain": (urlencode(command).encode(), "text/plain"),
        "a command with no content type": (urlencode(command).encode(), ""),
        "a command as multipart": (urlencode(command).encode(), "multipart/form-data; boundary=x"),
    }


NOT_FROM_SLACK = [
    "a slash command as JSON",
    "a slash command as JSON with a charset",
    "an interaction as JSON",
    "JSON without a type",
    "JSON of an unknown type",
    "an event callback form-encoded",
    "JSON sent as a form",
    "a form neither command nor interaction",
    "a command and a payload at once",
    "a payload that is not an interaction",
    "a command as text/plain",
    "a command with no content type",
    "a command as multipart",
]


@pytest.mark.parametrize("case", NOT_FROM_SLACK)
def test_signed_bodies_slack_never_sends_are_refused_and_reach_no_listener(knowhow, slack, fake_slack, case):
    body, ctype = _not_from_slack(slack)[case]
    before = _state(knowhow)
    status = _post(knowhow, body, {**({"Content-Type": ctype} if ctype else {}), **slack.sign(body)})
    assert status in (400, 415), status
    settle(knowhow)
    assert _state(knowhow) == before
    assert fake_slack.calls_to("chat.postMessage") == [] and fake_slack.calls_to("response_url") == []


def _post(knowhow, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` with exactly these headers (and its Content-Length): no Content-Type unless given."""
    connection = http.client.HTTPConnection("127.0.0.1", knowhow.http.port, timeout=10)
    try:
        connection.putrequest("POST", "/slack/events", skip_accept_encoding=True)
        for key, value in {**headers, "Content-Length": str(len(body))}.items():
            connection.putheader(key, value)
        connection.endheaders(body)
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def test_slacks_ssl_check_is_answered(knowhow, slack):
    body = urlencode({"ssl_check": "1", "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl"}).encode()
    assert slack.send_signed(body, FORM).status == 200


def test_a_command_and_an_event_as_slack_sends_them_still_pass(knowhow, slack, fake_slack):
    response = slack.command("/ask", "Is this still fine?", response_url=fake_slack.response_url("ask"))
    assert response.status == 200
    fake_slack.wait_for("chat.postMessage")
    assert _questions(knowhow) == ["Is this still fine?"]


def test_a_command_whose_text_says_payload_is_read_as_a_command(knowhow, slack, fake_slack):
    # Bolt reads any form body with "payload" in it as an interaction's `payload=` field.
    response = slack.command("/ask", "What is in the webhook payload?", response_url=fake_slack.response_url("ask"))
    assert response.status == 200 and "Got it" in response.json()["text"]
    fake_slack.wait_for("chat.postMessage")
    assert _questions(knowhow) == ["What is in the webhook payload?"]
