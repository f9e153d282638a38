"""The scheduler: APScheduler 3 with its jobs persisted in Knowhow's own database.

DESIGN.md: the database is the source of truth, the scheduler an alarm clock. Jobs are
module-level functions (`scheduler.jobs`) called with plain ids; they look up the engine here,
do their work idempotently, and can run late or twice without harm.

`job_defaults` are set on purpose: APScheduler's default `misfire_grace_time` of 1 s would
silently drop a job that wakes up late (after a restart, a busy pool). Here a late job runs, and
`coalesce` turns several missed runs into one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN, SchedulerEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED, SchedulerNotRunningError
from sqlalchemy.engine import Engine

from scheduler.lock import SchedulerLock

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"
JOB_DEFAULTS = {
    "misfire_grace_time": None,  # run however late: jobs check the database and are idempotent
    "coalesce": True,  # several missed runs of one job run once
    "max_instances": 1,
}

# The engine jobs use, bound when the process starts its scheduler (jobs run in this process).
_engine: Engine | None = None
_lock = threading.Lock()

# A start-up step that brings timed state up to date from the database (each feature has one).
Reconciler = Callable[[Engine, BackgroundScheduler], None]


def bind_engine(engine: Engine | None) -> None:
    global _engine
    with _lock:
        _engine = engine


def engine() -> Engine:
    if _engine is None:
        raise RuntimeError("no engine bound for scheduled jobs; start the scheduler with start_scheduler()")
    return _engine


# The running scheduler (jobs that set alarms use it) and what wakes the outbox worker after a
# job queued messages, so a session opens in Slack at its time, not at the worker's next poll.
_current: BackgroundScheduler | None = None


def _waker() -> None:
    return None


def current() -> BackgroundScheduler | None:
    return _current


def bind_waker(waker: Callable[[], None]) -> None:
    global _waker
    _waker = waker


def wake_outbox() -> None:
    _waker()


# Told how late a job did what was due ("open" or "close" of a session, and the seconds past its
# time): the metrics, when they are on (bot/metrics.py); the scheduler does not import them.
def _lag_observer(_what: str, _seconds: float) -> None:
    return None


def bind_lag_observer(observer: Callable[[str, float], None] | None) -> None:
    global _lag_observer
    _lag_observer = observer or (lambda _what, _seconds: None)


def observe_lag(what: str, seconds: float) -> None:
    try:
        _lag_observer(what, seconds)
    except Exception:  # a measurement never stops a job
        log.exception("the scheduler's lag could not be recorded")


LOST_LOCK_RECHECK_SECONDS = 1.0


class _Scheduler(BackgroundScheduler):
    """Before each pass over the job store (when a job is due), the scheduler lock is checked on
    its own connection (`scheduler.lock`): a scheduler that lost it does nothing more.

    APScheduler 3's loop makes one more pass after `shutdown()` set the state to stopped, with
    the executors already shut: a job due at that moment fails to submit, yet its run is written
    off in the job store (a date job is deleted). Seen here with 3.11; upstream
    agronholm/apscheduler#985. Skip that pass so the run stays due for the next start.

    The stop flips the state under the job store lock, which a pass holds throughout, and a pass
    checks the state again under that lock: a pass is wholly before the stop or sees it. (A stop
    that flipped the state in the middle of a pass made its `remove_job` of a date job it had just
    submitted look only at the pending jobs: JobLookupError killed the scheduler's thread and the
    job stayed in the store, to run again at the next start.)"""

    def _process_jobs(self):
        if self.state == STATE_STOPPED:
            return None
        # The fence: a scheduler whose lock is gone (its connection cut: someone else may hold it
        # now) neither reads nor writes the job store, nor runs a job, from this moment on.
        lock = getattr(self, "knowhow_lock", None)
        if lock is not None and not lock.check():
            lost = getattr(self, "knowhow_on_lost", None)
            if lost is not None:
                lost()
            return LOST_LOCK_RECHECK_SECONDS
        with self._jobstores_lock:  # reentrant: the pass takes it again
            if self.state == STATE_STOPPED:
                return None
            return super()._process_jobs()

    def shutdown(self, wait=True):
        """APScheduler 3's shutdown(wait=True) waits for running jobs while it holds the job store
        lock, so a running job that adds a job (a session's alarms, from the sweep) waits for that
        lock forever and so does the stop. Same steps here, but the running jobs finish unlocked."""
        if self.state == STATE_STOPPED:
            raise SchedulerNotRunningError
        with self._jobstores_lock:  # a pass of _process_jobs under way ends first (see the class)
            self.state = STATE_STOPPED  # the next pass sees the stop and does nothing
        with self._executors_lock:
            executors = list(self._executors.values())
        for executor in executors:
            executor.shutdown(wait)
        with self._jobstores_lock:
            for jobstore in self._jobstores.values():
                jobstore.shutdown()
        self._logger.info("Scheduler has been shut down")
        self._dispatch_event(SchedulerEvent(EVENT_SCHEDULER_SHUTDOWN))
        self._event.set()  # what BlockingScheduler.shutdown and BackgroundScheduler.shutdown add
        self._thread.join()
        del self._thread


def build_scheduler(engine: Engine, *, threads: int = 4) -> BackgroundScheduler:
    return _Scheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)},
        executors={"default": ThreadPoolExecutor(threads)},
        job_defaults=JOB_DEFAULTS,
        timezone=UTC,
    )


def start_scheduler(engine: Engine, reconcilers: Sequence[Reconciler] = (), *, threads: int = 4) -> BackgroundScheduler:
    """Take the scheduler lock, bind the engine, build the scheduler, reconcile from the
    database, then start it. Raises SchedulerBusy when another process runs the scheduler."""
    lock = SchedulerLock(engine)
    lock.acquire()
    try:
        return start_holding(lock, engine, reconcilers, threads=threads)
    except BaseException:
        lock.release()
        raise


def start_holding(
    lock: SchedulerLock,
    engine: Engine,
    reconcilers: Sequence[Reconciler] = (),
    *,
    threads: int = 4,
    on_lost: Callable[[], None] | None = None,
) -> BackgroundScheduler:
    """Start the scheduler under a lock this process holds (the caller releases it on error)."""
    bind_engine(engine)
    scheduler = build_scheduler(engine, threads=threads)
    scheduler.knowhow_lock = lock
    scheduler.knowhow_on_lost = on_lost
    # Paused start: the job store is open so reconcilers can add and replace jobs, but nothing
    # fires until the state they read is consistent.
    scheduler.start(paused=True)
    try:
        for step in reconcilers:
            step(engine, scheduler)
    except Exception:
        scheduler.shutdown(wait=False)
        raise
    scheduler.resume()
    global _current
    _current = scheduler
    return scheduler


def stop_scheduler(scheduler: BackgroundScheduler, *, wait: bool = True) -> None:
    global _current
    if _current is scheduler:
        _current = None
    if scheduler.running:
        scheduler.shutdown(wait=wait)
    lock = getattr(scheduler, "knowhow_lock", None)
    if lock is not None:
        lock.release()
