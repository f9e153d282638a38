"""The benches' load generator: signed requests fired from a process of its own.

The Slack stand-in answers the bot's Web API calls in the bench's process; a client sharing that
process (and its interpreter lock) would be slowed by them during Knowhow's turns only, and the
bare app makes no such calls. So the requests are built and signed in the bench, then sent from
this separate process by `concurrency` threads, each on a fresh connection as Slack does, and
timed from the first byte sent to the last byte of the answer.
"""

from __future__ import annotations

import http.client
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

Prepared = tuple[bytes, str, dict[str, str]]  # body, content type, signature headers
Timed = tuple[float, str, bytes]  # milliseconds, HTTP status (or the exception's name), body


def _one(port: int, request: Prepared, timeout: float) -> Timed:
    body, content_type, headers = request
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", "/slack/events", body, {"Content-Type": content_type, **headers})
        answer = connection.getresponse()
        data = answer.read()
        return (time.perf_counter() - start) * 1000, str(answer.status), data
    except OSError as exc:
        return (time.perf_counter() - start) * 1000, type(exc).__name__, b""
    finally:
        connection.close()


def fire(port: int, requests: list[Prepared], concurrency: int, timeout: float = 30) -> list[Timed]:
    """Send every request, `concurrency` at a time; the results in the requests' order."""
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(lambda r: _one(port, r, timeout), requests))


class LoadGenerator:
    """One long-lived client process (started once: its start-up is not measured)."""

    def __init__(self):
        self._pool = ProcessPoolExecutor(max_workers=1)
        self._pool.submit(time.sleep, 0).result()  # started and imported now

    def fire(self, port: int, requests: list[Prepared], concurrency: int) -> list[Timed]:
        return self._pool.submit(fire, port, requests, concurrency).result()

    def close(self) -> None:
        self._pool.shutdown()
