"""One running Knowhow: database, Bolt app, outbox worker, scheduler and the HTTP front.

`knowhow run` builds one of these; the tests build the same thing in-process against a Slack
stand-in, so what they exercise is the code path that runs in production.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from contextlib import suppress
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import installs
from bot.app import build_app, make_client
from bot.config import WHERE, ConfigError, Settings
from bot.deps import Deps
from bot.server import HttpServer, SlackFront, valid_unicode
from bot.workers import ChildProcess, InProcess, Workers
from scheduler import jobs, runtime
from scheduler.leadership import Leadership
from storage import migrate
from storage.db import make_engine, ping

log = logging.getLogger(__name__)

SOCKET_MODE_THREADS = 16  # as the HTTP front's thread pool (bot/server.py)


class Knowhow:
    def __init__(
        self,
        settings: Settings,
        *,
        with_scheduler: bool = True,
        host: str = "0.0.0.0",
        outbox_poll_seconds: float = 5.0,
    ):
        self.settings = settings
        self.with_scheduler = with_scheduler
        self.host = host
        self.engine = make_engine(settings.database_url)
        self.client = make_client(settings)
        # The outbox's workers: they do what acked requests imply, after the ack (bot/workers.py).
        # (An in-memory SQLite database cannot be shared with another process: threads there.)
        self.workers: Workers
        if settings.workers == "process" and ":memory:" not in settings.database_url:
            self.workers = ChildProcess(settings, poll_seconds=outbox_poll_seconds)
        else:
            self.workers = InProcess(self.engine, settings, poll_seconds=outbox_poll_seconds)
        self.deps = Deps(
            engine=self.engine,
            settings=settings,
            wake_outbox=self.workers.wake_outbox,
            wake_work=self.workers.wake_work,
            on_session_scheduled=self._set_session_alarms,
        )
        self.app = None
        self.leadership: Leadership | None = None
        self.http: HttpServer | None = None
        self.socket_handler = None
        self._stopped = threading.Event()

    # -- health ------------------------------------------------------------------------------
    def health(self) -> tuple[bool, dict[str, Any]]:
        report: dict[str, Any] = {}
        try:
            ping(self.engine)
            report["database"] = "ok"
        except Exception as exc:  # report the kind of failure, never the URL (it may hold a password)
            report["database"] = f"down: {type(exc).__name__}"
        if not self.with_scheduler:
            report["scheduler"] = "disabled"
        elif self.leadership is None:
            report["scheduler"] = "down"
        else:  # a standby is healthy: it takes the scheduler over when its holder stops
            report["scheduler"] = self.leadership.state
        report["outbox"] = "running" if self.workers.running else "down"
        healthy = (
            report["database"] == "ok"
            and report["scheduler"] in ("running", "standby", "disabled")
            and self.workers.running
        )
        report["status"] = "ok" if healthy else "unhealthy"
        return healthy, report

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def scheduler(self):
        """The scheduler, while this process runs it (None in a standby or a replica)."""
        return self.leadership.scheduler if self.leadership is not None else None

    def _set_session_alarms(self, info) -> None:
        scheduler = self.scheduler
        if scheduler is not None and scheduler.running:
            jobs.set_session_alarms(scheduler, info.team_id, info.id, info.starts_at, info.ends_at, info.state.value)

    def start(self) -> None:
        migrate.upgrade(self.engine)
        runtime.bind_waker(self.workers.wake_outbox)
        self.app = build_app(self.deps, self.client)
        if self.settings.bot_token:  # who the one token is: its workspace is installed (again)
            self.deps.identity = installs.identify(self.client)
            installs.record(self.engine, self.deps.identity)
            self.deps.installs = installs.SingleToken(self.engine, self.settings.bot_token, self.deps.identity)
        self.workers.start()
        if self.with_scheduler:
            reconcilers = jobs.reconcilers(
                followup_hours=self.settings.followup_hours,
                qa_channel=self.settings.qa_channel,
                privacy_threshold=self.settings.privacy_threshold,
                gone_retention_days=self.settings.gone_retention_days,
            )
            # One process runs the scheduler; the others stand by and take over when it stops
            # (scheduler/leadership.py).
            self.leadership = Leadership(self.engine, reconcilers)
            if not self.leadership.start():
                log.info("another Knowhow process runs the scheduler: this one stands by to take it over")
        front = SlackFront(
            None if self.settings.socket_mode else self.app,
            self.settings.signing_secret,
            self.health,
            on_request=self.workers.activity.touch,
            # Distribution mode: the "Add to Slack" pages (plain HTTP, in Socket Mode too).
            oauth=self.app.oauth_flow,
        )
        self.http = HttpServer(front, self.host, self.settings.port)
        try:
            self.http.start()
        except OSError as exc:
            raise ConfigError(
                f"PORT {self.settings.port} cannot be used ({exc.strerror or exc}): set PORT to a free port"
            ) from exc
        if self.settings.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            activity = self.workers.activity

            class Handler(SocketModeHandler):
                """Marks each request's start and end for the workers, and reads its text as valid
                Unicode (`bot.server.valid_unicode`), as the HTTP front does."""

                def handle(self, client, req) -> None:
                    activity.touch()
                    try:
                        req.payload = valid_unicode(req.payload)
                        super().handle(client, req)
                    finally:
                        activity.touch()

            # As many threads as the HTTP front's: at most half of them wait on Slack (bot/ackbudget.py).
            self.socket_handler = Handler(self.app, self.settings.app_token, concurrency=SOCKET_MODE_THREADS)
            try:
                self.socket_handler.connect()
            except SlackApiError as exc:
                error = (exc.response.data or {}).get("error", "refused")
                raise ConfigError(
                    f"SLACK_APP_TOKEN was refused by Slack ({error}): {WHERE['SLACK_APP_TOKEN']}"
                ) from exc
        log.info(
            "Knowhow is running (%s mode, port %s, scheduler %s)",
            "Socket" if self.settings.socket_mode else "HTTP",
            self.http.port,
            ("on" if self.leadership.leading else "standing by") if self.leadership else "off",
        )

    def stop(self) -> None:
        """Stop taking work, let what is in flight finish, then stop the timed work."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self.socket_handler is not None:
            _close_socket_mode(self.socket_handler.client)
        if self.http is not None:
            self.http.stop()  # in-flight requests finish (each one's transaction commits or rolls back)
        if self.leadership is not None:
            self.leadership.stop(wait=True)
        self.workers.stop()
        self.engine.dispose()
        log.info("Knowhow stopped")


def _close_socket_mode(client) -> None:
    """slack-sdk's close() waits for its receiving thread, which holds the lock close() needs while
    it blocks in recv() for up to 3 s, and for its message loop, which polls its queue every 1 s.
    Tell both to end and wake them, then close: a stop is not held up by those timeouts."""
    client.closed = True
    client.auto_reconnect_enabled = False
    runner = getattr(client, "current_session_runner", None)
    if runner is not None:
        runner.event.set()  # its loop starts no new receiving pass
    client.current_session_state.terminated = True
    sock = getattr(client.current_session, "sock", None)
    if sock is not None:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # the blocked recv() returns now
    client.message_queue.put(None)  # the message loop skips a None and sees it is closed
    # A receiving pass that was only starting sets `terminated` back to False as it begins (a stop
    # right after the start): say it again until that pass has ended.
    deadline = time.monotonic() + 5
    thread = getattr(runner, "thread", None)
    while thread is not None and thread.is_alive() and time.monotonic() < deadline:
        client.current_session_state.terminated = True
        thread.join(0.05)
    client.close()
