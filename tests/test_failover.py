"""The scheduler survives its host: several `knowhow run` replicas on one PostgreSQL database, real
processes, the Slack stand-in on loopback. The scheduler's process is killed, its lock's
connection is cut, the database is restarted: sessions still open and close, each with one
opening post and one closing post, and one replica runs the scheduler at the end.

How long timed work waits in each case is measured by bench/scheduler_failover.py.
"""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta

import pytest

from core.sessions import State

from .replicas import (
    ClusterUnavailable,
    PrivateCluster,
    Replicas,
    migrated,
    posts,
    schedule_session,
    session_row,
    terminate_lock_holder,
    wait_for,
)

pytestmark = pytest.mark.postgres

LEAD = 3.0  # a session starts this long after the failure, and lasts as long
AFTERWARDS = 2.0  # how long a doubled post would have to show up (a second run comes at once)


@pytest.fixture
def fresh_pg(pg_url):
    """The test run's PostgreSQL schema, emptied (conftest's)."""
    from .conftest import _empty_pg

    _empty_pg(pg_url)
    yield pg_url
    _empty_pg(pg_url)


@pytest.fixture
def cluster():
    try:
        with PrivateCluster() as started:
            yield started
    except ClusterUnavailable as exc:
        pytest.skip(f"no private PostgreSQL cluster here: {exc}")


def _replicas(url, fake_slack, tmp_path) -> Replicas:
    migrated(url)  # (the first replica would do it; here the sessions are written first)
    return Replicas(url, fake_slack.api_url, fake_slack.token, tmp_path)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _opens_and_closes_once(fake_slack, url, session_id, channel, topic):
    """Closed in the database, one opening post and one closing post: nothing lost, nothing doubled."""
    closed = wait_for(lambda: posts(fake_slack, channel, f"is closed: {topic}"), timeout=45)
    assert closed, f"{topic}: never closed"
    time.sleep(AFTERWARDS)
    row = session_row(url, session_id)
    assert row.state == State.CLOSED.value
    assert row.opened_at is not None and _utc(row.opened_at) < _utc(row.ends_at)  # it was open during its window
    assert len(posts(fake_slack, channel, f"is open: {topic}")) == 1
    assert len(posts(fake_slack, channel, f"is closed: {topic}")) == 1
    return row


def test_kill_9_and_a_cut_connection_hand_the_scheduler_over(fresh_pg, fake_slack, tmp_path):
    replicas = _replicas(fresh_pg, fake_slack, tmp_path)
    stopped = []
    try:
        replicas.start(3)
        first = replicas.leader()

        # 1. The scheduler's process is killed (kill -9): a standby takes over and opens the
        #    session it learnt of from the database, then closes it.
        starts = datetime.now(UTC) + timedelta(seconds=LEAD)
        killed = schedule_session(fresh_pg, channel="C0KILLED01", topic="After kill", starts_at=starts, seconds=LEAD)
        first.proc.kill()
        first.proc.wait()
        second = replicas.leader()
        assert second is not first
        _opens_and_closes_once(fake_slack, fresh_pg, killed, "C0KILLED01", "After kill")

        # 2. Its lock's connection is cut (pg_terminate_backend): the lock is free on the server at
        #    once; the holder finds out at its next check and stops, one replica runs it after.
        starts = datetime.now(UTC) + timedelta(seconds=LEAD)
        cut = schedule_session(fresh_pg, channel="C0CUTCONN1", topic="After cut", starts_at=starts, seconds=LEAD)
        terminate_lock_holder(fresh_pg)
        _opens_and_closes_once(fake_slack, fresh_pg, cut, "C0CUTCONN1", "After cut")
        third = replicas.leader()
        if third is second:  # it took the lock again: it did lose it first
            assert "lock is lost" in second.log.read_text()

        # 3. Nobody could run the scheduler when a session fell due (the standby frozen, the holder
        #    killed): the replica that takes over opens it at once, late, and once.
        [standby] = [r for r in replicas.live() if r is not third]
        standby.proc.send_signal(signal.SIGSTOP)
        stopped.append(standby)
        starts = datetime.now(UTC) + timedelta(seconds=0.5)
        missed = schedule_session(fresh_pg, channel="C0MISSED01", topic="Missed", starts_at=starts, seconds=2 * LEAD)
        third.proc.kill()
        third.proc.wait()
        time.sleep(1.5)  # its start passes with no scheduler anywhere
        assert not posts(fake_slack, "C0MISSED01", "is open")
        standby.proc.send_signal(signal.SIGCONT)
        stopped.remove(standby)
        assert replicas.leader() is standby
        row = _opens_and_closes_once(fake_slack, fresh_pg, missed, "C0MISSED01", "Missed")
        assert _utc(row.opened_at) > _utc(row.starts_at)
    except AssertionError:
        print(replicas.logs())
        raise
    finally:
        for proc in stopped:
            proc.proc.send_signal(signal.SIGCONT)
        replicas.stop()


def test_a_database_restart_hands_the_scheduler_over(cluster, fake_slack, tmp_path):
    """A private cluster, restarted (never the shared server): every connection is cut, the lock
    with them; once it is back one replica runs the scheduler, and the sessions still open and close."""
    url = cluster.url
    replicas = _replicas(url, fake_slack, tmp_path)
    try:
        replicas.start(2)
        replicas.leader()
        now = datetime.now(UTC)
        during = schedule_session(url, channel="C0DURING01", topic="During restart", starts_at=now, seconds=2 * LEAD)
        after = schedule_session(
            url, channel="C0RESTART1", topic="After restart", starts_at=now + timedelta(seconds=LEAD + 1), seconds=LEAD
        )
        cluster.restart()
        _opens_and_closes_once(fake_slack, url, during, "C0DURING01", "During restart")
        _opens_and_closes_once(fake_slack, url, after, "C0RESTART1", "After restart")
        replicas.leader()
    except AssertionError:
        print(replicas.logs())
        raise
    finally:
        replicas.stop()
