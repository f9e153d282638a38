"""One running Knowhow: database, Bolt app, outbox worker, scheduler and the HTTP front.

`knowhow run` builds one of these; the tests build the same thing in-process against a Slack
stand-in, so what they exercise is the code path that runs in production.

Knowhow starts during a Slack outage: when the Web API cannot be reached (or answers 5xx) at start,
everything that needs no Slack starts anyway (the database, the HTTP front, the workers, the
scheduler), `/healthz` says "degraded" and why, and Knowhow keeps trying in the background: once
Slack answers, it learns who its token is, connects Socket Mode, and sends what waited (the outbox
retries sends on its own; the rows backing off after a network error are made due at once). A
token Slack refuses is still a configuration error that stops the start.
"""

from __future__ import annotations

import itertools
import logging
import socket
import threading
import time
from contextlib import suppress
from multiprocessing import get_context
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import installs, logs
from bot.app import build_app, make_client
from bot.config import WHERE, ConfigError, Settings
from bot.delivery import error_of
from bot.deps import Deps
from bot.metrics import Counts, Metrics, request_kind
from bot.outbox import classify
from bot.server import READ_DEADLINE_SECONDS, HttpServer, SlackFront, team_of_body, valid_unicode
from bot.workers import CONTEXT, ChildProcess, InProcess, Workers
from core.clock import utcnow
from scheduler import jobs, runtime
from scheduler.leadership import Leadership
from storage import migrate, tally
from storage import outbox as outbox_rows
from storage.db import make_engine, ping, session_scope

log = logging.getLogger(__name__)

