"""How long does timed work wait when the scheduler's host fails?

Three `knowhow run` replicas (HTTP mode, against the Slack stand-in on loopback) share a private
PostgreSQL cluster started for the run with the machine's own initdb and pg_ctl (never the shared
server). Ask the Expert sessions are scheduled ahead (one every `--spacing` seconds, their alarms
set by the scheduler before the first starts), and `--before` seconds before each starts the bench
does one of:

- baseline: nothing (the session opens as it always does);
- kill -9: the process running the scheduler is killed (a standby is started to replace it after
  the round, so two standbys are always there);
- terminate: `pg_terminate_backend` on the scheduler lock's session (a network blip, a DBA);
- restart: the cluster is restarted (`pg_ctl restart -m fast`), every connection cut.

It prints, per case, the median over `--rounds` of how late the session's opening post and its
closing post were (post time minus the session's start or end), the time from the failure to
another replica's session holding the scheduler lock (takeover), and the ratio of the opening wait to the baseline's.
It checks that every session was opened once and closed once; exit status 1 otherwise.

    .venv/bin/python bench/scheduler_failover.py [--rounds 3]

It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fakeslack import FakeSlack  # noqa: E402
from tests.replicas import (  # noqa: E402
    PrivateCluster,
    Replicas,
    lock_holder,
    migrated,
    posts,
    schedule_session,
    terminate_lock_holder,
    wait_for,
)

CASES = ("baseline", "kill -9", "terminate", "restart")


def _holder_of_alarms(url: str, session_ids: list[int]) -> bool:
    """Every session's start alarm is in the job store: the scheduler knows them all."""
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ids = set(conn.execute(text("SELECT id FROM apscheduler_jobs")).scalars())
    except Exception:
        return False
    finally:
        engine.dispose()
    return all(f"session:{sid}:start" in ids for sid in session_ids)


def _fail(case, cluster, replicas) -> float | None:
    """Do what `case` says to the scheduler's host; then how long until another session of the
    database holds the scheduler lock (the new holder then starts its scheduler)."""
    leader = replicas.leader()
    before = lock_holder(cluster.url)
    failed_at = time.time()
    if case == "baseline":
        return None
    if case == "kill -9":
        leader.proc.kill()
        leader.proc.wait()
    elif case == "terminate":
        terminate_lock_holder(cluster.url)
    elif case == "restart":
        cluster.restart()
    if wait_for(lambda: lock_holder(cluster.url) not in (None, before), timeout=60, every=0.02):
        return time.time() - failed_at
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--length", type=float, default=2.0, help="how long each session lasts (seconds)")
    parser.add_argument("--spacing", type=float, default=10.0, help="seconds between two sessions' starts")
    parser.add_argument("--before", type=float, default=0.3, help="the failure comes this long before a start")
    args = parser.parse_args()

    plan = [case for _ in range(args.rounds) for case in CASES]
    ok = True
    results: dict[str, list[dict[str, float]]] = {case: [] for case in CASES}
    with PrivateCluster() as cluster, FakeSlack() as slack, tempfile.TemporaryDirectory() as workdir:
        migrated(cluster.url)
        replicas = Replicas(cluster.url, slack.api_url, slack.token, Path(workdir))
        try:
            replicas.start(args.replicas)
            replicas.leader()
            # Every session is scheduled well ahead, as people do: the scheduler has set its alarms
            # (its sweep learns of sessions written by another replica within 30 s) before the first.
            first = datetime.now(UTC) + timedelta(seconds=40)
            sessions = []
            for n, case in enumerate(plan):
                starts = first + timedelta(seconds=n * args.spacing)
                channel, topic = f"C0B{n:07d}", f"Round {n} {case}"
                sid = schedule_session(cluster.url, channel=channel, topic=topic, starts_at=starts, seconds=args.length)
                sessions.append((case, channel, topic, starts, sid))
            if not wait_for(lambda: _holder_of_alarms(cluster.url, [s[-1] for s in sessions]), timeout=45, every=1):
                print("the scheduler did not set the sessions' alarms in time", file=sys.stderr)
                return 1
            takeovers: dict[int, float | None] = {}
            for n, (case, _channel, _topic, starts, _sid) in enumerate(sessions):
                time.sleep(max(0.0, starts.timestamp() - args.before - time.time()))
                takeovers[n] = _fail(case, cluster, replicas)
                if case == "kill -9":
                    replicas.start(1)  # two standbys again for the next round
            last = sessions[-1]
            wait_for(lambda: posts(slack, last[1], f"is closed: {last[2]}"), timeout=60)
            time.sleep(2.0)  # a doubled post would come at once
            for n, (case, channel, topic, starts, _sid) in enumerate(sessions):
                opened, closed = (
                    posts(slack, channel, f"is open: {topic}"),
                    posts(slack, channel, f"is closed: {topic}"),
                )
                if len(opened) != 1 or len(closed) != 1:
                    print(f"  {topic}: {len(opened)} opening and {len(closed)} closing posts", file=sys.stderr)
                    ok = False
                    continue
                ends = starts + timedelta(seconds=args.length)
                results[case].append(
                    {
                        "open": opened[0].at - starts.timestamp(),
                        "close": closed[0].at - ends.timestamp(),
                        "takeover": takeovers[n] if takeovers[n] is not None else float("nan"),
                    }
                )
        finally:
            replicas.stop()

    base = statistics.median(r["open"] for r in results["baseline"]) if results["baseline"] else float("nan")
    print(
        f"{args.replicas} replicas, private PostgreSQL, failure {args.before:.1f} s before a session's start, "
        f"median of {args.rounds} rounds"
    )
    print(f"{'case':<10} {'opening late (s)':>17} {'closing late (s)':>17} {'takeover (s)':>13} {'x baseline':>11}")
    for case in CASES:
        rows = results[case]
        if not rows:
            print(f"{case:<10} (no round completed)")
            continue
        opening = statistics.median(r["open"] for r in rows)
        closing = statistics.median(r["close"] for r in rows)
        takeover = "-" if case == "baseline" else f"{statistics.median(r['takeover'] for r in rows):.2f}"
        ratio = opening / base if base > 0 else float("nan")
        print(f"{case:<10} {opening:>17.2f} {closing:>17.2f} {takeover:>13} {ratio:>11.1f}")
    print("every session opened once and closed once" if ok else "A SESSION WAS LOST OR DOUBLED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
