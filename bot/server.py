"""HTTP mode: a WSGI front for Bolt, served by Cheroot.

The front answers `GET /healthz` itself and guards `POST /slack/events` before Bolt sees it:
Bolt parses the body before checking the signature and raises on a non-numeric timestamp, so an
unsigned or malformed request would become a 500. Here a missing, wrong or stale signature is a
401 and a signed body that is not what it claims is a 400; neither reaches a listener. Nor does a
signed body of a kind Slack never sends (Bolt would take a slash command sent as JSON, an event
sent as a form, or any body starting with `{` as JSON): JSON must be an Events API callback, a form
a slash command, an interaction (`payload=`) or Slack's `ssl_check`; anything else is a 400, or a
415 for another content type.

Whatever a person typed, a signed request reaches its listener: a slash command whose text says
"payload" is not taken for an interaction (Bolt's parse_body reads any form body with that word in it
as one), and half of a UTF-16 surrogate pair in JSON (`\\ud83d` alone: an emoji cut in two) arrives
as U+FFFD, as a byte that is not UTF-8 does in a form (`valid_unicode`; Socket Mode does the same).

A body is read by its Content-Length, or to its end when it comes chunked (what some proxies send),
never more than MAX_BODY_BYTES either way.

With metrics on (`KNOWHOW_METRICS=on`), `GET /metrics` is the Prometheus text format (bot/metrics.py),
and each Slack request's time to its ack is measured there; with metrics off it is a 404.

In distribution mode it also serves the "Add to Slack" pages, `GET /slack/install` and
`GET /slack/oauth_redirect` (bot/install_pages.py): plain pages a browser opens, not signed by
Slack, served in Socket Mode too (the front runs in both modes).
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlencode

from cheroot import wsgi
from cheroot.errors import MaxSizeExceeded
from cheroot.server import ChunkedRFile, SizeCheckWrapper
from slack_bolt import App
from slack_bolt.oauth import OAuthFlow
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot import logs
from bot.metrics import CONTENT_TYPE, Metrics, request_kind
from bot.readguard import GuardedConnection, ReadGuard, request_read

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are far smaller
# What a chunked body may spend on its framing (chunk sizes, extensions, line ends) on top.
MAX_CHUNK_FRAMING_BYTES = 64 * 1024
MAX_QUERY_BYTES = 8 * 1024  # an OAuth redirect's code and state are far shorter
# Slow clients (bot/server.py's ReadGuard): a request's line, headers and body must all arrive within
# this, once a worker has its connection (Slack sends a request at once, and waits 3 s for the ack);
# and one address may have this share of the workers reading its requests at once.
READ_DEADLINE_SECONDS = 5.0
READERS_PER_PEER_SHARE = 4  # a quarter of the workers

JSON_TYPE = "application/json"  # Events API callbacks
FORM_TYPE = "application/x-www-form-urlencoded"  # slash commands, interactions, ssl_check
EVENTS_API_TYPES = frozenset({"url_verification", "event_callback", "app_rate_limited"})

HealthCheck = Callable[[], tuple[bool, dict[str, Any]]]


def _reply(start_response, status: str, body: dict | str | bytes, headers: Iterable[tuple[str, str]] = ()):
    if isinstance(body, dict):
        data, content_type = json.dumps(body).encode(), "application/json"
    elif isinstance(body, str):
        data, content_type = body.encode(), "text/plain; charset=utf-8"
    else:
        data, content_type = body, "application/octet-stream"
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data))), *headers])
    return [data]


class SlackFront:
    def __init__(
        self,
        app: App | None,
        signing_secret: str | None,
        health: HealthCheck,
        on_request: Callable[[], None] = lambda: None,
        oauth: OAuthFlow | None = None,
        metrics: Metrics | None = None,
    ):
        self.app = app
        # GET /metrics and each request's ack time, when metrics are on.
        self.metrics = metrics
        # Distribution mode's OAuth flow: its install and redirect pages are served here.
        self.oauth = oauth
        # Called when a Slack request begins and ends (the workers let acks go first).
        self.on_request = on_request
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.health = health

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if not (path == EVENTS_PATH and method == "POST"):
            request_read()  # nothing more to read: the worker is no longer held for a slow client
        if path == HEALTH_PATH:
            if method not in ("GET", "HEAD"):
                return _reply(start_response, "405 Method Not Allowed", {"error": "use GET"}, [("Allow", "GET")])
            healthy, report = self.health()
            return _reply(start_response, "200 OK" if healthy else "503 Service Unavailable", report)
        if path == METRICS_PATH and self.metrics is not None:
            if method not in ("GET", "HEAD"):
                return _reply(start_response, "405 Method Not Allowed", {"error": "use GET"}, [("Allow", "GET")])
            data = self.metrics.exposition()
            start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(data)))])
            return [data]
        if self.oauth is not None and path in (self.oauth.install_path, self.oauth.redirect_uri_path):
            # GET only: a HEAD (a link checker's) must not spend an install's state.
            if method != "GET":
                return _reply(start_response, "405 Method Not Allowed", {"error": "use GET"}, [("Allow", "GET")])
            return self._oauth(environ, start_response, path)
        if path == EVENTS_PATH and self.app is not None and self.verifier is not None:
            if method != "POST":
                return _reply(start_response, "405 Method Not Allowed", {"error": "use POST"}, [("Allow", "POST")])
            return self._slack(environ, start_response)
        return _reply(start_response, "404 Not Found", {"error": "not found"})

    def _slack(self, environ, start_response):
        self.on_request()
        try:
            return self._dispatch(environ, start_response, time.perf_counter())
        finally:
            self.on_request()

    def _oauth(self, environ, start_response, path: str):
        query = environ.get("QUERY_STRING", "")
        if len(query) > MAX_QUERY_BYTES:
            return _reply(start_response, "414 URI Too Long", {"error": "query too long"})
        headers = {"cookie": environ["HTTP_COOKIE"]} if environ.get("HTTP_COOKIE") else {}
        request = BoltRequest(body="", query=query, headers=headers)
        try:
            if path == self.oauth.install_path:
                response = self.oauth.handle_installation(request)
            else:
                response = self.oauth.handle_callback(request)
        except Exception:
            log.exception("the OAuth page %s failed", path)
            return _reply(start_response, "500 Internal Server Error", "Knowhow could not finish this; try again.")
        return _bolt_reply(start_response, response)

    def _dispatch(self, environ, start_response, started: float):
        try:
            raw = _read_body(environ)
        except _Refused as refused:
            return _reply(start_response, refused.status, {"error": refused.error})
        headers = {
            key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")
        }
        media_type = (environ.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()
        headers["content-type"] = media_type  # as Bolt compares it
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        try:
            body = raw.decode("utf-8")  # Slack signs and sends UTF-8; anything else is not from Slack
        except UnicodeDecodeError:
            return _reply(start_response, "400 Bad Request", {"error": "body is not UTF-8"})
        if not _valid_signature(self.verifier, body, timestamp, signature):
            return _reply(start_response, "401 Unauthorized", {"error": "invalid request"})
        try:
            body = _as_slack_sends(media_type, body)
        except _Refused as refused:
            return _reply(start_response, refused.status, {"error": refused.error})
        try:
            request = BoltRequest(body=body, query=environ.get("QUERY_STRING", ""), headers=headers)
        except (ValueError, TypeError, AttributeError, KeyError):
            return _reply(start_response, "400 Bad Request", {"error": "malformed body"})
        if not isinstance(request.body, dict):
            return _reply(start_response, "400 Bad Request", {"error": "malformed body"})
        kind = request_kind(request.body)
        with logs.context(team=team_of_body(request.body), request_kind=kind):
            response = self.app.dispatch(request)
        if self.metrics is not None:
            self.metrics.ack.labels(kind).observe(time.perf_counter() - started)
        return _bolt_reply(start_response, response)


class _Refused(Exception):
    def __init__(self, status: str, error: str):
        super().__init__(error)
        self.status, self.error = status, error


def _read_body(environ) -> bytes:
    """The request's body: Content-Length bytes, or a chunked body read to its end (the server says
    so with `wsgi.input_terminated`); at most MAX_BODY_BYTES, else _Refused."""
    stream = environ["wsgi.input"]
    chunked = bool(environ.get("wsgi.input_terminated"))
    if environ.get("CONTENT_LENGTH"):
        if chunked:
            # Both framings at once: Slack never sends that, and it is how requests are smuggled.
            raise _Refused("400 Bad Request", "both Content-Length and Transfer-Encoding")
        try:
            length = int(environ["CONTENT_LENGTH"])
        except ValueError:
            raise _Refused("400 Bad Request", "bad content length") from None
        if length > MAX_BODY_BYTES:
            raise _Refused("413 Content Too Large", "body too large")
        raw = stream.read(length) if length > 0 else b""
        if not request_read():
            raise _Refused("408 Request Timeout", "body not received in time")
        if len(raw) < length:
            raise _Refused("400 Bad Request", "body shorter than its Content-Length")
        return raw
    if not chunked:
        request_read()
        return b""
    try:
        raw = _bounded(stream).read(MAX_BODY_BYTES + 1)
        if not request_read():
            raise _Refused("408 Request Timeout", "body not received in time")
    except MaxSizeExceeded:
        raise _Refused("413 Content Too Large", "body too large") from None
    except ValueError:  # cheroot: a chunk size that is not hex, or a chunk not followed by CRLF
        if not request_read():  # or cut at the deadline in the middle of a chunk
            raise _Refused("408 Request Timeout", "body not received in time") from None
        raise _Refused("400 Bad Request", "bad chunked body") from None
    except TimeoutError:
        raise _Refused("408 Request Timeout", "body not received in time") from None
    except OSError as exc:
        if "Too Large" in str(exc):  # cheroot: a chunk announced past the limit, not read
            raise _Refused("413 Content Too Large", "body too large") from None
        raise
    if len(raw) > MAX_BODY_BYTES:
        raise _Refused("413 Content Too Large", "body too large")
    return raw


def _as_slack_sends(media_type: str, body: str) -> str:
    """The body for Bolt, if it is one Slack sends to the request URL (shared/slack/PROTOCOL.md):
    an Events API callback as JSON; a slash command, an interaction or an ssl_check form-encoded.
    Anything else is _Refused."""
    if media_type == JSON_TYPE:
        try:
            data = json.loads(body)
        except ValueError:
            raise _Refused("400 Bad Request", "malformed body") from None
        if not isinstance(data, dict) or data.get("type") not in EVENTS_API_TYPES:
            raise _Refused("400 Bad Request", "a JSON body must be an Events API callback")
        return json.dumps(valid_unicode(data)) if _SURROGATE_ESCAPE.search(body) else body
    if media_type != FORM_TYPE:
        raise _Refused("415 Unsupported Media Type", f"Slack sends {JSON_TYPE} or {FORM_TYPE}")
    if body.lstrip().startswith("{"):  # Bolt would read it as JSON, whatever the content type
        raise _Refused("400 Bad Request", "a form body must be form-encoded")
    fields = parse_qsl(body, keep_blank_values=True)
    names = {name for name, _ in fields}
    if "payload" in names:
        if names != {"payload"}:
            raise _Refused("400 Bad Request", "an interaction is one payload field")
        text = dict(fields)["payload"]  # as Bolt reads it: the last one
        try:
            payload = json.loads(text)
        except ValueError:
            raise _Refused("400 Bad Request", "malformed body") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            raise _Refused("400 Bad Request", "an interaction's payload must have a type")
        return urlencode({"payload": json.dumps(valid_unicode(payload))}) if _SURROGATE_ESCAPE.search(text) else body
    if "command" in names:
        # Bolt reads a form body with "payload" anywhere in it (a command's text: "the webhook
        # payload") as an interaction, and finds none. The same form with an `a` percent-encoded
        # says the same to a form parser, and a `p` is never part of a percent escape.
        return body.replace("payload", "p%61yload")
    if ("ssl_check", "1") in fields:
        return body
    raise _Refused("400 Bad Request", "a form body must be a slash command or an interaction")


# Half of a UTF-16 surrogate pair: JSON's `\uD83D` escapes can say one alone, UTF-8 cannot, and no
# database stores it (the listener would fail on every delivery). In a form, the bytes that would
# say it are not UTF-8 and are already read as U+FFFD.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")  # worth a look (or an escaped backslash)


def valid_unicode(data: Any) -> Any:
    """Parsed JSON with each lone surrogate replaced by U+FFFD, as a UTF-8 decoder replaces a byte
    that is not UTF-8 (a pair escaped as `\\ud83d\\ude00` is one character once parsed)."""
    if isinstance(data, str):
        return _SURROGATE.sub("\ufffd", data)
    if isinstance(data, dict):
        return {valid_unicode(key): valid_unicode(value) for key, value in data.items()}
    if isinstance(data, list):
        return [valid_unicode(value) for value in data]
    return data


def _bounded(stream):
    """Cheroot's chunked input, limited to MAX_BODY_BYTES and its framing on the wire. Cheroot reads
    a chunk-size line whole, however long, and, with no limit set, each chunk whole: read through its
    own size check instead, so a chunk announced too large is refused unread and a line that never
    ends stops at the limit."""
    if not isinstance(stream, ChunkedRFile) or stream.bytes_read or stream.buffer:
        return stream
    limit = MAX_BODY_BYTES + MAX_CHUNK_FRAMING_BYTES
    return ChunkedRFile(SizeCheckWrapper(stream.rfile, limit), limit)


def team_of_body(body: dict) -> str | None:
    """The workspace a Slack request names, as its payload says it (for the logs)."""
    team = body.get("team_id") or body.get("team")
    if isinstance(team, dict):
        team = team.get("id")
    return team if isinstance(team, str) else None


def _bolt_reply(start_response, response: BoltResponse):
    out_headers = [(k, v) for k, values in response.headers.items() for v in values if k.lower() != "content-length"]
    data = (response.body or "").encode("utf-8")
    out_headers.append(("Content-Length", str(len(data))))
    start_response(f"{response.status} {HTTPStatus(response.status).phrase}", out_headers)
    return [data]


def _valid_signature(verifier: SignatureVerifier, body: str, timestamp: str, signature: str) -> bool:
    # Slack's timestamps are Unix seconds in ASCII digits; anything else is refused before
    # slack-sdk's int() could raise on it ("²" is a digit to str.isdigit, for one).
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12 and signature):
        return False
    try:
        return verifier.is_valid(body, timestamp, signature)
    except (ValueError, TypeError):
        return False


class HttpServer:
    """Cheroot on a thread pool, bound on start, stopped gracefully (in-flight requests finish)."""

    def __init__(
        self,
        wsgi_app,
        host: str,
        port: int,
        *,
        threads: int = 16,
        shutdown_timeout: float = 10,
        read_deadline: float = READ_DEADLINE_SECONDS,
        readers_per_peer: int | None = None,
    ):
        # Cheroot's default listen backlog is 5: under a burst the kernel drops connections and
        # Slack's 3-second ack budget goes to TCP retransmits. Queue them instead.
        self.server = wsgi.Server(
            (host, port),
            wsgi_app,
            numthreads=threads,
            shutdown_timeout=shutdown_timeout,
            request_queue_size=1024,
            # Each socket read (and the idle time of a kept-alive connection): the deadline for a whole
            # request is the read guard's, which a byte every few seconds cannot stretch.
            timeout=read_deadline,
        )
        # Slow clients hold a worker until the deadline at most, and one address only a few at once.
        self.read_guard = ReadGuard(read_deadline, readers_per_peer or max(threads // READERS_PER_PEER_SHARE, 1))
        self.server.read_guard = self.read_guard
        self.server.ConnectionClass = GuardedConnection
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server.bind_addr[1]

    def start(self) -> None:
        self.server.prepare()  # binds now, so a taken port fails start-up, not a background thread
        self.read_guard.start()
        self._thread = threading.Thread(target=self.server.serve, name="knowhow-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._wake_selector()
        self.server.stop()
        if self._thread is not None:
            self._thread.join(15)
        self.read_guard.stop()

    def _wake_selector(self) -> None:
        """Cheroot's stop() waits for its selector loop to see the stop, which an idle loop does only
        when its select() times out (expiration_interval, 0.5 s), and touches its socket to wake it
        only after that wait. Ask the loop to stop and touch the socket first, so a stop takes no
        fixed half second (in-flight requests still finish: server.stop() waits for its workers)."""
        connections = getattr(self.server, "_connections", None)
        if not self.server.ready or connections is None or not hasattr(connections, "_stop_requested"):
            return  # not serving, or a cheroot whose loop is stopped otherwise: server.stop() alone
        connections._stop_requested = True
        host, port = self.server.socket.getsockname()[:2]
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
        with suppress(OSError), socket.create_connection((host, port), timeout=1):
            pass
