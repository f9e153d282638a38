"""How late do Ask the Expert sessions open and close? A run of short sessions, measured.

Starts Knowhow in HTTP mode (the `knowhow run` code path) against the Slack stand-in on
loopback, with a fresh SQLite file (or --database-url), schedules N one-minute sessions in N
designated channels, starting a few seconds apart, and measures when the "open" and "closed"
posts reach Slack, against each session's start and end. That is the whole path: the
scheduler's alarm, the state change in the database, the outbox, and the Web API call.

    .venv/bin/python bench/session_timing.py [--sessions 10] [--gap 3] [--database-url URL]

Takes about a minute plus sessions x gap seconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bot.config import Settings
from bot.service import Knowhow
from core import sessions
from fakeslack import FakeSlack
from storage.db import make_engine, session_scope

TEAM = "T0FAKETEAM"


def summary(label: str, lates_ms: list[float]) -> str:
    lates_ms = sorted(lates_ms)
    p95 = lates_ms[max(0, round(0.95 * len(lates_ms)) - 1)]
    return (
        f"{label:6s} n={len(lates_ms):3d}  late by: min {lates_ms[0]:7.1f}  p50 {statistics.median(lates_ms):7.1f}"
        f"  p95 {p95:7.1f}  max {lates_ms[-1]:7.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--gap", type=float, default=3.0, help="seconds between session starts")
    parser.add_argument("--database-url", help="PostgreSQL URL (a throwaway schema is used); default SQLite")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        schema = None
        url = f"sqlite:///{tmp}/timing.db"
        if args.database_url:
            schema = f"knowhow_timing_{uuid.uuid4().hex[:8]}"
            admin = make_engine(args.database_url)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{args.database_url}{'&' if '?' in args.database_url else '?'}options={quote(f'-csearch_path={schema}')}"
        settings = Settings(
            bot_token=fake.token, signing_secret="bench", api_url=fake.api_url, database_url=url, port=0
        )
        knowhow = Knowhow(settings, host="127.0.0.1", outbox_poll_seconds=5)  # production poll: alarms must wake it
        knowhow.start()
        try:
            first = datetime.now(UTC) + timedelta(seconds=5)
            planned = {}
            with session_scope(knowhow.engine) as s:
                for n in range(args.sessions):
                    channel = f"C0BENCH{n:04d}"
                    sessions.designate(s, team_id=TEAM, channel_id=channel, user_id="U0ADMIN")
                    info = sessions.schedule(
                        s,
                        team_id=TEAM,
                        organiser_id="U0EXPERT",
                        channel_id=channel,
                        topic=f"Bench {n}",
                        experts=["U0EXPERT"],
                        starts_at=first + timedelta(seconds=n * args.gap),
                        minutes=1,
                        is_admin=True,
                        now=datetime.now(UTC),
                    )
                    planned[channel] = info
            for info in planned.values():
                knowhow.deps.on_session_scheduled(info)
            last_end = max(i.ends_at for i in planned.values())
            print(
                f"{args.sessions} sessions of 1 minute on {knowhow.engine.dialect.name}; waiting until {last_end:%H:%M:%S} UTC…",
                flush=True,
            )
            deadline = time.time() + (last_end - datetime.now(UTC)).total_seconds() + 20
            opens, closes = {}, {}
            while time.time() < deadline and (len(opens) < len(planned) or len(closes) < len(planned)):
                for call in fake.calls_to("chat.postMessage"):
                    channel = call.args.get("channel")
                    if channel in planned:
                        if "is open" in call.text:
                            opens.setdefault(channel, call.at)
                        elif "is closed" in call.text:
                            closes.setdefault(channel, call.at)
                time.sleep(0.05)
        finally:
            knowhow.stop()
            if schema:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    open_late = [1000 * (opens[c] - planned[c].starts_at.timestamp()) for c in opens]
    close_late = [1000 * (closes[c] - planned[c].ends_at.timestamp()) for c in closes]
    print(summary("open", open_late))
    print(summary("close", close_late))
    missing = (len(planned) - len(opens)) + (len(planned) - len(closes))
    if missing:
        print(f"{missing} open or close posts never arrived")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
