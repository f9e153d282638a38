"""Slow clients cannot hold the HTTP front's workers.

Cheroot gives a connection a worker thread as soon as its first bytes arrive, and the worker then
reads the request line, the headers and (in the WSGI app) the body with blocking reads. Its
`timeout` bounds each read, not the request: a client that sends its headers and then a byte every
few seconds ("slowloris") holds a worker for as long as it likes, and a few dozen such connections,
from anywhere and without a signature, hold them all: health checks and Slack's own requests wait.

So each request being read is watched here, from the moment a worker takes its connection until the
app has its whole body (`request_read`):
- it must arrive within a deadline: past it, its socket's reading side is shut, so the blocked read
  returns at once (the app answers 408; a request whose headers never ended is simply closed);
- one address may have only so many requests being read at once; a connection beyond that is
  answered 429 and closed before anything of it is read.

A request whose body is read holds no slot while its listener runs, however long that takes. Behind
a reverse proxy (which sends each request whole) every request comes from the proxy's address, but
is read at once, so the per-address bound is not felt there; the proxy is then what must bound slow
clients (nginx buffers request bodies by default).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections import Counter
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
    __slots__ = ("conn", "cut", "deadline", "peer")

    def __init__(self, conn: HTTPConnection, peer: str, deadline: float):
        self.conn, self.peer, self.deadline, self.cut = conn, peer, deadline, False


class ReadGuard:
    """The requests being read by a server's workers: each within `deadline` seconds, at most
    `per_peer` at once from one address."""

    def __init__(self, deadline: float, per_peer: int):
        self.deadline = deadline
        self.per_peer = max(per_peer, 1)
        self._lock = threading.Lock()
        self._reading: set[_Reading] = set()
        self._by_peer: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.cut = 0  # requests cut at their deadline
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
        """A worker took `conn` to read a request from it: its slot, or None when its address has
        all its slots already."""
        peer = str(getattr(conn, "remote_addr", "") or "")
        with self._lock:
            if peer and self._by_peer[peer] >= self.per_peer:
                self.refused += 1
                return None
            reading = _Reading(conn, peer, time.monotonic() + self.deadline)
            self._reading.add(reading)
            self._by_peer[peer] += 1
        _current.reading = reading
        return reading

    def end(self, reading: _Reading) -> None:
        """The request is read (or the connection is done with): its slot is free."""
        with self._lock:
            if reading in self._reading:
                self._reading.discard(reading)
                self._by_peer[reading.peer] -= 1
                if self._by_peer[reading.peer] <= 0:
                    del self._by_peer[reading.peer]
        if getattr(_current, "reading", None) is reading:
            _current.reading = None

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_EVERY_SECONDS):
            now = time.monotonic()
            with self._lock:
                for reading in [r for r in self._reading if r.deadline <= now and not r.cut]:
                    reading.cut = True
                    self.cut += 1
                    # The blocked read returns now, as at the end of the stream; an answer can still be sent.
                    with suppress(OSError):
                        reading.conn.socket.shutdown(socket.SHUT_RD)
            if self.cut and self.cut % 100 == 1:
                log.debug("http: %d slow requests cut at their deadline so far", self.cut)


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
