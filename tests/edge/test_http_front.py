"""The HTTP front itself: how a body is read (Content-Length or chunked)."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket

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
