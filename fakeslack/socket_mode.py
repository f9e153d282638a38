"""Socket Mode on loopback: `apps.connections.open` hands out this server's ws:// URL, and tests
push envelopes down the socket as Slack does and read the app's acks.

Needs the `websockets` package (a test dependency).
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import serve


class SocketModeServer:
    def __init__(self):
        self._connections: queue.Queue = queue.Queue()
        self._acks: dict[str, queue.Queue] = {}
        self._ids = itertools.count(1)
        self._server = None
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()

    def start(self) -> SocketModeServer:
        self._server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-socket-mode", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/link/?ticket=fake"

    def _handle(self, websocket) -> None:
        websocket.send(json.dumps({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}}))
        self._connections.put(websocket)
        self.connected.set()
        try:
            for message in websocket:
                data = json.loads(message)
                box = self._acks.get(data.get("envelope_id"))
                if box is not None:
                    box.put(data)
        except ConnectionClosed:
            pass

    def send(self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0, timeout: float = 10) -> dict:
        """Deliver one envelope ("slash_commands", "events_api", "interactive"); return the app's ack."""
        if not self.connected.wait(timeout):
            raise AssertionError("the app never connected over Socket Mode")
        websocket = self._connections.queue[-1]
        envelope_id = f"env-{next(self._ids)}"
        box: queue.Queue = queue.Queue()
        self._acks[envelope_id] = box
        websocket.send(
            json.dumps(
                {
                    "envelope_id": envelope_id,
                    "payload": payload,
                    "type": kind,
                    "accepts_response_payload": kind != "events_api",
                    "retry_attempt": retry_attempt,
                    "retry_reason": "timeout" if retry_attempt else "",
                }
            )
        )
        try:
            return box.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no ack for {kind} envelope {envelope_id} within {timeout}s") from None
