"""The Web API stand-in: `http://127.0.0.1:PORT/api/<method>`, plus `/response/<id>` for response_urls.

Answers have Slack's shapes: HTTP 200 with `{"ok": true, ...}` or `{"ok": false, "error": ...}`,
HTTP 429 with `Retry-After` when told to rate-limit. Every call is recorded with its parsed
arguments, so tests assert on what the app asked Slack to do.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

# Arguments that slack-sdk sends JSON-encoded inside form bodies.
_JSON_ARGS = {"blocks", "attachments", "view", "files", "metadata"}


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.time)

    @property
    def text(self) -> str:
        return self.args.get("text") or ""

    def block_text(self) -> str:
        """Every text in the call's blocks, joined: what a reader would see."""
        out: list[str] = []

        def walk(node):
            if isinstance(node, dict):
                if isinstance(node.get("text"), str):
                    out.append(node["text"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        view = self.args.get("view")
        walk(self.args.get("blocks") or (view.get("blocks") if isinstance(view, dict) else None) or [])
        return "\n".join(out)


@dataclass
class _Scripted:
    status: int
    body: dict[str, Any] | str
    headers: dict[str, str]


class FakeSlack:
    def __init__(
        self,
        *,
        token: str = "xoxb-fake-token",
        team_id: str = "T0FAKETEAM",
        bot_user_id: str = "U0FAKEBOT1",
        bot_id: str = "B0FAKEBOT1",
        private_channels: tuple[str, ...] = (),
    ):
        self.token = token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.calls: list[Call] = []
        self.joined: set[str] = set()
        # Channels the bot must be invited to: posting there answers not_in_channel until joined,
        # and conversations.join answers method_not_supported_for_channel_type.
        self.private_channels = set(private_channels)
        # Public channels the bot is not in yet (posting answers not_in_channel until it joins).
        self.not_joined: set[str] = set()
        self._scripts: dict[str, deque[_Scripted]] = defaultdict(deque)
        # Messages posted, by channel, oldest first (what conversations.history reads).
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._lock = threading.Condition()
        self._last_ts = 0.0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Set to a fakeslack.socket_mode.SocketModeServer to accept Socket Mode connections.
        self.socket_mode = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                fake._handle(self)

            do_GET = do_POST

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-slack", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.base + "/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.base}/response/{name}"

    # -- scripting ----------------------------------------------------------------------------
    def lose_answer_next(self, method: str) -> None:
        """Carry out the next call of `method`, then drop the connection without answering: the
        app cannot tell whether Slack did it (a timeout or reset after Slack took the request)."""
        with self._lock:
            self._scripts[method].append(_Scripted(-1, "", {}))

    def fail_next(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail: `ok: false` with `error`, or an HTTP
        status (429 gets a Retry-After). `method` may be "response_url"."""
        headers = {}
        if status == 429:
            headers["Retry-After"] = str(retry_after if retry_after is not None else 1)
            body: dict[str, Any] | str = {"ok": False, "error": "ratelimited"}
        elif status >= 500:
            body = "upstream failure" if method == "response_url" else {"ok": False, "error": "internal_error"}
        elif error is not None:
            body = {"ok": False, "error": error}
        else:
            body = {"ok": False, "error": "expired_url"} if method == "response_url" else {"ok": False}
        with self._lock:
            for _ in range(times):
                self._scripts[method].append(_Scripted(status, body, headers))

    # -- reading what happened ----------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Wait until `method` was called at least `count` times; return those calls."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                calls = [c for c in self.calls if c.method == method]
                if len(calls) >= count:
                    return calls
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = sorted({c.method for c in self.calls})
                    raise AssertionError(
                        f"expected {count} call(s) to {method} within {timeout}s, got {len(calls)}; saw {seen}"
                    )
                self._lock.wait(left)

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    # -- the server side ----------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in request.headers.items()}
        path = request.path.split("?", 1)[0]
        if path.startswith("/response/"):
            args = json.loads(raw or b"{}")
            method = "response_url"
        elif path.startswith("/api/"):
            method = path[len("/api/"):]
            args = self._parse_args(raw, headers, request.path)
        else:
            self._send(request, _Scripted(404, "not found", {}))
            return
        call = Call(method=method, args=args, headers=headers)
        with self._lock:
            self.calls.append(call)
            scripted = self._scripts[method].popleft() if self._scripts[method] else None
            self._lock.notify_all()
        if scripted is None or scripted.status == -1:
            answer = self._answer(method, args, headers)
            if scripted is not None:  # done, but the answer is lost on the way back
                request.close_connection = True
                request.connection.shutdown(2)
                return
            scripted = answer
        self._send(request, scripted)

    @staticmethod
    def _parse_args(raw: bytes, headers: dict[str, str], full_path: str) -> dict[str, Any]:
        if headers.get("content-type", "").startswith("application/json"):
            return json.loads(raw or b"{}")
        query = full_path.split("?", 1)[1] if "?" in full_path else ""
        form = {k: v[-1] for k, v in parse_qs(query + "&" + raw.decode(), keep_blank_values=True).items()}
        for key in _JSON_ARGS & form.keys():
            try:
                form[key] = json.loads(form[key])
            except ValueError:
                pass
        return form

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, answer: _Scripted) -> None:
        body = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
        data = body.encode()
        request.send_response(answer.status)
        ctype = "text/plain" if isinstance(answer.body, str) else "application/json; charset=utf-8"
        request.send_header("Content-Type", ctype)
        request.send_header("Content-Length", str(len(data)))
        for key, value in answer.headers.items():
            request.send_header(key, value)
        request.end_headers()
        request.wfile.write(data)

    def _ok(self, **fields) -> _Scripted:
        return _Scripted(200, {"ok": True, **fields}, {})

    def _err(self, error: str) -> _Scripted:
        return _Scripted(200, {"ok": False, "error": error}, {})

    def _next_ts(self) -> str:
        """Unique and increasing, near the current time, like Slack's."""
        with self._lock:
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"

    def _answer(self, method: str, args: dict[str, Any], headers: dict[str, str]) -> _Scripted:
        if method == "response_url":
            return _Scripted(200, "ok", {})
        if method == "apps.connections.open":
            return self._m_apps_connections_open(headers)
        if method != "api.test" and headers.get("authorization") != f"Bearer {self.token}":
            return self._err("not_authed" if "authorization" not in headers else "invalid_auth")
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return self._err("unknown_method")
        return handler(args)

    # -- methods ------------------------------------------------------------------------------
    def _m_auth_test(self, args):
        return self._ok(
            url="https://fake-mentors.slack.com/",
            team="Fake Mentors",
            user="knowhow",
            team_id=self.team_id,
            user_id=self.bot_user_id,
            bot_id=self.bot_id,
            is_enterprise_install=False,
        )

    def _can_post(self, channel: str) -> str | None:
        if not channel:
            return "channel_not_found"
        if channel[0] in "UD":
            return None  # a DM with a user: the bot may always write there
        if channel in self.private_channels or channel in self.not_joined:
            return "not_in_channel" if channel not in self.joined else None
        return None

    def _m_chat_postMessage(self, args):
        channel = args.get("channel", "")
        problem = self._can_post(channel)
        if problem:
            return self._err(problem)
        if not args.get("text") and not args.get("blocks"):
            return self._err("no_text")
        if len(args.get("blocks") or []) > 50:
            return self._err("invalid_blocks")
        for block in args.get("blocks") or []:
            text = (block.get("text") or {}).get("text", "") if isinstance(block.get("text"), dict) else ""
            if len(text) > 3000:
                return self._err("invalid_blocks")
        ts = self._next_ts()
        out_channel = "D" + channel[1:] if channel.startswith("U") else channel
        message = {"type": "message", "user": self.bot_user_id, "bot_id": self.bot_id, "ts": ts, "text": args.get("text", "")}
        if args.get("blocks"):
            message["blocks"] = args["blocks"]
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        if args.get("metadata"):
            message["metadata"] = args["metadata"]
        with self._lock:
            self.messages[out_channel].append(message)
        return self._ok(channel=out_channel, ts=ts, message=message)

    def _m_chat_postEphemeral(self, args):
        problem = self._can_post(args.get("channel", ""))
        return self._err(problem) if problem else self._ok(message_ts=self._next_ts())

    def _m_chat_update(self, args):
        if not args.get("ts"):
            return self._err("message_not_found")
        return self._ok(channel=args.get("channel"), ts=args["ts"], text=args.get("text", ""))

    def _m_chat_getPermalink(self, args):
        channel, ts = args.get("channel"), args.get("message_ts")
        if not channel or not ts:
            return self._err("message_not_found")
        return self._ok(channel=channel, permalink=f"https://fake-mentors.slack.com/archives/{channel}/p{ts.replace('.', '')}")

    def _m_conversations_join(self, args):
        channel = args.get("channel", "")
        if channel in self.private_channels:
            return self._err("method_not_supported_for_channel_type")
        self.joined.add(channel)
        return self._ok(channel={"id": channel, "is_member": True})

    def _m_conversations_history(self, args):
        channel = args.get("channel", "")
        problem = self._can_post(channel)
        if problem:
            return self._err(problem)
        oldest = float(args.get("oldest") or 0)
        limit = int(args.get("limit") or 100)
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._lock:
            found = [dict(m) for m in self.messages[channel] if float(m["ts"]) > oldest and "thread_ts" not in m]
        for message in found:
            if not with_metadata:
                message.pop("metadata", None)
        found.reverse()  # newest first, as Slack answers
        return self._ok(messages=found[:limit], has_more=len(found) > limit)

    def _m_conversations_open(self, args):
        users = args.get("users", "")
        return self._ok(channel={"id": "D" + users.split(",")[0][1:]})

    def _m_views_publish(self, args):
        view = args.get("view")
        if not args.get("user_id") or not isinstance(view, dict) or view.get("type") != "home":
            return self._err("invalid_arguments")
        return self._ok(view={"id": "V0HOME", **view})

    def _m_apps_connections_open(self, headers):
        # Called with the app-level token, not the bot token.
        if not headers.get("authorization", "").startswith("Bearer xapp-"):
            return self._err("invalid_auth")
        if self.socket_mode is None:
            return self._err("socket_mode_not_enabled")
        return self._ok(url=self.socket_mode.url)
