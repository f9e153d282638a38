"""The playground's web server, on 127.0.0.1 only: the page (`/`, `/static/*`), files (`/files/<id>`)
and the JSON API of API.md, acting on a `Workspace`.

Only loopback: the server binds 127.0.0.1, answers only requests addressed to a loopback name (a page
elsewhere cannot reach it through DNS rebinding), and takes only JSON POSTs (a form on another site
cannot post here without a CORS preflight, which is never granted).
"""

from __future__ import annotations

import json
import logging
import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakeslack.http import BadLength, read_body
from playground import emoji
from playground.workspace import PlaygroundError, Workspace

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]"}
MAX_BODY = 1024 * 1024
# The page loads only its own script, styles and files (images also as data:), talks only to this
# server, and may not be framed (clickjacking) nor post forms anywhere.
CSP = (
    "default-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)
# Fields of /api/action a page may send besides the element (Slack's names for what was chosen).
SELECTED = (
    "value",
    "selected_option",
    "selected_options",
    "selected_date",
    "selected_time",
    "selected_date_time",
    "selected_conversation",
    "selected_conversations",
    "selected_user",
    "selected_users",
    "selected_channel",
    "selected_channels",
)


def _need(body: dict[str, Any], *names: str) -> list[Any]:
    out = []
    for name in names:
        value = body.get(name)
        if value in (None, "") or (name != "values" and not isinstance(value, (str, dict, list))):
            raise PlaygroundError("invalid_arguments")
        out.append(value)
    return out


def _team(args: dict[str, Any]) -> str | None:
    """The workspace the person is in (`team`), or None: theirs as `Workspace.team_for` chooses."""
    team = args.get("team")
    if team in (None, ""):
        return None
    if not isinstance(team, str):
        raise PlaygroundError("invalid_arguments")
    return team


class Api:
    """The JSON API: each route takes the query (GET) or body (POST) and returns a dict."""

    def __init__(self, workspace: Workspace):
        self.ws = workspace

    # reading
    def get_state(self, q):
        # Without `as`, the page is new: it acts as the first sample person (state.me says who);
        # without `team` (or one they are not in), in their first workspace (state.team says which).
        return self.ws.state(q.get("as") or next(iter(self.ws.people)), _team(q))

    def get_messages(self, q):
        user, channel = _need(q, "as", "channel")
        return {"ok": True, "messages": self.ws.conversation(user, channel, _team(q))}

    def get_thread(self, q):
        user, channel, ts = _need(q, "as", "channel", "ts")
        return self.ws.thread(user, channel, ts, _team(q))

    def get_emoji(self, q):
        return {"ok": True, "emoji": emoji.shortcodes()}

    # acting
    def post_message(self, b):
        user, channel, text = _need(b, "as", "channel", "text")
        thread_ts = b.get("thread_ts") or None
        if text.lstrip().startswith("/"):
            return self.ws.slash_command(user, channel, text, team=_team(b))
        return {"ok": True, "ts": self.ws.post_message(user, channel, text, thread_ts=thread_ts, team=_team(b))}

    def post_edit(self, b):
        self.ws.edit_message(*_need(b, "as", "channel", "ts", "text"), team=_team(b))
        return {"ok": True}

    def post_delete(self, b):
        self.ws.delete_message(*_need(b, "as", "channel", "ts"), team=_team(b))
        return {"ok": True}

    def post_react(self, b):
        user, channel, ts, name = _need(b, "as", "channel", "ts", "name")
        self.ws.react(user, channel, ts, name, remove=bool(b.get("remove")), team=_team(b))
        return {"ok": True}

    def post_action(self, b):
        user, where, action_id = _need(b, "as", "where", "action_id")
        if not isinstance(where, dict):
            raise PlaygroundError("invalid_arguments")
        values = b.get("values")
        if values is not None and not isinstance(values, dict):
            raise PlaygroundError("invalid_arguments")
        # The element itself is looked up where it is stored: an `element` the page sends is ignored.
        selected = {k: b[k] for k in SELECTED if k in b}
        return self.ws.block_action(
            user,
            where,
            block_id=str(b.get("block_id") or ""),
            action_id=action_id,
            values=values,
            team=_team(b),
            **selected,
        )

    def post_submit(self, b):
        user, view_id = _need(b, "as", "view_id")
        values = b.get("values") or {}
        if not isinstance(values, dict):
            raise PlaygroundError("invalid_arguments")
        return self.ws.submit_view(user, view_id, values)

    def post_close(self, b):
        return self.ws.close_view(*_need(b, "as", "view_id"))

    def post_shortcut(self, b):
        return self.ws.shortcut(*_need(b, "as", "callback_id", "channel", "ts"), team=_team(b))

    def post_home(self, b):
        (user,) = _need(b, "as")
        self.ws.open_home(user, str(b.get("tab") or "home"), team=_team(b))
        return {"ok": True}

    def post_options(self, b):
        where = b.get("where") if isinstance(b.get("where"), dict) else {}
        if not b.get("view_id") and where.get("type") == "view":
            b = {**b, "view_id": where.get("view_id")}
        user, view_id, action_id = _need(b, "as", "view_id", "action_id")
        return self.ws.options(
            user, view_id, block_id=str(b.get("block_id") or ""), action_id=action_id, value=str(b.get("value") or "")
        )

    def post_ack_notices(self, b):
        (user,) = _need(b, "as")
        ids = b.get("ids")
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise PlaygroundError("invalid_arguments")
        self.ws.ack_notices(user, ids)
        return {"ok": True}

    def post_as(self, b):
        (user,) = _need(b, "as")
        team = self.ws.team_for(user, _team(b))
        return {"ok": True, "me": user, "team": team}


class PageServer:
    def __init__(self, workspace: Workspace, port: int = 8080, host: str = "127.0.0.1"):
        if host != "127.0.0.1":
            raise ValueError("the playground serves on 127.0.0.1 only")
        self.api = Api(workspace)
        self.workspace = workspace
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                server._handle(self, "GET")

            def do_HEAD(self):
                server._handle(self, "GET")

            def do_POST(self):
                server._handle(self, "POST")

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> PageServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="playground-page", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- requests ---------------------------------------------------------------------------------
    def _reply(self, request, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None):
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        request.send_header("Cache-Control", "no-store")
        request.send_header("X-Content-Type-Options", "nosniff")
        request.send_header("Referrer-Policy", "no-referrer")
        request.send_header("Content-Security-Policy", CSP)
        request.send_header("X-Frame-Options", "DENY")
        for key, value in (extra or {}).items():
            request.send_header(key, value)
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(body)

    def _json(self, request, status: int, body: dict[str, Any]):
        self._reply(request, status, json.dumps(body).encode(), "application/json; charset=utf-8")

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        host = (request.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        if host not in LOOPBACK_HOSTS:
            self._json(request, 403, {"ok": False, "error": "not_loopback"})
            return
        parts = urlsplit(request.path)
        path = parts.path
        try:
            if path.startswith("/api/"):
                self._api(request, method, path[len("/api/") :], parts.query)
            elif method != "GET":
                self._json(request, 405, {"ok": False, "error": "method_not_allowed"})
            elif path in ("/", "/index.html"):
                self._static(request, "index.html")
            elif path.startswith("/static/"):
                self._static(request, path[len("/static/") :])
            elif path.startswith("/files/"):
                found = self.workspace.file(path[len("/files/") :])
                if found is None:
                    self._json(request, 404, {"ok": False, "error": "file_not_found"})
                else:
                    self._reply(request, 200, found[0], found[1])
            else:
                self._json(request, 404, {"ok": False, "error": "not_found"})
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _static(self, request, name: str) -> None:
        target = (STATIC / name).resolve()
        if STATIC.resolve() not in target.parents or not target.is_file():
            self._json(request, 404, {"ok": False, "error": "not_found"})
            return
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
            ctype += "; charset=utf-8"
        self._reply(request, 200, target.read_bytes(), ctype)

    def _api(self, request, method: str, name: str, query: str) -> None:
        handler = (
            getattr(self.api, f"{'get' if method == 'GET' else 'post'}_{name}", None) if name.isidentifier() else None
        )
        if handler is None:
            other = (
                getattr(self.api, f"{'post' if method == 'GET' else 'get'}_{name}", None)
                if name.isidentifier()
                else None
            )
            if other is not None:
                self._json(request, 405, {"ok": False, "error": "method_not_allowed"})
            else:
                self._json(request, 404, {"ok": False, "error": "unknown_method"})
            return
        if method == "GET":
            args = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        else:
            if not (request.headers.get("Content-Type") or "").startswith("application/json"):
                self._json(request, 415, {"ok": False, "error": "invalid_content_type"})
                return
            raw = read_body(request, MAX_BODY)
            if isinstance(raw, BadLength):
                self._json(request, raw.status, {"ok": False, "error": raw.error})
                return
            try:
                args = json.loads(raw or b"{}")
            except ValueError:
                self._json(request, 400, {"ok": False, "error": "invalid_json"})
                return
            if not isinstance(args, dict):
                self._json(request, 400, {"ok": False, "error": "invalid_json"})
                return
        try:
            answer = handler(args)
        except PlaygroundError as exc:
            self._json(request, exc.status, {"ok": False, "error": exc.error})
            return
        except Exception:
            log.exception("playground API %s failed", name)
            self._json(request, 500, {"ok": False, "error": "internal_error"})
            return
        self._json(request, 200, answer)
