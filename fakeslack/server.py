"""The Web API stand-in: `http://127.0.0.1:PORT/api/<method>`, plus `/response/<id>` for response_urls
and `/upload/v1/<file id>` for the upload_urls of files.getUploadURLExternal (recorded as "upload").

Answers have Slack's shapes: HTTP 200 with `{"ok": true, ...}` or `{"ok": false, "error": ...}`,
HTTP 429 with `Retry-After` when told to rate-limit (once, `fail_next`, or as Slack's per-channel
posting limit does, `post_rate_limit` / `limit_posts`: fakeslack/ratelimit.py), no answer at all for
a while when told to hang (`hang`: Slack up but not answering, until `release`), or none ever for a
call it carried out (`lose_answer_next`: done, but the answer lost on the way back). Every call is
recorded with its parsed arguments and the token it was made with (`Call.token`), so tests assert
on what the app asked Slack to do, and as which installation.

Tokens: the stand-in's own (`token`), and those "Add to Slack" installs issue: `oauth_code(...)` says who
installs, `oauth.v2.access` exchanges the code, refreshes rotating tokens once each, and `auth.test` says whose a
token is, Enterprise Grid org-wide installs included (fakeslack/oauth.py). `revoke(token)` makes Slack refuse a
token (token_revoked); answers to calls made with a bot token say its granted scopes in `x-oauth-scopes` (the
stand-in's own token's are `scopes`, an install's its grant's).

This module is the HTTP server, the dispatch and the scripting; the methods are in
fakeslack/methods/ (one module per family), the state in fakeslack/store.py. Built on it (the
playground does), use the public hooks: `methods` / `handler(name)` to replace or wrap a method
(`response_url` included), `can_post` for who may post where, `after_answer` to see every answer,
`store` (and its `lock`) for the state.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from fakeslack import grid
from fakeslack.answers import Refusal, blocks_problem, err
from fakeslack.blocks import markup_shown_as_typed
from fakeslack.calls import Call, block_text
from fakeslack.http import MAX_REQUEST_BODY, Answer, BadLength, content_length, headers_of, read_body, send
from fakeslack.methods import FAMILIES
from fakeslack.methods.files import UPLOAD_PATH, take_upload, upload_content
from fakeslack.methods.views import VIEW_STACK_MAX
from fakeslack.oauth import Grant, Grants
from fakeslack.ratelimit import POSTING, ChannelLimit
from fakeslack.store import Store

__all__ = [
    "MAX_REQUEST_BODY",
    "VIEW_STACK_MAX",
    "Answer",
    "Call",
    "FakeSlack",
    "Refusal",
    "block_text",
    "content_length",
]

# Arguments that slack-sdk sends JSON-encoded inside form bodies.
_JSON_ARGS = {"blocks", "attachments", "view", "files", "metadata"}
# Methods called without the bot token (apps.connections.open checks its app-level token itself,
# oauth.v2.access the app's client id and secret).
NO_TOKEN = {"api.test", "apps.connections.open", "oauth.v2.access", "response_url"}
# Scripted: carry the call out, then drop the connection without answering.
_LOSE = -1

Handler = Callable[[Call], Answer]


class FakeSlack:
    def __init__(
        self,
        *,
        token: str = "xoxb-fake-token",
        team_id: str = "T0FAKETEAM",
        bot_user_id: str = "U0FAKEBOT1",
        bot_id: str = "B0FAKEBOT1",
        app_id: str = "A0FAKEAPP1",
        private_channels: tuple[str, ...] = (),
        response_body_limit: int = MAX_REQUEST_BODY,
        post_rate_limit: tuple[float, int] | None = None,
        client_id: str = "1111111111.2222222222",
        client_secret: str = "fake-client-secret",
        scopes: tuple[str, ...] | None = None,
        app_token: str | None = None,
        port: int = 0,
    ):
        # The loopback port to serve on (0: any free one); a fixed one lets a test start Knowhow
        # against it before the stand-in is up (Slack unreachable at start).
        self.port = port
        self.token = token
        # The bot scopes the stand-in's own token was granted: every answer to a call made with it
        # says them in Slack's `x-oauth-scopes` header (an install's tokens say their grant's
        # scopes). None: answers carry no such header.
        self.scopes = scopes
        # Tokens revoked since they were issued: Slack answers token_revoked (`revoke`).
        self.revoked: set[str] = set()
        # The app-level token apps.connections.open takes; None: any xapp- token.
        self.app_token = app_token
        # The app's credentials, for oauth.v2.access; what installs issued (fakeslack/oauth.py).
        self.client_id = client_id
        self.client_secret = client_secret
        self.grants = Grants()
        # The app the bot user belongs to (bots.info says it; requests carry it as api_app_id).
        self.app_id = app_id
        self.store = Store(team_id=team_id, bot_user_id=bot_user_id, bot_id=bot_id, private_channels=private_channels)
        self.calls: list[Call] = []
        # mrkdwn sent where Slack shows text as typed (fakeslack/blocks.py): "method: problem".
        # Slack takes it, so nothing is refused; the tests fail on it.
        self.shown_as_typed: list[str] = []
        self._scripts: dict[str, deque[Answer]] = defaultdict(deque)
        # `lose_answer_next`: (method, which of its calls) to carry out and then not answer.
        self._losing: list[tuple[str, Callable[[Call], bool] | None]] = []
        # `hang`: (the methods held, None for every Web API method; for how long; the release).
        self._hang: tuple[frozenset[str] | None, float, threading.Event] | None = None
        # The largest body a response_url takes.
        self.response_body_limit = response_body_limit
        # Why the bot may not post in a channel (Slack's error) or None; a workspace replaces the rule.
        self.can_post: Callable[[str], str | None] = self.store.can_post
        # Each method's handler, by name; "response_url" answers the posts to response_urls.
        self.methods: dict[str, Handler] = {"response_url": self._response_url}
        for family in FAMILIES:
            for name, method in family.METHODS.items():
                self.methods[name] = functools.partial(method, self)
        # Called with (call, answer) after every call a handler answered (scripted failures aside).
        self.after_answer: list[Callable[[Call, Answer], None]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Set to a fakeslack.socket_mode.SocketModeServer to accept Socket Mode connections.
        self.socket_mode = None
        # Slack's per-channel posting limit, off unless asked for: (posts a second, burst).
        self.post_limit: ChannelLimit | None = None
        if post_rate_limit is not None:
            self.limit_posts(*post_rate_limit)

    def limit_posts(self, rate: float, burst: int, *, methods: frozenset[str] = POSTING) -> ChannelLimit:
        """Limit posting per channel as Slack does: `burst` posts at once, then `rate` a second;
        beyond that HTTP 429 with a Retry-After. `post_limit.refused` counts the 429s by channel."""
        self.post_limit = ChannelLimit(rate, burst, methods=methods)
        return self.post_limit

    def handler(self, method: str) -> Callable[[Handler], Handler]:
        """Register the decorated function as `method`'s handler (it takes the Call, returns an Answer)."""

        def register(function: Handler) -> Handler:
            self.methods[method] = function
            return function

        return register

    # -- the state, as tests read it -------------------------------------------------------------
    team_id = property(lambda self: self.store.team_id)
    bot_user_id = property(lambda self: self.store.bot_user_id)
    bot_id = property(lambda self: self.store.bot_id)
    lock = property(lambda self: self.store.lock)
    messages = property(lambda self: self.store.messages)
    views = property(lambda self: self.store.views)
    users = property(lambda self: self.store.users)
    files = property(lambda self: self.store.files)
    joined = property(lambda self: self.store.joined)
    private_channels = property(lambda self: self.store.private_channels)
    not_joined = property(lambda self: self.store.not_joined)
    group_dms = property(lambda self: self.store.group_dms)

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

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        # A short poll interval: stop() (shutdown) waits up to that long, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return self._server.server_address

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.address[1]}"

    @property
    def api_url(self) -> str:
        return self.base + "/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.base}/response/{name}"

    # -- Enterprise Grid (fakeslack/grid.py) ----------------------------------------------------
    def grid(self, enterprise_id: str, name: str = "Fake Corp", *, org_wide: bool = True) -> FakeSlack:
        """Make the stand-in's workspace part of an Enterprise Grid organisation; `org_wide`: the
        bot token is an org-wide installation, which serves every workspace of it."""
        with self.lock:
            self.store.enterprise = {"id": enterprise_id, "name": name}
            self.store.org_wide = org_wide
        return self

    def add_workspace(self, team_id: str, name: str, domain: str | None = None) -> dict[str, str]:
        """Another workspace the stand-in hosts: one of the organisation's (`grid` first), or, for
        requests signed as another organisation's, its own."""
        workspace = {"id": team_id, "domain": domain or grid.domain_of(name), "name": name}
        with self.lock:
            self.store.workspaces[team_id] = workspace
        return dict(workspace)

    def add_channel(
        self,
        channel: str,
        *,
        team_id: str | None = None,
        private: bool = False,
        archived: bool = False,
        without_bot: bool = False,
    ) -> None:
        """A channel of one of the organisation's workspaces (the stand-in's own by default);
        a private one holds the bot (it was invited); an archived one is read-only. `without_bot`:
        a DM or group DM between people, which the bot is not in and cannot read."""
        with self.lock:
            if without_bot:
                self.store.without_bot.add(channel)
            if team_id and team_id != self.store.team_id:
                self.store.channel_teams[channel] = team_id
            if private:
                self.store.private_channels.add(channel)
                self.store.joined.add(channel)
            if archived:
                self.store.archived.add(channel)

    def delete_channel(self, channel: str) -> None:
        """Someone deleted the channel (or its id was never one): every method answers channel_not_found."""
        with self.lock:
            self.store.deleted.add(channel)

    def revoke(self, token: str | None = None) -> None:
        """Revoke a bot token (the stand-in's own by default), as an admin can in Slack: every call
        made with it is answered token_revoked."""
        with self.lock:
            self.revoked.add(token or self.token)

    # -- the workspace --------------------------------------------------------------------------
    def add_user(self, user_id: str, **fields: Any) -> dict[str, Any]:
        """Register a member of the workspace; users.info answers with it. Fields as
        `Store.user_object` takes them (name, real_name, title, tz, tz_offset, is_admin, is_bot, ...).
        Returns the user object users.info will give."""
        user = self.store.user_object(user_id, **fields)
        with self.lock:
            self.users[user_id] = user
        return copy.deepcopy(user)

    def set_profile_field(self, user_id: str, label: str, value: str) -> str:
        """Give a person a value of the workspace's custom profile field `label` (created the first
        time, as an admin adds one in Slack's settings): users.profile.get and team.profile.get
        answer with it. Returns the field's id."""
        with self.lock:
            fields = self.store.profile_fields
            field_id = next((i for i, f in fields.items() if f["label"] == label), None)
            if field_id is None:
                field_id = f"Xf{len(fields) + 1:02d}FAKE{len(fields) + 1:02d}"
                fields[field_id] = {
                    "id": field_id,
                    "ordering": len(fields),
                    "field_name": None,
                    "label": label,
                    "hint": "",
                    "type": "text",
                    "possible_values": None,
                    "options": None,
                    "is_hidden": False,
                    "section_id": "",
                }
            self.store.profile_values[user_id][field_id] = {"value": value, "alt": ""}
        return field_id

    def add_message(
        self, channel: str, *, user: str, text: str, ts: str | None = None, thread_ts: str | None = None
    ) -> dict[str, Any]:
        """Put a message a person wrote into `channel` (a thread reply when `thread_ts` is given), as
        conversations.history and chat.update see it. Returns the stored message."""
        message = {
            "type": "message",
            "user": user,
            "ts": ts or self.store.next_ts(),
            "text": text,
            "team": self.team_id,
        }
        if thread_ts:
            message["thread_ts"] = thread_ts
        with self.lock:
            self.messages[channel].append(message)
        return copy.deepcopy(message)

    # -- installs ("Add to Slack") ---------------------------------------------------------------
    def oauth_code(
        self,
        team_id: str | None,
        team_name: str | None = None,
        *,
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
        is_enterprise_install: bool = False,
        rotation: bool = False,
        expires_in: int = 12 * 3600,
        bot_user_id: str | None = None,
        installer: str = "U0INSTALL1",
        scope: str = "commands,chat:write",
        redirect_uri: str | None = None,
    ) -> str:
        """Someone approved the app in Slack: the `code` Slack sends to the app's redirect URL,
        which oauth.v2.access exchanges (once) for a bot token of `team_id`, or of the Grid
        organisation `enterprise_id` when `is_enterprise_install` (then `team_id` is None)."""
        grant = Grant(
            team_id=None if is_enterprise_install else team_id,
            team_name=None if is_enterprise_install else (team_name or team_id),
            enterprise_id=enterprise_id,
            enterprise_name=enterprise_name or enterprise_id,
            enterprise_install=is_enterprise_install,
            bot_user_id=bot_user_id or self.bot_user_id,
            bot_id=self.bot_id,
            installer=installer,
            scope=scope,
            rotation=rotation,
            expires_in=expires_in,
            redirect_uri=redirect_uri,
        )
        return self.grants.code(grant)

    def grant_of(self, token: str | None) -> Grant | None:
        """The install a token was issued by, None for the stand-in's own token or an unknown one."""
        return self.grants.identity(token)[0] if token else None

    def installed_token(self, team_id: str | None, enterprise_id: str | None = None) -> str | None:
        """The latest bot token issued for a workspace (or, with `team_id` None, an org-wide install)."""
        with self.grants.lock:
            return self.grants.latest.get((enterprise_id, team_id))

    # -- scripting ----------------------------------------------------------------------------
    def lose_answer_next(self, method: str, where: Callable[[Call], bool] | None = None) -> None:
        """Carry out the next call of `method` (the next one `where` picks, when given), then drop
        the connection without answering: the app cannot tell whether Slack did it (a timeout or
        a reset after Slack took the request)."""
        with self.lock:
            self._losing.append((method, where))

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
        with self.lock:
            for _ in range(times):
                self._scripts[method].append(Answer(status, body, headers))

    def hang(self, *methods: str, seconds: float = 20.0) -> None:
        """Hold every call of `methods` (every Web API method when none is named; "response_url"
        and "upload" only when named) for `seconds` from its arrival without answering, then
        carry it out and answer as usual: Slack up but not answering. The call is recorded when it
        arrives. `release()` ends the hang and lets what it holds go on at once."""
        with self.lock:
            self.release()
            self._hang = (frozenset(methods) or None, seconds, threading.Event())

    def release(self) -> None:
        """End a `hang`: the calls it holds are carried out and answered now."""
        with self.lock:
            hang, self._hang = self._hang, None
        if hang is not None:
            hang[2].set()

    def _hold(self, method: str) -> None:
        hang = self._hang
        if hang is None:
            return
        methods, seconds, released = hang
        held = method in methods if methods is not None else method not in ("response_url", "upload")
        if held:
            released.wait(seconds)

    # -- reading what happened ----------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 30.0) -> list[Call]:
        """Wait until `method` was called at least `count` times; return those calls."""
        deadline = time.monotonic() + timeout
        with self.lock:
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
                self.lock.wait(left)

    def clear(self) -> None:
        with self.lock:
            self.calls.clear()

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """A copy of the message at `ts` in `channel` (top-level or a thread reply) as it stands now,
        after any chat.update; None when there is none."""
        with self.lock:
            found = self.store.find_message(channel, ts)
            return copy.deepcopy(found) if found is not None else None

    def view(self, view_id: str) -> dict[str, Any] | None:
        """A copy of the modal `view_id` as last opened, pushed or updated; None when unknown."""
        with self.lock:
            found = self.views.get(view_id)
            return copy.deepcopy(found) if found is not None else None

    # -- the server side ----------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        raw = read_body(request, self.response_body_limit if path.startswith("/response/") else MAX_REQUEST_BODY)
        if isinstance(raw, BadLength):
            send(request, Answer(raw.status, raw.error))
            return
        headers = headers_of(request)
        content = b""
        if path.startswith("/response/"):
            method = "response_url"
            try:
                args = json.loads(raw or b"{}")
            except ValueError:
                args = None
            if not isinstance(args, dict):
                send(request, Answer(400, "invalid_payload"))
                return
        elif path.startswith("/api/"):
            method = path[len("/api/") :]
            args = self._parse_args(raw, headers, request.path)
        elif path.startswith(UPLOAD_PATH):
            # The bytes of a file, POSTed to the upload_url files.getUploadURLExternal gave: no token.
            method = "upload"
            content = upload_content(raw, headers)
            args = {"file_id": path[len(UPLOAD_PATH) :], "size": len(content)}
        else:
            send(request, Answer(404, "not found"))
            return
        call = Call(method=method, args=args, headers=headers, path=path)
        body = args.get("view") if method.startswith("views.") else args
        notifies = method in ("chat.postMessage", "chat.scheduleMessage")
        typed = [f"{method}: {problem}" for problem in markup_shown_as_typed(body, notifies=notifies)]
        with self.lock:
            self.calls.append(call)
            self.shown_as_typed.extend(typed)
            scripted = self._scripts[method].popleft() if self._scripts[method] else None
            if scripted is None and (lost := self._lost(call)) is not None:
                self._losing.remove(lost)
                scripted = Answer(_LOSE, "")
            self.lock.notify_all()
        self._hold(method)
        if scripted is None or scripted.status == _LOSE:
            answer = take_upload(self.store, args["file_id"], content) if method == "upload" else self.answer(call)
            if scripted is not None:  # done, but the answer is lost on the way back
                request.close_connection = True
                request.connection.shutdown(2)
                return
            scripted = answer
        with contextlib.suppress(OSError):  # a caller that gave up on a held call has gone
            send(request, scripted)

    def _lost(self, call: Call) -> tuple[str, Callable[[Call], bool] | None] | None:
        """The `lose_answer_next` that takes `call`, if any (call with the lock held)."""
        return next((w for w in self._losing if w[0] == call.method and (w[1] is None or w[1](call))), None)

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

    def answer(self, call: Call) -> Answer:
        """What Slack answers `call` (the token checked, then its method's handler); `after_answer` sees it."""
        handler = self.methods.get(call.method)
        if call.method not in NO_TOKEN and (refused := self._refuse_token(call)):
            answer = err(refused)
        elif self.post_limit and (limited := self.post_limit.check(call.method, call.args.get("channel", ""))):
            answer = limited
        else:
            answer = handler(call) if handler is not None else err("unknown_method")
            scopes = self.scopes_of(call.token) if call.method not in NO_TOKEN else None
            if scopes is not None:  # as Slack does, on every answer to a call made with a bot token
                answer = Answer(answer.status, answer.body, {**answer.headers, "x-oauth-scopes": ",".join(scopes)})
        for hook in self.after_answer:
            hook(call, answer)
        return answer

    def _refuse_token(self, call: Call) -> str | None:
        """Why Slack refuses the call's token, or None: the stand-in's own token, or one an
        install issued that has not expired."""
        if call.token is None:
            return "not_authed"
        if call.token in self.revoked:
            return "token_revoked"
        if call.token == self.token:
            return None
        return self.grants.identity(call.token)[1]

    def scopes_of(self, token: str | None) -> tuple[str, ...] | None:
        """The bot scopes a token was granted (Slack's `x-oauth-scopes`), None when unknown."""
        if token is None or token in self.revoked:
            return None
        if token == self.token:
            return self.scopes
        grant = self.grant_of(token)
        return tuple(s for s in grant.scope.split(",") if s) if grant is not None else None

    @staticmethod
    def _response_url(call: Call) -> Answer:
        # Slack takes a response_url body only when its blocks would do in a message.
        if call.args.get("blocks") and blocks_problem(call.args["blocks"]):
            return Answer(400, "invalid_blocks")
        return Answer(200, "ok")
