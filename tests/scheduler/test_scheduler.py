"""The scheduler's persistence and recovery, with a real job store on the real database."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler import jobs
from scheduler.lock import SchedulerBusy
from scheduler.runtime import build_scheduler, start_scheduler, stop_scheduler
from storage import outbox
from storage.db import make_engine, session_scope

from ..settle import settle
from .jobs_for_tests import add_a_job_slowly, leave_trace


def _runs(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _wait_for_runs(path: Path, count: int, timeout: float = 10.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(_runs(path)) < count:
        time.sleep(0.05)
    return _runs(path)


def test_a_job_persisted_before_a_restart_runs_after_it(database_url, tmp_path):
    trace = tmp_path / "trace.txt"
    engine = make_engine(database_url)
    first = start_scheduler(engine)
    first.add_job(
        leave_trace,
        trigger="date",
        run_date=datetime.now(UTC) + timedelta(seconds=1.5),
        args=[str(trace), "after-restart"],
        id="test:persisted",
        replace_existing=True,
    )
    stop_scheduler(first)  # the process "stops" before the job is due
    assert _runs(trace) == []

    second = start_scheduler(make_engine(database_url))
    try:
        assert _wait_for_runs(trace, 1) == ["after-restart"]
        settle(scheduler=second)
        assert _runs(trace) == ["after-restart"]
        assert second.get_job("test:persisted") is None  # a date job is gone once it ran
    finally:
        stop_scheduler(second)


def test_a_job_missed_while_down_runs_once_on_start(database_url, tmp_path):
    trace = tmp_path / "trace.txt"
    engine = make_engine(database_url)
    down = build_scheduler(engine)
    down.start(paused=True)  # store jobs without running anything, like a process about to die
    run_date = datetime.now(UTC) + timedelta(milliseconds=200)
    down.add_job(
        leave_trace,
        trigger="date",
        run_date=run_date,
        args=[str(trace), "missed-once"],
        id="test:missed-date",
    )
    # An hourly job whose last three runs all fell while the process was down.
    down.add_job(
        leave_trace,
        trigger="interval",
        hours=1,
        next_run_time=datetime.now(UTC) - timedelta(hours=3),
        args=[str(trace), "hourly"],
        id="test:missed-interval",
    )
    # Shutting down while both are due must not write their runs off (APScheduler 3's last pass
    # after shutdown does, unless guarded: see scheduler.runtime._Scheduler).
    down.shutdown(wait=False)
    # The clock moves past the date job's time while nothing runs (the hourly one is due already).
    time.sleep(max((run_date - datetime.now(UTC)).total_seconds(), 0) + 0.05)

    up = start_scheduler(make_engine(database_url))
    try:
        _wait_for_runs(trace, 2)
        settle(scheduler=up)  # a wrong second run would be due or running now
        assert sorted(_runs(trace)) == ["hourly", "missed-once"]
        next_hourly = up.get_job("test:missed-interval").next_run_time
        assert next_hourly > datetime.now(UTC)
    finally:
        stop_scheduler(up)

    again = start_scheduler(make_engine(database_url))  # a restart right after runs nothing twice
    try:
        settle(scheduler=again)
        assert sorted(_runs(trace)) == ["hourly", "missed-once"]
    finally:
        stop_scheduler(again)


def test_a_stop_waits_for_a_running_job_that_adds_a_job(database_url, tmp_path):
    import threading

    trace = tmp_path / "trace.txt"
    sched = start_scheduler(make_engine(database_url))
    sched.add_job(add_a_job_slowly, trigger="date", run_date=datetime.now(UTC), args=[str(trace), 0.3], id="test:adds")
    assert _wait_for_runs(trace, 1) == ["started"]
    stopping = threading.Thread(target=stop_scheduler, args=(sched,), daemon=True)
    stopping.start()
    stopping.join(10)
    assert not stopping.is_alive(), "the stop waits forever for a job that adds a job"
    assert _runs(trace) == ["started", "added"]  # the running job finished before the stop returned


def test_a_date_job_that_fired_as_the_stop_began_is_not_left_to_run_again(database_url, tmp_path):
    """The scheduler's pass submits a due date job and then deletes it from the job store. A stop
    that begins between the two must wait for the pass: else APScheduler's remove_job, seeing the
    scheduler stopped, looks only at its pending jobs, raises JobLookupError in the scheduler's
    thread, and the job stays in the store to run again at the next start."""
    import threading

    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.base import STATE_STOPPED
    from sqlalchemy import text

    from scheduler.runtime import JOB_TABLE

    trace = tmp_path / "trace.txt"
    engine = make_engine(database_url)
    sched = start_scheduler(engine)
    stopping: list[threading.Thread] = []

    class StopsAsItSubmits(ThreadPoolExecutor):
        """Starts the stop right after the job is submitted, and gives it every chance to flip
        the scheduler's state before the pass goes on to delete the job."""

        def submit_job(self, job, run_times):
            super().submit_job(job, run_times)
            stop = threading.Thread(target=stop_scheduler, args=(sched,), daemon=True)
            stopping.append(stop)
            stop.start()
            deadline = time.monotonic() + 2
            while sched.state != STATE_STOPPED and time.monotonic() < deadline:
                time.sleep(0.01)

    sched.add_executor(StopsAsItSubmits(1), alias="stops")
    sched.add_job(
        leave_trace,
        trigger="date",
        run_date=datetime.now(UTC),
        args=[str(trace), "ran"],
        id="test:once",
        executor="stops",
    )
    assert _wait_for_runs(trace, 1) == ["ran"]
    deadline = time.monotonic() + 30
    while not stopping and time.monotonic() < deadline:
        time.sleep(0.01)
    stopping[0].join(30)
    assert not stopping[0].is_alive()
    with engine.connect() as conn:
        left = conn.execute(text(f"SELECT id FROM {JOB_TABLE} WHERE id = 'test:once'")).scalars().all()
    assert left == []  # it ran: nothing left to run again at the next start


