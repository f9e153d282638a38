"""Which process runs the scheduler: the one holding the scheduler lock, and only while it holds it.

Every `knowhow run` (but `--no-scheduler`) is a candidate. One takes the lock and runs the
scheduler; the others stand by and try to take the lock every `retry_seconds`. The holder checks
its lock every `check_seconds` (a trivial query on the lock's own connection, `scheduler.lock`);
when the check fails, or the lock's connection fails before a pass over the job store, it stops
its scheduler at once, without waiting for jobs in flight, and becomes a standby. So when the
holder dies, or its connection is cut (`pg_terminate_backend`, a network blip) or the database
restarts, a standby (or the same process once the database is back) takes over within seconds.
Taking over goes through the same start as a fresh process: reconcile from the database (each
feature's `ensure_*`), so what fell due meanwhile runs at once (DESIGN.md: the database is the
source of truth, the scheduler an alarm clock).

Never two at once, in effect. A cut connection frees the lock on the server at once, while its
old holder learns of it at its next check (at most `check_seconds` later) or at its next pass
over the job store, whichever comes first. In that window, a job that had already started on the
old holder can still be running while the new holder starts the same one. That is safe because
every timed action is a conditional state transition in the database (`storage.claims`: a
session opens with `UPDATE … WHERE state = 'scheduled'`, a week's scoreboard, a follow-up, a
check-in are claimed the same way) in the same transaction as the messages it queues: of two
runs, one changes the row and queues the post, the other finds nothing to do. The old holder
starts no new job once its connection is gone: the scheduler checks the lock before each pass.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine

from scheduler import runtime
from scheduler.lock import SchedulerLock

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0
RETRY_SECONDS = 1.0


class Leadership:
    """Runs the scheduler in this process whenever this process holds the scheduler lock."""

    def __init__(
        self,
        engine: Engine,
        reconcilers: Sequence[runtime.Reconciler] = (),
        *,
        check_seconds: float = CHECK_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
        threads: int = 4,
    ):
        self.engine = engine
        self.reconcilers = tuple(reconcilers)
        self.check_seconds, self.retry_seconds = check_seconds, retry_seconds
        self.threads = threads
        self.lock = SchedulerLock(engine)
        self.scheduler: BackgroundScheduler | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()  # the scheduler saw its lock lost: step down now
        self._turn = threading.Lock()  # taking over, stepping down and stopping, one at a time
        self._thread: threading.Thread | None = None
        self.takeovers = 0

    @property
    def leading(self) -> bool:
        scheduler = self.scheduler
        return scheduler is not None and scheduler.running

    @property
    def state(self) -> str:
        """ "running", "standby" (another process holds the lock), or "down": this process holds
        the lock but its scheduler is not running, so nobody runs it."""
        scheduler = self.scheduler
        if scheduler is None:
            return "standby"
        return "running" if scheduler.running else "down"

    def start(self) -> bool:
        """Try once now (a lone process runs its scheduler when start returns), then keep trying,
        or checking, in the background. True when this process runs the scheduler."""
        self._try_take()
        self._thread = threading.Thread(target=self._run, name="knowhow-scheduler-leadership", daemon=True)
        self._thread.start()
        return self.leading

    def stop(self, *, wait: bool = True) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
        with self._turn:
            self._step_down(wait=wait)

    # -- the loop ----------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.check_seconds if self.scheduler is not None else self.retry_seconds)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                if self.scheduler is None:
                    self._try_take()
                elif not self.lock.check():
                    log.warning("this process no longer holds the scheduler lock: its scheduler stops")
                    with self._turn:
                        self._step_down(wait=False)
            except Exception:  # the loop must outlive any one failure
                log.exception("the scheduler's leadership check failed; trying again")

    def _try_take(self) -> None:
        with self._turn:
            if self._stop.is_set() or self.scheduler is not None:
                return
            try:
                if not self.lock.try_acquire():
                    return
            except Exception as exc:  # the database is down or unreachable: try again later
                log.debug("scheduler lock: database unreachable (%s)", type(exc).__name__)
                return
            try:
                self.scheduler = runtime.start_holding(
                    self.lock, self.engine, self.reconcilers, threads=self.threads, on_lost=self._wake.set
                )
            except Exception:
                log.exception("the scheduler could not start; giving its lock back and trying again")
                self.lock.release()
                return
            self.takeovers += 1
            log.info("this process runs the scheduler")

    def _step_down(self, *, wait: bool) -> None:
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None:
            try:
                runtime.stop_scheduler(scheduler, wait=wait)  # releases the lock too
            except Exception:
                log.exception("the scheduler did not stop cleanly")
        self.lock.release()
