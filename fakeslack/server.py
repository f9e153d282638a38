"""The Web API stand-in: `http://127.0.0.1:PORT/api/<method>`, plus `/response/<id>` for response_urls
and `/upload/v1/<file id>` for the upload_urls of files.getUploadURLExternal (recorded as "upload").

Answers have Slack's shapes: HTTP 200 with `{"ok": true, ...}` or `{"ok": false, "error": ...}`,
HTTP 429 with `Retry-After` when told to rate-limit. Every call is recorded with its parsed
arguments, so tests assert on what the app asked Slack to do.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import itertools
import json
import mimetypes
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from fakeslack import blocks as block_kit

# Arguments that slack-sdk sends JSON-encoded inside form bodies.
_JSON_ARGS = {"blocks", "attachments", "view", "files", "metadata"}

# Where the fake takes a file's bytes: upload_url is base + _UPLOAD_PATH + file id (Slack's look
# like https://files.slack.com/upload/v1/<opaque>).
_UPLOAD_PATH = "/upload/v1/"

# A user id Slack could have issued: U (or W on Enterprise Grid), then uppercase letters and digits.
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")

# Slack's limits on views and blocks are in fakeslack/blocks.py.
VIEW_STACK_MAX = 3  # views.push answers push_limit_reached beyond three stacked modals


def block_text(blocks) -> str:
    """Every text in `blocks` (or any part of a message or view), joined: what a reader would see."""
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

    walk(blocks or [])
    return "\n".join(out)


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.time)
    # The URL path called ("/response/choose" tells response_url calls apart).
    path: str = ""

    @property
    def text(self) -> str:
        return self.args.get("text") or ""

    def block_text(self) -> str:
        """Every text in the call's blocks (or its view's), joined: what a reader would see."""
        view = self.args.get("view")
        return block_text(self.args.get("blocks") or (view.get("blocks") if isinstance(view, dict) else None))


class Refusal(str):
    """An error code (compares equal to it) carrying Slack's explanation: `_err` answers it with
    `errors` (chat.*: invalid_blocks) and `response_metadata.messages`, each message "[ERROR] ..."."""

    def __new__(cls, error: str, messages: list[str]):
        refusal = super().__new__(cls, error)
        refusal.messages = list(messages)
        return refusal


@dataclass
class _Scripted:
    status: int
    body: dict[str, Any] | str
    headers: dict[str, str]


# The largest request body taken (a file's bytes to an upload_url included).
MAX_REQUEST_BODY = 64 * 1024 * 1024


def content_length(headers) -> int | None:
    """A request's Content-Length: 0 when there is none, None when it is not a non-negative integer
    (`abc`, `-1`, `+5`): such a request is answered 400 and its body never read."""
    raw = headers.get("Content-Length")
    if raw is None:
        return 0
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() else None


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
        # Group DMs opened with conversations.open: channel id -> member ids (the bot included).
        self.group_dms: dict[str, list[str]] = {}
        self._scripts: dict[str, deque[_Scripted]] = defaultdict(deque)
        # Messages posted, by channel, oldest first (what conversations.history reads); thread
        # replies too (they carry thread_ts), which conversations.history leaves out.
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        # Modals opened (views.open / views.push), by view id, as last set (views.update).
        self.views: dict[str, dict[str, Any]] = {}
        self._view_ids = itertools.count(1)
        self._hashes = itertools.count(1)
        # Users registered with add_user(), by id (what users.info reads).
        self.users: dict[str, dict[str, Any]] = {}
        # Files of the external upload flow, by id: files.getUploadURLExternal creates the entry
        # (name, length asked for, alt_txt, snippet_type), the POST to its upload_url fills
        # `content` (the bytes) and `size`, files.completeUploadExternal sets `title`, `completed`
        # and `channels` (where it was shared) and `file` (the file object Slack answered).
        self.files: dict[str, dict[str, Any]] = {}
        self._file_ids = itertools.count(1)
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
        # A short poll interval: stop() (shutdown) waits up to that long, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack", daemon=True
        )
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

    # -- the workspace --------------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        title: str = "",
        tz: str = "Europe/London",
        tz_label: str | None = None,
        tz_offset: int = 0,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> dict[str, Any]:
        """Register a member of the workspace; users.info answers with it. `name` defaults to the
        id in lower case, `real_name` to `name`. Returns the user object users.info will give."""
        user = self._user_object(
            user_id,
            name=name,
            real_name=real_name,
            title=title,
            tz=tz,
            tz_label=tz_label,
            tz_offset=tz_offset,
            is_admin=is_admin,
            is_owner=is_owner,
            is_primary_owner=is_primary_owner,
            is_restricted=is_restricted,
            is_ultra_restricted=is_ultra_restricted,
            is_bot=is_bot,
            deleted=deleted,
        )
        with self._lock:
            self.users[user_id] = user
        return copy.deepcopy(user)

    def _user_object(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        title: str = "",
        tz: str = "Europe/London",
        tz_label: str | None = None,
        tz_offset: int = 0,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> dict[str, Any]:
        """A user in users.info's shape (see add_user)."""
        name = name or user_id.lower()
        real_name = real_name if real_name is not None else name
        if tz_label is None:
            sign = "+" if tz_offset >= 0 else "-"
            hours, minutes = divmod(abs(tz_offset) // 60, 60)
            tz_label = "Greenwich Mean Time" if tz_offset == 0 else f"UTC{sign}{hours:02d}:{minutes:02d}"
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": deleted,
            "color": "9f69e7",
            "real_name": real_name,
            "tz": tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": {
                "title": title,
                "phone": "",
                "skype": "",
                "real_name": real_name,
                "real_name_normalized": real_name,
                "display_name": name,
                "display_name_normalized": name,
                "status_text": "",
                "status_emoji": "",
                "avatar_hash": "g0fake000000",
                "team": self.team_id,
            },
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": is_primary_owner,
            "is_restricted": is_restricted,
            "is_ultra_restricted": is_ultra_restricted,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
            "has_2fa": False,
        }
        if is_bot:
            profile = user["profile"]
            profile["bot_id"] = self.bot_id if user_id == self.bot_user_id else "B" + user_id[1:]
        return user

    def add_message(
        self, channel: str, *, user: str, text: str, ts: str | None = None, thread_ts: str | None = None
    ) -> dict[str, Any]:
        """Put a message a person wrote into `channel` (a thread reply when `thread_ts` is given), as
        conversations.history and chat.update see it. Returns the stored message."""
        message = {"type": "message", "user": user, "ts": ts or self._next_ts(), "text": text, "team": self.team_id}
        if thread_ts:
            message["thread_ts"] = thread_ts
        with self._lock:
            self.messages[channel].append(message)
        return copy.deepcopy(message)

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
        status (429 gets a Retry-After). `method` may be "response_url", or "upload" (the POST of
        a file's bytes to its upload_url: give a `status`; the bytes are then not stored)."""
        headers = {}
        if status == 429:
            headers["Retry-After"] = str(retry_after if retry_after is not None else 1)
            body: dict[str, Any] | str = {"ok": False, "error": "ratelimited"}
        elif status >= 500:
            text_only = method in ("response_url", "upload")
            body = "upstream failure" if text_only else {"ok": False, "error": "internal_error"}
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

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """A copy of the message at `ts` in `channel` (top-level or a thread reply) as it stands now,
        after any chat.update; None when there is none."""
        with self._lock:
            found = self._find_message(channel, ts)
            return copy.deepcopy(found) if found is not None else None

    def view(self, view_id: str) -> dict[str, Any] | None:
        """A copy of the modal `view_id` as last opened, pushed or updated; None when unknown."""
        with self._lock:
            found = self.views.get(view_id)
            return copy.deepcopy(found) if found is not None else None

    # -- the server side ----------------------------------------------------------------------
    def _read_body(self, request: BaseHTTPRequestHandler, limit: int) -> tuple[bytes, dict[str, str]] | None:
        """The request's body and headers (lower-cased names); None when its Content-Length is
        not a whole number up to `limit`, which has then been answered (400 or 413)."""
        length = content_length(request.headers)
        if length is None or length > limit:
            request.close_connection = True  # the body is not read: the connection cannot be reused
            self._send(
                request,
                _Scripted(
                    400 if length is None else 413, "invalid_content_length" if length is None else "too_large", {}
                ),
            )
            return None
        raw = request.rfile.read(length) if length else b""
        return raw, {k.lower(): v for k, v in request.headers.items()}

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        read = self._read_body(request, MAX_REQUEST_BODY)
        if read is None:
            return
        raw, headers = read
        path = request.path.split("?", 1)[0]
        content = b""
        if path.startswith("/response/"):
            args = json.loads(raw or b"{}")
            method = "response_url"
        elif path.startswith("/api/"):
            method = path[len("/api/") :]
            args = self._parse_args(raw, headers, request.path)
        elif path.startswith(_UPLOAD_PATH):
            # The bytes of a file, POSTed to the upload_url files.getUploadURLExternal gave: no token.
            method = "upload"
            content = self._upload_content(raw, headers)
            args = {"file_id": path[len(_UPLOAD_PATH) :], "size": len(content)}
        else:
            self._send(request, _Scripted(404, "not found", {}))
            return
        call = Call(method=method, args=args, headers=headers, path=path)
        with self._lock:
            self.calls.append(call)
            scripted = self._scripts[method].popleft() if self._scripts[method] else None
            self._lock.notify_all()
        if scripted is None or scripted.status == -1:
            if method == "upload":
                answer = self._answer_upload(args["file_id"], content)
            else:
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
            with contextlib.suppress(ValueError):
                form[key] = json.loads(form[key])
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
        if isinstance(error, Refusal):
            body: dict[str, Any] = {"ok": False, "error": str(error)}
            if error == "invalid_blocks":
                body["errors"] = list(error.messages)
            body["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in error.messages]}
            return _Scripted(200, body, {})
        return _Scripted(200, {"ok": False, "error": error}, {})

    def _next_ts(self) -> str:
        """Unique and increasing, near the current time, like Slack's."""
        with self._lock:
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"

    def _answer(self, method: str, args: dict[str, Any], headers: dict[str, str]) -> _Scripted:
        if method == "response_url":
            # Slack takes a response_url body only when its blocks would do in a message.
            if args.get("blocks") and self._blocks_problem(args["blocks"]):
                return _Scripted(400, "invalid_blocks", {})
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

    @staticmethod
    def _blocks_problem(blocks) -> Refusal | None:
        """Why Slack would refuse `blocks` in a message (fakeslack/blocks.py has the rules):
        an `invalid_blocks` Refusal with Slack's messages, or None. No blocks is no problem."""
        if blocks in (None, "", []):
            return None
        problems = block_kit.message_problems(blocks)
        return Refusal("invalid_blocks", problems) if problems else None

    def _find_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The stored message itself (not a copy); call with the lock held."""
        for message in self.messages.get(channel, []):
            if message["ts"] == ts:
                return message
        return None

    def _m_chat_postMessage(self, args):
        channel = args.get("channel", "")
        problem = self._can_post(channel)
        if problem:
            return self._err(problem)
        if not args.get("text") and not args.get("blocks"):
            return self._err("no_text")
        problem = self._blocks_problem(args.get("blocks"))
        if problem:
            return self._err(problem)
        ts = self._next_ts()
        out_channel = "D" + channel[1:] if channel.startswith("U") else channel
        message = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "ts": ts,
            "text": args.get("text", ""),
        }
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
        problem = self._can_post(args.get("channel", "")) or self._blocks_problem(args.get("blocks"))
        return self._err(problem) if problem else self._ok(message_ts=self._next_ts())

    def _m_chat_update(self, args):
        channel, ts = args.get("channel", ""), args.get("ts", "")
        if not channel:
            return self._err("channel_not_found")
        if not args.get("text") and not args.get("blocks"):
            return self._err("no_text")
        problem = self._blocks_problem(args.get("blocks"))
        if problem:
            return self._err(problem)
        edited_ts = self._next_ts()
        with self._lock:
            message = self._find_message(channel, ts)
            if message is None:
                return self._err("message_not_found")
            if message.get("user") != self.bot_user_id:
                return self._err("cant_update_message")  # a bot may only edit its own posts
            # As in Slack, a field left out keeps its old value; `blocks: []` removes the blocks.
            if "text" in args:
                message["text"] = args["text"] or ""
            if "blocks" in args:
                if args["blocks"]:
                    message["blocks"] = args["blocks"]
                else:
                    message.pop("blocks", None)
            if args.get("metadata"):
                message["metadata"] = args["metadata"]
            message["edited"] = {"user": self.bot_user_id, "ts": edited_ts}
            shown = copy.deepcopy(message)
        return self._ok(channel=channel, ts=ts, text=shown["text"], message=shown)

    def _m_chat_getPermalink(self, args):
        channel, ts = args.get("channel"), args.get("message_ts")
        if not channel or not ts:
            return self._err("message_not_found")
        return self._ok(
            channel=channel, permalink=f"https://fake-mentors.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        )

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
            stored = list(self.messages[channel])
        # Thread replies stay out; a parent shows its thread as Slack does (reply_count, latest_reply).
        replies: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for m in stored:
            if m.get("thread_ts") not in (None, m["ts"]):
                replies[m["thread_ts"]].append(m)
        found = [copy.deepcopy(m) for m in stored if float(m["ts"]) > oldest and m.get("thread_ts") in (None, m["ts"])]
        for message in found:
            thread = replies.get(message["ts"])
            if thread:
                message.update(
                    thread_ts=message["ts"],
                    reply_count=len(thread),
                    reply_users=sorted({r.get("user", "") for r in thread}),
                    reply_users_count=len({r.get("user", "") for r in thread}),
                    latest_reply=thread[-1]["ts"],
                )
            if not with_metadata:
                message.pop("metadata", None)
        found.reverse()  # newest first, as Slack answers
        return self._ok(messages=found[:limit], has_more=len(found) > limit)

    def _m_reactions_add(self, args):
        channel, ts, name = args.get("channel", ""), args.get("timestamp", ""), args.get("name", "")
        if not name:
            return self._err("invalid_name")
        with self._lock:
            message = self._find_message(channel, ts)
            if message is None:
                return self._err("message_not_found")
            reactions = message.setdefault("reactions", [])
            mine = next((r for r in reactions if r["name"] == name), None)
            if mine is not None and self.bot_user_id in mine["users"]:
                return self._err("already_reacted")
            if mine is None:
                mine = {"name": name, "users": [], "count": 0}
                reactions.append(mine)
            mine["users"].append(self.bot_user_id)
            mine["count"] += 1
        return self._ok()

    def _m_conversations_open(self, args):
        users = [u.strip() for u in str(args.get("users", "")).split(",") if u.strip()]
        if not users:
            return self._err("users_list_not_supplied")
        if len(users) > 8:
            return self._err("too_many_users")
        if any(not _USER_ID.fullmatch(u) for u in users):
            return self._err("user_not_found")
        if len(users) == 1:
            return self._ok(channel={"id": "D" + users[0][1:]})
        # A group DM with the bot and these people: the same people always get the same one.
        members = sorted({*users, self.bot_user_id})
        channel_id = "G" + hashlib.sha1(",".join(members).encode()).hexdigest()[:10].upper()
        with self._lock:
            self.group_dms[channel_id] = members
        return self._ok(channel={"id": channel_id, "is_mpim": True, "is_im": False})

    # -- modals ---------------------------------------------------------------------------------
    @staticmethod
    def _modal_problem(view) -> Refusal | None:
        """Why Slack would refuse `view` as a modal (views.open/update/push, a view_submission's
        response_action update/push): an `invalid_arguments` Refusal with Slack's messages, or None."""
        problems = block_kit.view_problems(view, block_kit.MODAL)
        return Refusal("invalid_arguments", problems) if problems else None

    @staticmethod
    def _home_problem(view) -> Refusal | None:
        """Why Slack would refuse `view` as an App Home (views.publish), or None."""
        problems = block_kit.view_problems(view, block_kit.HOME)
        return Refusal("invalid_arguments", problems) if problems else None

    def _new_hash(self) -> str:
        # Slack's hashes look like "1754400300.Ab1Cd2Ef": a time and a short random part.
        return f"{int(time.time())}.{next(self._hashes) * 2654435761 % 16**8:08x}"

    def _stored_view(self, view: dict[str, Any], *, view_id: str, root_view_id: str, previous_view_id: str | None):
        """`view` as Slack keeps and returns it: every field filled in, every block with a block_id."""
        view = copy.deepcopy(view)
        for n, block in enumerate(view["blocks"]):
            if isinstance(block, dict) and not block.get("block_id"):
                block["block_id"] = f"{view_id}-b{n}"  # Slack makes one up when the app gave none
        return {
            "id": view_id,
            "team_id": self.team_id,
            "type": "modal",
            "blocks": view["blocks"],
            "private_metadata": view.get("private_metadata") or "",
            "callback_id": view.get("callback_id") or "",
            "state": {"values": {}},
            "hash": self._new_hash(),
            "title": view["title"],
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id,
            "app_id": "A0FAKEAPP1",
            "external_id": view.get("external_id") or "",
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def _external_id_taken(self, external_id: str, but: str | None = None) -> bool:
        return bool(external_id) and any(
            v["external_id"] == external_id and v["id"] != but for v in self.views.values()
        )

    def _m_views_open(self, args):
        view = args.get("view")
        if not args.get("trigger_id") and not args.get("interactivity_pointer"):
            return self._err("invalid_arguments")
        problem = self._modal_problem(view)
        if problem:
            return self._err(problem)
        with self._lock:
            if self._external_id_taken(view.get("external_id") or ""):
                return self._err("duplicate_external_id")
            view_id = f"V0VIEW{next(self._view_ids):04d}"
            stored = self._stored_view(view, view_id=view_id, root_view_id=view_id, previous_view_id=None)
            self.views[view_id] = stored
            return self._ok(view=copy.deepcopy(stored))

    def _m_views_push(self, args):
        # Slack pushes onto the modal the trigger came from; the fake cannot trace a trigger_id back,
        # so it pushes onto the modal opened or pushed last, and refuses when none was.
        view = args.get("view")
        if not args.get("trigger_id") and not args.get("interactivity_pointer"):
            return self._err("invalid_arguments")
        problem = self._modal_problem(view)
        if problem:
            return self._err(problem)
        with self._lock:
            if not self.views:
                return self._err("invalid_trigger_id")
            if self._external_id_taken(view.get("external_id") or ""):
                return self._err("duplicate_external_id")
            top = list(self.views.values())[-1]
            depth, below = 1, top
            while below["previous_view_id"]:
                depth, below = depth + 1, self.views[below["previous_view_id"]]
            if depth >= VIEW_STACK_MAX:
                return self._err("push_limit_reached")
            view_id = f"V0VIEW{next(self._view_ids):04d}"
            stored = self._stored_view(
                view, view_id=view_id, root_view_id=top["root_view_id"], previous_view_id=top["id"]
            )
            self.views[view_id] = stored
            return self._ok(view=copy.deepcopy(stored))

    def _m_views_update(self, args):
        view_id, external_id, view = args.get("view_id"), args.get("external_id"), args.get("view")
        if not view_id and not external_id:
            return self._err("invalid_arguments")
        problem = self._modal_problem(view)
        if problem:
            return self._err(problem)
        with self._lock:
            if view_id:
                old = self.views.get(view_id)
            else:
                old = next((v for v in self.views.values() if v["external_id"] == external_id), None)
            if old is None:
                return self._err("not_found")
            if args.get("hash") and args["hash"] != old["hash"]:
                return self._err("hash_conflict")  # the view changed since the app read it
            new_external = view.get("external_id") or old["external_id"]
            if self._external_id_taken(new_external, but=old["id"]):
                return self._err("duplicate_external_id")
            stored = self._stored_view(
                {**view, "external_id": new_external},
                view_id=old["id"],
                root_view_id=old["root_view_id"],
                previous_view_id=old["previous_view_id"],
            )
            self.views[old["id"]] = stored
            return self._ok(view=copy.deepcopy(stored))

    def _m_views_publish(self, args):
        view = args.get("view")
        if not args.get("user_id"):
            return self._err("invalid_arguments")
        problem = self._home_problem(view)
        if problem:
            return self._err(problem)
        return self._ok(view={"id": "V0HOME", **view})

    # -- files (the external upload flow of files_upload_v2) -----------------------------------
    @staticmethod
    def _invalid_arguments(message: str) -> _Scripted:
        """Slack's answer to a missing or malformed argument of the newer methods."""
        return _Scripted(
            200,
            {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": [f"[ERROR] {message}"]}},
            {},
        )

    @staticmethod
    def _upload_content(raw: bytes, headers: dict[str, str]) -> bytes:
        """The file's bytes from an upload_url POST: the raw body (what slack-sdk sends), or the
        file part of a multipart form (`curl -F filename=@x.png`, `requests.post(files=...)`)."""
        ctype = headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            return raw
        form = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
        parts = [part for part in form.iter_parts()] if form.is_multipart() else []
        chosen = next((part for part in parts if part.get_filename() is not None), parts[0] if parts else None)
        return (chosen.get_payload(decode=True) or b"") if chosen is not None else b""

    def _answer_upload(self, file_id: str, content: bytes) -> _Scripted:
        with self._lock:
            stored = self.files.get(file_id)
            if stored is None:
                return _Scripted(404, "Not Found", {})
            stored["content"] = content
            stored["size"] = len(content)
        return _Scripted(200, f"OK - {len(content)}", {})

    def _m_files_getUploadURLExternal(self, args):
        filename, length = args.get("filename"), args.get("length")
        if not filename:
            return self._invalid_arguments("missing required field: filename")
        if length in (None, ""):
            return self._invalid_arguments("missing required field: length")
        try:
            size = int(str(length))
        except ValueError:
            return self._invalid_arguments("invalid type for field: length")
        if size <= 0:
            return self._invalid_arguments("length must be greater than 0")
        with self._lock:
            file_id = f"F0FILE{next(self._file_ids):05d}"
            self.files[file_id] = {
                "id": file_id,
                "name": filename,
                "title": None,
                "length": size,
                "alt_txt": args.get("alt_txt"),
                "snippet_type": args.get("snippet_type"),
                "content": None,  # set by the POST to upload_url
                "size": None,
                "completed": False,
                "channels": [],
                "file": None,
            }
        return self._ok(upload_url=f"{self.base}{_UPLOAD_PATH}{file_id}", file_id=file_id)

    def _file_object(self, stored: dict[str, Any], *, created: int, shares: dict[str, str]) -> dict[str, Any]:
        """A file in Slack's shape; `shares` maps each channel it went to onto the message ts."""
        name = stored["name"]
        extension = name.rsplit(".", 1)[1].lower() if "." in name else ""
        mimetype = mimetypes.guess_type(name)[0] or (
            "text/plain" if stored.get("snippet_type") else "application/octet-stream"
        )
        filetype = stored.get("snippet_type") or extension or "binary"
        file_id = stored["id"]
        private_url = f"https://files.slack.com/files-pri/{self.team_id}-{file_id}/{name}"
        file = {
            "id": file_id,
            "created": created,
            "timestamp": created,
            "name": name,
            "title": stored["title"],
            "mimetype": mimetype,
            "filetype": filetype,
            "pretty_type": filetype.upper() if extension else filetype.capitalize(),
            "user": self.bot_user_id,
            "user_team": self.team_id,
            "editable": False,
            "size": stored["size"],
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": any(c.startswith("C") for c in shares),
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": private_url,
            "url_private_download": f"https://files.slack.com/files-pri/{self.team_id}-{file_id}/download/{name}",
            "permalink": f"https://fake-mentors.slack.com/files/{self.bot_user_id}/{file_id}/{name}",
            "permalink_public": f"https://slack-files.com/{self.team_id}-{file_id}-{hashlib.sha1(file_id.encode()).hexdigest()[:10]}",
            "comments_count": 0,
            "is_starred": False,
            "shares": {},
            "channels": [c for c in shares if c.startswith("C")],
            "groups": [c for c in shares if c.startswith("G")],
            "ims": [c for c in shares if c.startswith("D")],
            "has_more_shares": False,
            "has_rich_preview": False,
            "file_access": "visible",
        }
        if stored.get("alt_txt"):
            file["alt_txt"] = stored["alt_txt"]
        for channel, ts in shares.items():
            kind = "public" if channel.startswith("C") else "private"
            file["shares"].setdefault(kind, {})[channel] = [
                {
                    "reply_users": [],
                    "reply_users_count": 0,
                    "reply_count": 0,
                    "ts": ts,
                    "share_user_id": self.bot_user_id,
                }
            ]
        return file

    def _m_files_completeUploadExternal(self, args):
        files = args.get("files")
        if files in (None, ""):
            return self._invalid_arguments("missing required field: files")
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
            return self._invalid_arguments("invalid type for field: files")
        with self._lock:
            for entry in files:
                stored = self.files.get(entry["id"])
                if stored is None or stored["content"] is None:
                    # Slack answers an id it never issued, or whose bytes never arrived, this way.
                    return self._invalid_arguments(f"file not found or not uploaded: {entry['id']}")
        # Where to share: channel_id, and/or `channels` (comma-separated); a user id means the DM.
        wanted = [args["channel_id"]] if args.get("channel_id") else []
        wanted += [c.strip() for c in str(args.get("channels") or "").split(",") if c.strip()]
        for channel in wanted:
            problem = self._can_post(channel)
            if problem:
                return self._err(problem)
        comment = args.get("initial_comment") or ""
        blocks = args.get("blocks") if not comment else None  # Slack ignores blocks given a comment
        if blocks is not None and not isinstance(blocks, list):
            return self._err("invalid_blocks")
        problem = self._blocks_problem(blocks)
        if problem:
            return self._err(problem)
        channels = list(dict.fromkeys("D" + c[1:] if c.startswith("U") else c for c in wanted))
        shares = {channel: self._next_ts() for channel in channels}
        created = int(time.time())
        answered = []
        with self._lock:
            for entry in files:
                stored = self.files[entry["id"]]
                stored["title"] = entry.get("title") or stored["title"] or stored["name"]
                stored["completed"] = True
                stored["channels"] = stored["channels"] + [c for c in channels if c not in stored["channels"]]
                stored["file"] = self._file_object(stored, created=created, shares=shares)
                answered.append(copy.deepcopy(stored["file"]))
            for channel, ts in shares.items():
                # The share: a message from the bot carrying the files, the comment as its text.
                message = {
                    "type": "message",
                    "text": comment,
                    "files": [{k: v for k, v in f.items() if k != "shares"} for f in answered],
                    "upload": True,
                    "user": self.bot_user_id,
                    "bot_id": self.bot_id,
                    "display_as_bot": False,
                    "ts": ts,
                }
                if blocks:
                    message["blocks"] = copy.deepcopy(blocks)
                if args.get("thread_ts"):
                    message["thread_ts"] = args["thread_ts"]
                self.messages[channel].append(copy.deepcopy(message))
        return self._ok(files=answered)

    # -- users ----------------------------------------------------------------------------------
    def _m_users_info(self, args):
        user_id = args.get("user") or ""
        with self._lock:
            user = copy.deepcopy(self.users.get(user_id))
        if user is None:
            if not _USER_ID.fullmatch(user_id):
                return self._err("user_not_found")
            # Not registered but could exist: a plain member (the bot itself answers as a bot).
            if user_id == self.bot_user_id:
                user = self._user_object(user_id, name="knowhow", real_name="Knowhow", is_bot=True)
            else:
                user = self._user_object(user_id)
        if str(args.get("include_locale", "")).lower() in ("1", "true"):
            user["locale"] = "en-GB"
        return self._ok(user=user)

    def _m_apps_connections_open(self, headers):
        # Called with the app-level token, not the bot token.
        if not headers.get("authorization", "").startswith("Bearer xapp-"):
            return self._err("invalid_auth")
        if self.socket_mode is None:
            return self._err("socket_mode_not_enabled")
        return self._ok(url=self.socket_mode.url)