SOCKET_MODE_THREADS = 16  # as the HTTP front's thread pool (bot/server.py)
# A stop waits this long at most for requests already taken from the socket to send their acks
# (longer than the 2 s every request's Slack calls share before its ack: bot/ackbudget.py).
SOCKET_MODE_DRAIN_SECONDS = 5
# Then it waits this long at most for work listeners left for after their acks (lazy listeners,
# bot.ackbudget.after_ack) on Bolt's listener executor: their Slack calls are bounded by the client's
# timeout, so a Slack that hangs is given up on here rather than holding the stop.
AFTER_ACK_DRAIN_SECONDS = 5
# How long to wait before asking an unreachable Slack again, one try after another (then the last).
SLACK_RETRY_SECONDS = (1, 2, 5, 10, 30)
_UNREACHABLE = object()  # what `Knowhow._ask_slack` answers while Slack cannot be reached


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
        # How long the HTTP front waits for a request's bytes (bot/server.py).
        self.read_deadline = READ_DEADLINE_SECONDS
        self.engine = make_engine(settings.database_url)
        self.client = make_client(settings)
        # GET /metrics (KNOWHOW_METRICS=on): this Knowhow's own registry (bot/metrics.py); the
        # counts are shared with the workers' process.
        self.metrics = Metrics(self.engine, Counts(get_context(CONTEXT))) if settings.metrics else None
        counts = self.metrics.counts if self.metrics else None
        # The outbox's workers: they do what acked requests imply, after the ack (bot/workers.py).
        # (An in-memory SQLite database cannot be shared with another process: threads there.)
        self.workers: Workers
        if settings.workers == "process" and ":memory:" not in settings.database_url:
            self.workers = ChildProcess(settings, poll_seconds=outbox_poll_seconds, counts=counts)
        else:
            self.workers = InProcess(self.engine, settings, poll_seconds=outbox_poll_seconds, counts=counts)
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
        self._socket_requests: set[str] = set()  # envelopes taken from the socket, not yet acked
        self._stopped = threading.Event()
        # Why Slack's Web API cannot be reached, while it cannot (None once it answered).
        self.slack_problem: str | None = None
        self._catching_up: threading.Thread | None = None

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
        report["slack"] = "ok" if self.slack_problem is None else f"unreachable: {self.slack_problem}"
        healthy = (
            report["database"] == "ok"
            and report["scheduler"] in ("running", "standby", "disabled")
            and self.workers.running
        )
        # Degraded, not unhealthy: this process is fine and catches up by itself once Slack answers
        # (restarting it would not bring Slack back), so health checks keep it.
        report["status"] = ("ok" if self.slack_problem is None else "degraded") if healthy else "unhealthy"
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
        if self.metrics is not None:
            # What this process stores (an accepted answer; everything, with the workers in threads)
            # and how late its scheduler is.
            tally.observe(self.engine, self.metrics.counts.stored)
            runtime.bind_lag_observer(self.metrics.lagged)
        reachable = self._identify() if self.settings.bot_token else True
        self.app = build_app(self.deps, self.client, verify_token=reachable)
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
            metrics=self.metrics,
        )
        self.http = HttpServer(front, self.host, self.settings.port, read_deadline=self.read_deadline)
        try:
            self.http.start()
        except OSError as exc:
            raise ConfigError(
                f"PORT {self.settings.port} cannot be used ({exc.strerror or exc}): set PORT to a free port"
            ) from exc
        if self.settings.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            activity, metrics = self.workers.activity, self.metrics
            taken = self._socket_requests

            class Handler(SocketModeHandler):
                """Marks each request's start and end for the workers, counts the requests taken
                and not yet answered (a stop waits for their acks), and reads their text as valid
                Unicode (`bot.server.valid_unicode`), as the HTTP front does; with metrics on, times
                it to its ack."""

                def handle(self, client, req) -> None:
                    started = time.perf_counter()
                    activity.touch()
                    taken.add(req.envelope_id)
                    try:
                        req.payload = valid_unicode(req.payload)
                        kind = request_kind(req.payload)
                        with logs.context(team=team_of_body(req.payload), request_kind=kind):
                            super().handle(client, req)
                        if metrics is not None:
                            metrics.ack.labels(kind).observe(time.perf_counter() - started)
                    finally:
                        taken.discard(req.envelope_id)
                        activity.touch()

            # As many threads as the HTTP front's: at most half of them wait on Slack (bot/ackbudget.py).
            self.socket_handler = Handler(self.app, self.settings.app_token, concurrency=SOCKET_MODE_THREADS)
            if reachable:
                reachable = self._connect_socket_mode()
        if not reachable:
            log.warning("Slack cannot be reached (%s): Knowhow runs, and catches up once it can", self.slack_problem)
            self._catching_up = threading.Thread(target=self._catch_up, name="knowhow-slack-catch-up", daemon=True)
            self._catching_up.start()
        log.info(
            "Knowhow is running (%s mode, port %s, scheduler %s)",
            "Socket" if self.settings.socket_mode else "HTTP",
            self.http.port,
            ("on" if self.leadership.leading else "standing by") if self.leadership else "off",
        )

    # -- Slack, which may not answer at start ---------------------------------------------------
    def _unreachable(self, exc: BaseException) -> bool:
        """Is `exc` Slack being unreachable for now (the network, a 5xx, a 429)? Then it is noted
        for /healthz. Anything else (a token refused) is not."""
        verdict, _, reason = classify(exc, 1)
        if verdict != "retry":
            return False
        self.slack_problem = reason
        return True

    def _ask_slack(self, call, setting: str):
        """`call()`'s answer, or `_UNREACHABLE` when Slack cannot be reached now (noted for
        /healthz); `setting`'s token refused by Slack is a ConfigError."""
        try:
            return call()
        except Exception as exc:
            if self._unreachable(exc):
                return _UNREACHABLE
            if isinstance(exc, SlackApiError):
                error = error_of(exc) or "refused"
                raise ConfigError(f"{setting} was refused by Slack ({error}): {WHERE[setting]}") from exc
            raise

    def _identify(self) -> bool:
        """Who SLACK_BOT_TOKEN is: its workspace is installed (again). False when Slack cannot be
        reached now; a token Slack refuses is a ConfigError."""
        identity = self._ask_slack(lambda: installs.identify(self.client), "SLACK_BOT_TOKEN")
        if identity is _UNREACHABLE:
            return False
        self.deps.identity = identity
        installs.record(self.engine, identity)
        self.deps.installs = installs.SingleToken(self.engine, self.settings.bot_token, identity)
        return True

    def _connect_socket_mode(self) -> bool:
        return self._ask_slack(self.socket_handler.connect, "SLACK_APP_TOKEN") is not _UNREACHABLE

    def _catch_up(self) -> None:
        """Ask Slack again, less and less often, until it answers; then do what start could not."""
        identified = not self.settings.bot_token
        for attempt in itertools.count():
            if self._stopped.wait(SLACK_RETRY_SECONDS[min(attempt, len(SLACK_RETRY_SECONDS) - 1)]):
                return
            try:
                identified = identified or self._identify()
                if not identified or (self.socket_handler is not None and not self._connect_socket_mode()):
                    continue
            except Exception:  # a token refused now, say: said, and asked again later
                log.exception("Slack answered, but Knowhow could not start talking to it")
                continue
            self.slack_problem = None
            try:
                with session_scope(self.engine) as session:
                    waiting = outbox_rows.due_now_after_network_errors(session, now=utcnow())
            except Exception:
                log.exception("could not make the messages that waited for Slack due now")
                waiting = 0
            self.workers.wake_outbox()
            log.info("Slack can be reached again: %d waiting messages go out now", waiting)
            return

    def stop(self) -> None:
        """Stop taking work, let what is in flight finish, then stop the timed work."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self._catching_up is not None:
            self._catching_up.join(20)
        if self.socket_handler is not None:
            _close_socket_mode(self.socket_handler.client, self._socket_requests)
        if self.http is not None:
            self.http.stop()  # in-flight requests finish (each one's transaction commits or rolls back)
        if self.app is not None:
            _finish_after_ack(self.app)
        if self.leadership is not None:
            self.leadership.stop(wait=True)
        self.workers.stop()
        if self.metrics is not None:
            tally.observe(self.engine, None)
            runtime.bind_lag_observer(None)
        self.engine.dispose()
        log.info("Knowhow stopped")


def _finish_after_ack(app, seconds: float = AFTER_ACK_DRAIN_SECONDS) -> None:
    """Let the work that listeners left for after their acks finish (no request can add any now):
    it was acked, so it is done before the engine goes, and nothing of the app writes to the
    database once `stop()` has returned. At most `seconds`: the executor's shutdown has no
    timeout of its own, so it is waited for on a thread of its own."""
    executor = app.listener_runner.listener_executor
    waiting = threading.Thread(target=executor.shutdown, name="knowhow-after-ack-drain", daemon=True)
    waiting.start()
    waiting.join(seconds)
    if waiting.is_alive():
        log.warning("work after an ack was still running %.0f s into the stop: not waited for", seconds)


def _close_socket_mode(client, taken: set[str], drain_seconds: float = SOCKET_MODE_DRAIN_SECONDS) -> None:
    """Requests taken from the socket first send their acks: a listener may have stored its work
    and be about to say so, and an ack that cannot be sent is a command the person sees fail (or
    an event Slack delivers again) although its work will be done. So the receiving loop is told
    to start no new pass, and the stop waits, at most `drain_seconds`, until nothing received is
    queued or being handled; only then is the socket closed.

    slack-sdk's close() waits for its receiving thread, which holds the lock close() needs while
    it blocks in recv() for up to 3 s, and for its message loop, which polls its queue every 1 s.
    Tell both to end and wake them, then close: a stop is not held up by those timeouts."""
    client.auto_reconnect_enabled = False
    runner = getattr(client, "current_session_runner", None)
    if runner is not None:
        runner.event.set()  # its loop starts no new receiving pass
    client.current_session_state.terminated = True
    _drain(client, taken, time.monotonic() + drain_seconds)
    client.closed = True
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


def _drain(client, taken: set[str], deadline: float) -> None:
    """Until every request received is answered (twice in a row: a message between the queue and
    its handler is in neither for an instant), or the deadline."""
    workers = getattr(client.message_workers, "_work_queue", None)  # submitted, not yet started

    def idle() -> bool:
        return not taken and client.message_queue.empty() and (workers is None or workers.empty())

    while time.monotonic() < deadline:
        if idle():
            time.sleep(0.005)
            if idle():
                return
        time.sleep(0.01)
