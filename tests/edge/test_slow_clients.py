"""Slow clients cannot take the HTTP front away from Slack: connections that send a request's
headers and then stall, or trickle its body a byte at a time (no signature needed), hold a worker
only until a deadline, and one address holds only a few workers at once. Health checks and signed
requests are answered meanwhile. (How long they take is measured by bench/slow_clients.py.)"""

from __future__ import annotations

import json
import socket
import time
import urllib.request

import pytest

from bot.server import READ_DEADLINE_SECONDS

from ..slow_clients import SlowClients
from .test_http_ask import _questions, _wait_until
from .test_http_front import _raw

# Wall-clock bounds: run by `make test` in one process, after the others (pyproject.toml's markers).
pytestmark = pytest.mark.timing


@pytest.fixture
def read_deadline():
    """The product's: it is what these tests are about."""
    return READ_DEADLINE_SECONDS


# The attackers take every worker at once: this long for the server to pick their connections up.
PICK_UP_SECONDS = 1.0


def _health(knowhow) -> tuple[int, dict]:
    with urllib.request.urlopen(f"http://127.0.0.1:{knowhow.http.port}/healthz", timeout=10) as answer:
        return answer.status, json.loads(answer.read())


def test_stalling_and_trickling_clients_leave_health_and_signed_requests_answered(knowhow, slack, fake_slack):
    with SlowClients(knowhow.http.port, stalling=40, trickling=40, every=0.5):
        time.sleep(PICK_UP_SECONDS)
        status, report = _health(knowhow)
        assert status == 200 and report["status"] == "ok"
        response = slack.command("/ask", "How do I rotate the VPN certificate?")
        assert response.status == 200
        status, _ = _health(knowhow)
        assert status == 200
    _wait_until(lambda: [q.text for q in _questions(knowhow)] == ["How do I rotate the VPN certificate?"])


def _trickled(knowhow, head: bytes) -> tuple[bool, bytes]:
    """Send `head`, then a byte a second after it, until the server ends the connection (at most
    for three deadlines): (whether it ended it, what it answered)."""
    answer = b""
    with socket.create_connection(("127.0.0.1", knowhow.http.port), timeout=1) as sock:
        sock.sendall(head)
        for _ in range(int(READ_DEADLINE_SECONDS * 3)):
            try:
                sock.sendall(b"a")
                data = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return True, answer
            if not data:
                return True, answer
            answer += data
    return False, answer


def test_a_body_that_does_not_arrive_by_the_deadline_gets_408(knowhow):
    """One trickled body, alone: answered 408 and closed once the deadline passes (cheroot's own
    socket timeout bounds each read, which a byte a second defeats)."""
    ended, answer = _trickled(
        knowhow,
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 1000\r\n\r\nabc",
    )
    assert ended and answer.startswith(b"HTTP/1.1 408")


def test_headers_that_never_end_are_cut_at_the_deadline(knowhow):
    """Cut at the deadline, the request ends where it was: cheroot answers that it is not whole."""
    ended, answer = _trickled(knowhow, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    assert ended and not answer.startswith(b"HTTP/1.1 2")


def test_a_fast_request_after_the_attack_is_answered(knowhow, slack):
    """Once the slow clients are gone, nothing of them is left holding a worker."""
    with SlowClients(knowhow.http.port, stalling=20, trickling=20, every=0.5):
        time.sleep(PICK_UP_SECONDS)
    assert _raw(knowhow, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").startswith(b"HTTP/1.1 200")


def test_a_burst_of_whole_requests_from_one_address_is_never_refused(knowhow, slack):
    """Slack's requests (or a proxy's, all from its address) arrive whole: however many come from
    one address at once, none is limited."""
    from concurrent.futures import ThreadPoolExecutor

    body = slack.command_body("/ask", "help")
    with ThreadPoolExecutor(48) as pool:
        answers = list(
            pool.map(lambda _: slack.post(body, "application/x-www-form-urlencoded", slack.sign(body)), range(144))
        )
    assert [a.status for a in answers] == [200] * 144