def test_reconcile_runs_before_jobs_fire(database_url, tmp_path):
    trace = tmp_path / "trace.txt"
    order = []

    def reconcile(_engine, scheduler):
        order.append(("reconcile", len(_runs(trace))))
        scheduler.add_job(
            leave_trace,
            trigger="date",
            run_date=datetime.now(UTC) - timedelta(seconds=5),
            args=[str(trace), "due"],
            id="test:due",
            replace_existing=True,
        )

    sched = start_scheduler(make_engine(database_url), [reconcile, reconcile])
    try:
        assert _wait_for_runs(trace, 1) == ["due"]
        assert order == [("reconcile", 0), ("reconcile", 0)]
    finally:
        stop_scheduler(sched)


def test_housekeeping_is_kept_in_the_store_without_postponing_it(database_url):
    engine = make_engine(database_url)
    first = start_scheduler(engine, (jobs.housekeeping(), *jobs.RECONCILERS))
    planned = first.get_job(jobs.PURGE_OUTBOX_JOB_ID).next_run_time
    daily = first.get_job(jobs.RETENTION_JOB_ID).next_run_time
    stop_scheduler(first)
    time.sleep(0.2)
    second = start_scheduler(make_engine(database_url), (jobs.housekeeping(), *jobs.RECONCILERS))
    try:
        assert second.get_job(jobs.PURGE_OUTBOX_JOB_ID).next_run_time == planned
        assert second.get_job(jobs.RETENTION_JOB_ID).next_run_time == daily
        assert sorted(j.id for j in second.get_jobs()) == sorted(
            [
                jobs.PURGE_OUTBOX_JOB_ID,
                jobs.RETENTION_JOB_ID,
                jobs.SESSION_SWEEP_JOB_ID,
                jobs.MENTORING_SWEEP_JOB_ID,
                jobs.EXPIRE_HELD_JOB_ID,
            ]
        )
    finally:
        stop_scheduler(second)


def test_retention_forgets_only_old_delivered_messages(engine):
    from scheduler import runtime

    with session_scope(engine) as s:
        for key in ("old", "recent", "failed"):
            outbox.enqueue(s, team_id="T1", dedupe_key=key, kind="k", payload={})
    now = datetime.now(UTC) + timedelta(seconds=1)
    with session_scope(engine) as s:
        items = {i.dedupe_key: i for i in outbox.claim_due(s, now=now, lease=timedelta(seconds=30))}
        outbox.mark_sent(s, item=items["old"], now=now - timedelta(days=8))
        outbox.mark_sent(s, item=items["recent"], now=now - timedelta(days=1))
        outbox.mark_failed(s, item=items["failed"], error="channel_not_found")
    runtime.bind_engine(engine)
    try:
        assert jobs.purge_outbox() == 0  # delivered rows go by the workspace's retention
        assert jobs.apply_retention().sent == 1  # 7 days by default
        assert jobs.apply_retention().sent == 0
    finally:
        runtime.bind_engine(None)
    with session_scope(engine) as s:
        assert outbox.get(s, team_id="T1", dedupe_key="old") is None
        assert outbox.get(s, team_id="T1", dedupe_key="recent") is not None
        assert outbox.get(s, team_id="T1", dedupe_key="failed").status == "failed"


