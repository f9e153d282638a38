"""Slow clients cannot hold the HTTP front's workers.

Cheroot gives a connection a worker thread as soon as its first bytes arrive, and the worker then
reads the request line, the headers and (in the WSGI app) the body with blocking reads. Its
`timeout` bounds each read, not the request: a client that sends its headers and then a byte every
few seconds ("slowloris") holds a worker for as long as it likes, and a few dozen such connections,
from anywhere and without a signature, hold them all: health checks and Slack's own requests wait.

So each request being read is watched here, from the moment a worker takes its connection until the
app has its whole body (`request_read`):
- it must arrive within a deadline: past it, its socket's reading side is shut, so the blocked read
  returns at once (the app answers 408; a request whose headers never ended is answered 400 by
  cheroot, as not whole);
- an address whose requests are slow to arrive holds only so many workers: its other slow requests
  are cut at once, and its new connections beyond that share are answered 429 unread.

A request whose body is read holds no slot while its listener runs, however long that takes. Slack's
requests arrive whole, as a reverse proxy's do (which then sends them all from its own address): read
at once, however many at a time, they are never limited. The proxy is then what must bound slow
clients (nginx buffers request bodies by default).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from contextlib import suppress

from cheroot.server import HTTPConnection

log = logging.getLogger(__name__)

WATCH_EVERY_SECONDS = 0.1
_TOO_MANY_BODY = b"Too many requests are being read from this address at once."
TOO_MANY = (
    b"HTTP/1.1 429 Too Many Requests\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: %d\r\n"
    b"Retry-After: 5\r\n"
    b"Connection: close\r\n"
    b"\r\n%s"
) % (len(_TOO_MANY_BODY), _TOO_MANY_BODY)

_current = threading.local()  # the request this worker thread is reading, if any


class _Reading:
    __slots__ = ("conn", "cut", "deadline", "peer", "started")

    def __init__(self, conn: HTTPConnection, peer: str, started: float, deadline: float):
        self.conn, self.peer, self.started, self.deadline, self.cut = conn, peer, started, deadline, False


def _started(reading: _Reading) -> float:
    return reading.started


class ReadGuard:
    """The requests being read by a server's workers: each within `deadline` seconds; and from an
    address whose requests are slow to arrive, at most `per_peer` at once.

    A request is slow once it has been read for `SLOW_SECONDS`: Slack's requests, and a proxy's,
    arrive at once, however many come together from one address, and are never limited. An address
    with more than `per_peer` slow requests has the others cut at once; while it has a slow request,
    or had one cut in the last `REMEMBER_SECONDS`, a connection beyond its `per_peer` is refused
    unread (429)."""

    SLOW_SECONDS = 1.0
    REMEMBER_SECONDS = 60.0

    def __init__(self, deadline: float, per_peer: int):
        self.deadline = deadline
        self.per_peer = max(per_peer, 1)
        self._lock = threading.Lock()
        self._by_peer: dict[str, set[_Reading]] = {}
        self._cut_at: dict[str, float] = {}  # the addresses whose requests were cut, and when last
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.cut = 0  # requests cut for being slow
        self.refused = 0  # connections refused for their address's bound

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name="knowhow-http-readguard", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def begin(self, conn: HTTPConnection) -> _Reading | None:
        """A worker took `conn` to read a request from it: its slot, or None when its address is
        slow and has all its slots already."""
        peer = str(getattr(conn, "remote_addr", "") or "")
        now = time.monotonic()
        with self._lock:
            mine = self._by_peer.setdefault(peer, set())
            if (
                peer
                and len(mine) >= self.per_peer
                and (peer in self._cut_at or any(now - r.started >= self.SLOW_SECONDS for r in mine))
            ):
                self.refused += 1
                return None
            reading = _Reading(conn, peer, now, now + self.deadline)
            mine.add(reading)
        _current.reading = reading
        return reading

    def end(self, reading: _Reading) -> None:
        """The request is read (or the connection is done with): its slot is free."""
        with self._lock:
            mine = self._by_peer.get(reading.peer)
            if mine is not None:
                mine.discard(reading)
                if not mine:
                    del self._by_peer[reading.peer]
        if getattr(_current, "reading", None) is reading:
            _current.reading = None

    def _cut(self, reading: _Reading, now: float) -> None:
        """The blocked read returns now, as at the end of the stream; an answer can still be sent."""
        reading.cut = True
        self.cut += 1
        self._cut_at[reading.peer] = now
        with suppress(OSError):
            reading.conn.socket.shutdown(socket.SHUT_RD)

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_EVERY_SECONDS):
            now = time.monotonic()
            with self._lock:
                for mine in self._by_peer.values():
                    for reading in [r for r in mine if not r.cut and r.deadline <= now]:
                        self._cut(reading, now)
                    # Beyond the address's share of slow requests: the oldest are kept (they end first).
                    slow = sorted((r for r in mine if not r.cut and now - r.started >= self.SLOW_SECONDS), key=_started)
                    for reading in slow[self.per_peer :]:
                        self._cut(reading, now)
                for peer in [p for p, at in self._cut_at.items() if now - at > self.REMEMBER_SECONDS]:
                    del self._cut_at[peer]


def request_read() -> bool:
    """Called by the WSGI app once it has the whole request: the worker's slot is free (its listener
    may run as long as it needs). False when the request was cut at its deadline."""
    reading = getattr(_current, "reading", None)
    if reading is None:
        return True
    guard = getattr(reading.conn.server, "read_guard", None)
    if guard is not None:
        guard.end(reading)
    return not reading.cut


class GuardedConnection(HTTPConnection):
    """Cheroot's connection, each of whose requests is read under its server's `read_guard`."""

    def communicate(self):
        guard: ReadGuard | None = getattr(self.server, "read_guard", None)
        if guard is None:
            return super().communicate()
        reading = guard.begin(self)
        if reading is None:
            with suppress(OSError):
                self.socket.sendall(TOO_MANY)
            return False  # closed: nothing of it is read
        try:
            return super().communicate()
        finally:
            guard.end(reading)
