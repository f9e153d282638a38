"""Wait for a running Knowhow to settle instead of sleeping "to show nothing else happens".

A sleep proves nothing on a slow machine and wastes time on a fast one. `settle(knowhow)` returns
once nothing is left to do now: no Bolt listener still running after its ack (lazy listeners), no
scheduler job running or due, no outbox row being sent or due. What it does not wait for is work
planned for later (a retry after a back-off, a job due in a minute): a test about those waits for
them by name.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Executor, Future

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.clock import utcnow
from storage import outbox
from storage.db import session_scope
from storage.models import OutboxMessage

POLL_SECONDS = 0.01


class _CountingExecutor(Executor):
    """Bolt's listener executor, counting the tasks it has not finished (lazy listeners run there)."""

    def __init__(self, inner: Executor):
        self.inner = inner
        self._lock = threading.Lock()
        self.in_flight = 0

    def submit(self, fn, /, *args, **kwargs) -> Future:
        def run():
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self.in_flight -= 1

        with self._lock:
            self.in_flight += 1
        try:
            return self.inner.submit(run)
        except BaseException:
            with self._lock:
                self.in_flight -= 1
            raise

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)


def watch(knowhow) -> None:
    """Count the Bolt work that outlives its request. Call it right after `knowhow.start()`."""
    runner = getattr(knowhow.app, "listener_runner", None)
    if runner is None or isinstance(runner.listener_executor, _CountingExecutor):
        return
    counting = _CountingExecutor(runner.listener_executor)
    runner.listener_executor = counting
    runner.lazy_listener_runner.executor = counting


def _bolt_busy(knowhow) -> list[str]:
    runner = getattr(knowhow.app, "listener_runner", None)
    executor = getattr(runner, "listener_executor", None)
    if isinstance(executor, _CountingExecutor) and executor.in_flight:
        return [f"{executor.in_flight} Bolt listener(s) still running"]
    return []


def _scheduler_busy(scheduler: BaseScheduler | None) -> list[str]:
    if scheduler is None or not scheduler.running:
        return []
    now = utcnow()
    busy = [f"job {job.id} due" for job in scheduler.get_jobs() if job.next_run_time and job.next_run_time <= now]
    # APScheduler 3 keeps no public count of running jobs; its executors count them per job id.
    for executor in getattr(scheduler, "_executors", {}).values():
        busy += [f"job {job_id} running" for job_id, n in getattr(executor, "_instances", {}).items() if n > 0]
    return busy


def _outbox_busy(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(OutboxMessage.kind, OutboxMessage.status).where(
                or_(
                    OutboxMessage.status == outbox.SENDING,
                    (OutboxMessage.status == outbox.PENDING) & (OutboxMessage.next_attempt_at <= utcnow()),
                )
            )
        ).all()
    return [f"outbox {kind} {status}" for kind, status in rows]


def busy(knowhow=None, *, scheduler: BaseScheduler | None = None, engine: Engine | None = None) -> list[str]:
    """What is still to be done now, in words (empty when settled)."""
    if knowhow is not None:
        scheduler = scheduler or knowhow.scheduler
        engine = engine or knowhow.engine
    found = _bolt_busy(knowhow) if knowhow is not None else []
    found += _scheduler_busy(scheduler)
    if engine is not None:
        found += _outbox_busy(engine)
    return found


def settle(
    knowhow=None, *, scheduler: BaseScheduler | None = None, engine: Engine | None = None, timeout: float = 30.0
) -> None:
    """Return once nothing is left to do now; fail the test if that takes longer than `timeout`.

    Settled means two checks in a row found nothing: work only starts from work (a listener queues
    a message, a job queues one, a sender's hook queues a follow-up), so what one check missed
    because it moved from one place to the next between two looks, the next check finds."""
    if knowhow is not None:
        watch(knowhow)
    deadline = time.monotonic() + timeout
    quiet = 0
    while True:
        found = busy(knowhow, scheduler=scheduler, engine=engine)
        quiet = 0 if found else quiet + 1
        if quiet >= 2:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not settled within {timeout}s: {', '.join(found)}")
        time.sleep(POLL_SECONDS)