def test_only_one_scheduler_runs_per_database(database_url):
    first = start_scheduler(make_engine(database_url))
    try:
        with pytest.raises(SchedulerBusy):
            start_scheduler(make_engine(database_url))
    finally:
        stop_scheduler(first)
    second = start_scheduler(make_engine(database_url))  # free again once the first stopped
    stop_scheduler(second)


@pytest.mark.postgres
def test_two_installs_in_one_postgresql_database_each_run_their_scheduler(pg_url):
    """Two installs share a database, each in its schema (its search_path): each has its own job
    store, so each runs its own scheduler; a second scheduler on one schema is still refused."""
    from urllib.parse import quote

    from sqlalchemy import text

    from scheduler.lock import holder
    from storage import migrate

    other_schema = f"knowhow_other_{uuid.uuid4().hex[:10]}"
    admin = make_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{other_schema}"'))
    base = pg_url.split("?")[0]
    other_url = f"{base}?options={quote(f'-csearch_path={other_schema}')}"
    ours, other = make_engine(pg_url), make_engine(other_url)
    migrate.upgrade(other)
    first = start_scheduler(make_engine(pg_url))
    try:
        second = start_scheduler(make_engine(other_url))  # was SchedulerBusy: one lock per database
        try:
            mine, theirs = holder(ours), holder(other)
            assert mine is not None and theirs is not None and mine.pid != theirs.pid
            with pytest.raises(SchedulerBusy):
                start_scheduler(make_engine(other_url))
        finally:
            stop_scheduler(second)
        assert holder(other) is None and holder(ours) is not None
    finally:
        stop_scheduler(first)
        ours.dispose()
        other.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{other_schema}" CASCADE'))
        admin.dispose()


def test_what_an_uninstalled_workspace_queued_is_dropped_after_its_retention(engine):
    from scheduler import runtime
    from storage import workspaces

    with session_scope(engine) as s:
        for team in ("T0LONGGONE", "T0JUSTGONE", "T0LIVE"):
            outbox.enqueue(s, team_id=team, dedupe_key="m", kind="k", payload={})
        workspaces.mark_gone(
            s, team_ids=["T0LONGGONE"], reason="app_uninstalled", now=datetime.now(UTC) - timedelta(days=31)
        )
        workspaces.mark_gone(s, team_ids=["T0JUSTGONE"], reason="tokens_revoked")
    runtime.bind_engine(engine)
    try:
        assert jobs.purge_outbox(keep_held_days=30) == 1
    finally:
        runtime.bind_engine(None)
    with session_scope(engine) as s:
        assert outbox.get(s, team_id="T0LONGGONE", dedupe_key="m") is None
        assert outbox.get(s, team_id="T0JUSTGONE", dedupe_key="m").status == "held"
        assert outbox.get(s, team_id="T0LIVE", dedupe_key="m").status == "pending"


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_scheduler_whose_lock_connection_was_cut_runs_no_job_and_leaves_it_due(database_url, tmp_path):
    """pg_terminate_backend on the lock's session frees the lock on the server at once, and
    another process may take it: the old scheduler must not run a job from then on."""
    from sqlalchemy import text

    from scheduler.lock import SchedulerLock
    from tests.replicas import terminate_lock_holder

    trace = tmp_path / "trace.txt"
    first = start_scheduler(make_engine(database_url))
    other = SchedulerLock(make_engine(database_url))
    try:
        terminate_lock_holder(database_url)
        other.acquire()  # free on the server at once: someone else holds it now
        first.add_job(leave_trace, trigger="date", run_date=datetime.now(UTC), args=[str(trace), "fenced"], id="t:f")
        time.sleep(1.0)  # (nothing may happen: no run to wait for)
        assert _runs(trace) == []
        with make_engine(database_url).connect() as conn:  # and its run is not written off
            assert conn.execute(text("SELECT id FROM apscheduler_jobs WHERE id = 't:f'")).scalar() == "t:f"
    finally:
        stop_scheduler(first, wait=False)
        other.release()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_holder_that_loses_its_lock_steps_down_and_takes_it_again_when_it_is_free(database_url):
    from scheduler.leadership import Leadership
    from tests.replicas import lock_holder, terminate_lock_holder

    leadership = Leadership(make_engine(database_url), jobs.RECONCILERS, check_seconds=0.2, retry_seconds=0.2)
    try:
        assert leadership.start() and leadership.state == "running"
        before = lock_holder(database_url)
        terminate_lock_holder(database_url)
        assert _wait(lambda: leadership.takeovers == 2 and leadership.state == "running")
        assert lock_holder(database_url) not in (None, before)
        assert leadership.scheduler.get_job(jobs.SESSION_SWEEP_JOB_ID) is not None  # reconciled again
    finally:
        leadership.stop()
    assert leadership.state == "standby" and lock_holder(database_url) is None


def _wait(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
