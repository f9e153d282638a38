"""Slow clients, as an attacker would send them (a "slowloris"): connections that send a request's
headers and then stall, or trickle its body a byte at a time. No signature is needed for that:
the server has to read a body before it can check one. Used by tests/edge/test_slow_clients.py
and bench/slow_clients.py.

Each group comes from a loopback address of its own (all of 127.0.0.0/8 is loopback on Linux), as
an attacker's connections come from an address that is not Slack's.
"""

from __future__ import annotations

import contextlib
import socket
import threading

HEADERS = (
    "POST /slack/events HTTP/1.1\r\n"
    "Host: 127.0.0.1\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\n"
    "Content-Length: {length}\r\n"
    "\r\n"
)


class SlowClients:
    """`stalling` connections that send headers and stop, `trickling` ones that send their body a
    byte every `every` seconds, to the server at `port`. A context manager: on exit every
    connection is closed."""

    def __init__(
        self,
        port: int,
        *,
        stalling: int = 40,
        trickling: int = 40,
        every: float = 0.5,
        length: int = 100_000,
        stall_from: str = "127.0.0.2",
        trickle_from: str = "127.0.0.3",
    ):
        self.port = port
        self.stalling, self.trickling = stalling, trickling
        self.every, self.length = every, length
        self.stall_from, self.trickle_from = stall_from, trickle_from
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.reconnects = 0  # connections the server ended, opened again
        self.sent = threading.Semaphore(0)  # released once per connection whose headers are sent

    def _open(self, source: str) -> socket.socket | None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5, source_address=(source, 0))
            sock.sendall(HEADERS.format(length=self.length).encode())
        except OSError:
            return None
        with self._lock:
            self._sockets.append(sock)
        self.sent.release()
        return sock

    def _trickle(self) -> None:
        """One trickling connection: a byte every `every` seconds; opened again when the server ends it
        (an attacker keeps trying)."""
        sock = self._open(self.trickle_from)
        while not self._stop.wait(self.every):
            try:
                if sock is None:
                    raise OSError
                sock.sendall(b"a")
            except OSError:
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.close()
                self.reconnects += 1
                sock = self._open(self.trickle_from)

    def _stall(self) -> None:
        """One stalling connection, opened again when the server ends it."""
        sock = self._open(self.stall_from)
        while not self._stop.wait(self.every):
            if sock is None or _closed(sock):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.close()
                self.reconnects += 1
                sock = self._open(self.stall_from)

    def __enter__(self) -> SlowClients:
        for target, count in ((self._stall, self.stalling), (self._trickle, self.trickling)):
            for _ in range(count):
                thread = threading.Thread(target=target, daemon=True)
                thread.start()
                self._threads.append(thread)
        for _ in range(self.stalling + self.trickling):  # every connection has sent its headers
            self.sent.acquire(timeout=10)
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(10)
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()
            self._sockets.clear()


def _closed(sock: socket.socket) -> bool:
    """Has the server ended this connection (an answer or an end waits to be read)?"""
    try:
        sock.setblocking(False)
        try:
            data = sock.recv(4096)
        finally:
            sock.setblocking(True)
    except BlockingIOError:
        return False
    except OSError:
        return True
    return not data or data.startswith(b"HTTP/")
