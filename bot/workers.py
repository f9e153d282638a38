"""The outbox's two workers: in threads of the serving process, or in a process of their own.

The ack path only stores a request; the work it implies (searching earlier answers, recording,
rendering, calling Slack) is done by these workers. In Python, threads share one interpreter lock:
a worker busy re-ranking a search holds it in stretches of the switch interval (5 ms), and every
ack waiting for it pays that, several times a request. So `knowhow run` runs them in a child
process (`KNOWHOW_WORKERS=process`, the default) at a lower CPU priority: the operating system
serves acks first, the workers use what is left and catch up after a burst. They share nothing
with the serving process but the database and three `multiprocessing` events (wake the sender,
wake the work, stop).

`KNOWHOW_WORKERS=threads` keeps them in the serving process (one process to run, less memory; the
tests use it to reach the workers directly).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from typing import Protocol

from bot import logs
from bot.app import make_client, senders
from bot.config import Settings
from bot.metrics import Counts
from bot.oauth import installs_for
from bot.outbox import OutboxWorker
from bot.pacing import Pacer
from notify import kinds
from storage import tally
from storage.db import make_engine

log = logging.getLogger(__name__)

# How the child process starts: a fresh interpreter (no copied threads or locks). What is shared
# with it (events, counters) is made in this context.
CONTEXT = "spawn"
# The child's nice value over the parent's: the scheduler of the operating system then runs the
# serving process first whenever both want a CPU (`man 2 nice`; 10 of 19 steps).
WORKER_NICENESS = 10
# How often the child checks that the process that started it is still there (after a kill -9 of
# the parent, the child finishes what it is sending and exits).
PARENT_CHECK_SECONDS = 0.5
# How long a stop waits for the sends in flight. Slack unreachable, a send could take the Web API
# client's timeout (15 s) and more: it is abandoned instead, as after a kill -9. Its row keeps its
# claim, which the next `knowhow run` frees at once (its holder's process is gone) and sends again;
# a sender whose post Slack may already have looks for it first (bot/outbox.py).
STOP_GRACE_SECONDS = 3.0


def stop_both(work, outbox, grace: float = STOP_GRACE_SECONDS) -> None:
    """Stop the two workers together, giving the sends in flight `grace` seconds in all."""
    work.ask_to_stop()
    outbox.ask_to_stop()
    deadline = time.monotonic() + grace
    work.stop(max(0.0, deadline - time.monotonic()))
    outbox.stop(max(0.0, deadline - time.monotonic()))


class AckActivity:
    """When an ack last began or ended, in memory shared with the workers' process (one float: a
    store is atomic, and the system's monotonic clock is the same in every process).

    Acks come first: before each claim and each row, a worker waits for a moment with no ack in
    progress (`QUIET_SECONDS`), but never longer than `LONGEST_SECONDS`, so a burst that never
    pauses slows the workers to a row each half second without stopping them; what it implies is
    done right after it, at full speed. Measured (bench/ask_ack_latency.py): at 100 concurrent
    `/ask`, workers that kept working through the burst cut the acks' throughput by a third.
    The deferral costs a post a few seconds in a burst; Slack's own limit (a post a second per
    channel) is slower than that anyway."""

    QUIET_SECONDS = 0.002
    LONGEST_SECONDS = 0.5

    def __init__(self, context=multiprocessing):
        self._last = context.RawValue("d", 0.0)

    def touch(self) -> None:
        self._last.value = time.monotonic()

    def wait_for_quiet(self) -> None:
        give_up = time.monotonic() + self.LONGEST_SECONDS
        while (now := time.monotonic()) < give_up:
            since = now - self._last.value
            if since >= self.QUIET_SECONDS:
                return
            time.sleep(self.QUIET_SECONDS - since)


class Workers(Protocol):
    activity: AckActivity

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def wake_outbox(self) -> None: ...
    def wake_work(self) -> None: ...
    @property
    def running(self) -> bool: ...


def build(
    engine,
    settings: Settings,
    *,
    poll_seconds: float,
    activity: AckActivity,
    wake_outbox=None,
    wake_work=None,
    counts: Counts | None = None,
):
    """The sending worker and the work worker, sharing one pacer (posts per channel). With
    `counts` (metrics on), what they send and store is counted there."""
    client = make_client(settings, retry_on_connection_errors=False)
    counted = {}
    if counts is not None:
        counted = dict(on_result=counts.sent)
        tally.observe(engine, counts.stored)
    installs = installs_for(engine, settings, client)
    pacer = Pacer(settings.post_rate, settings.post_burst)
    outbox = OutboxWorker(
        engine,
        client,
        senders(),
        poll_seconds=poll_seconds,
        settings=settings,
        exclude=kinds.WORK_KINDS,
        pacer=pacer,
        wake=wake_outbox,
        before_each=activity.wait_for_quiet,
        installs=installs,
        **counted,
    )
    work = OutboxWorker(
        engine,
        client,
        senders(),
        poll_seconds=poll_seconds,
        settings=settings,
        kinds=kinds.WORK_KINDS,
        name="knowhow-work",
        on_done=outbox.wake,  # what the work queued goes out now
        pacer=pacer,
        wake=wake_work,
        before_each=activity.wait_for_quiet,
        **counted,
    )
    return outbox, work


class InProcess:
    """Both workers as threads of this process."""

    def __init__(self, engine, settings: Settings, *, poll_seconds: float, counts: Counts | None = None):
        self.activity = AckActivity()
        self.outbox, self.work = build(
            engine, settings, poll_seconds=poll_seconds, activity=self.activity, counts=counts
        )

    def start(self) -> None:
        self.outbox.start()
        self.work.start()

    def stop(self) -> None:
        stop_both(self.work, self.outbox)

    def wake_outbox(self) -> None:
        self.outbox.wake()

    def wake_work(self) -> None:
        self.work.wake()

    @property
    def running(self) -> bool:
        return self.outbox.running and self.work.running


class ChildProcess:
    """Both workers in a child process (spawned, so it starts clean: no copied threads or locks).
    A child that dies on its own (out of memory, a crash) is started again by a watchdog thread."""

    STOP_SECONDS = STOP_GRACE_SECONDS + 10  # the child's stop, and its exit: then it is killed
    WATCH_SECONDS = 1.0

    def __init__(self, settings: Settings, *, poll_seconds: float, counts: Counts | None = None):
        self._context = multiprocessing.get_context(CONTEXT)
        # What the child sends and stores, counted in memory shared with this process (metrics on);
        # made in the same "spawn" context (`CONTEXT`).
        self._counts = counts
        self._settings, self._poll_seconds = settings, poll_seconds
        self._outbox_event, self._work_event = self._context.Event(), self._context.Event()
        self._stop = self._context.Event()
        self.activity = AckActivity(self._context)
        self._process = self._new_process()
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None

    def _new_process(self):
        return self._context.Process(
            target=_child_main,
            args=(
                self._settings,
                self._poll_seconds,
                self.activity,
                self._outbox_event,
                self._work_event,
                self._stop,
                os.getpid(),
                self._counts,
            ),
            name="knowhow-workers",
            daemon=True,
        )

    def start(self) -> None:
        self._process.start()
        self._watchdog = threading.Thread(target=self._watch, name="knowhow-workers-watchdog", daemon=True)
        self._watchdog.start()

    def _watch(self) -> None:
        while not self._stopping.wait(self.WATCH_SECONDS):
            if not self._process.is_alive() and not self._stopping.is_set():
                log.error("the workers' process ended (exit code %s): starting it again", self._process.exitcode)
                process = self._new_process()
                process.start()  # then published: whoever looks sees a started process
                self._process = process

    def stop(self) -> None:
        """Let the workers finish what they are sending, then end the child; kill it if it hangs."""
        self._stopping.set()
        if self._watchdog is not None:
            self._watchdog.join()
        if self._process.pid is None:
            return
        self._stop.set()
        self._work_event.set()
        self._outbox_event.set()
        budget = self.STOP_SECONDS
        self._process.join(budget)
        if self._process.is_alive():
            log.warning("the workers' process did not stop within %.0f s: killing it", budget)
            self._process.kill()  # its claims are freed by the next worker on this machine
            self._process.join(5)

    def wake_outbox(self) -> None:
        self._outbox_event.set()

    def wake_work(self) -> None:
        self._work_event.set()

    @property
    def running(self) -> bool:
        return self._process.is_alive()


def _child_main(
    settings: Settings,
    poll_seconds: float,
    activity: AckActivity,
    outbox_event,
    work_event,
    stop_event,
    parent: int,
    counts: Counts | None = None,
) -> None:
    logs.configure(settings)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole group: the parent decides
    # SIGTERM (a service manager stopping the whole group) only raises a flag: setting the shared
    # event from inside a wait on it would wait on itself.
    terminated = []
    signal.signal(signal.SIGTERM, lambda *_: terminated.append(True))
    try:
        os.nice(WORKER_NICENESS)
    except OSError:
        log.info("the workers' process runs at the serving process's priority (nice refused)")
    engine = make_engine(settings.database_url)
    outbox, work = build(
        engine,
        settings,
        poll_seconds=poll_seconds,
        activity=activity,
        wake_outbox=outbox_event,
        wake_work=work_event,
        counts=counts,
    )
    outbox.start()
    work.start()
    log.info("outbox workers running in process %s", os.getpid())
    while not stop_event.wait(PARENT_CHECK_SECONDS) and not terminated:
        if os.getppid() != parent:  # the parent is gone (kill -9): finish and exit
            log.warning("the serving process %s is gone: the outbox workers stop", parent)
            break
    stop_both(work, outbox)
    engine.dispose()
    log.info("outbox workers stopped")
