"""How long does the retention sweep hold the database, in bounded batches against one statement?

Seeds a backlog past its time (delivered outbox rows, questions never posted with their topics and
search documents, ended mentorships with their requests) in a fresh database, then deletes it
twice, from the same seed: once as the daily job does (batches of `--batch` rows, each its own
transaction) and once as the baseline, everything in one transaction (a batch as large as the
backlog). Prints, for each, the total time and the longest single transaction (how long writers
on the ack path could wait behind the sweep), and the ratios batched/baseline. A second run
after each must delete nothing (checked; exit 1 otherwise).

    .venv/bin/python bench/retention.py
    .venv/bin/python bench/retention.py --rows 20000 --batch 500
    .venv/bin/python bench/retention.py --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test_bench
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import insert, text

from core import retention
from storage import migrate, search
from storage.db import make_engine, session_scope
from storage.models import MentorRequest, Mentorship, OutboxMessage, Question, QuestionTopic, Topic

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=800)
TEAMS = ("T0BENCH001", "T0BENCH002", "T0BENCH003")


def seed(engine, rows: int) -> None:
    """`rows` of each kind, spread over a few workspaces, all past the defaults."""
    with session_scope(engine) as s:
        topics = {}
        for team in TEAMS:
            topic = Topic(team_id=team, key="leadership", name="Leadership")
            s.add(topic)
            s.flush()
            topics[team] = topic.id
        team = lambda n: TEAMS[n % len(TEAMS)]  # noqa: E731
        s.execute(
            insert(OutboxMessage),
            [
                dict(
                    team_id=team(n),
                    dedupe_key=f"k{n}",
                    kind="k",
                    payload='{"text": "a delivered message"}',
                    status="sent",
                    attempts=1,
                    next_attempt_at=OLD,
                    created_at=OLD,
                    sent_at=OLD,
                )
                for n in range(rows)
            ],
        )
        s.execute(
            insert(Question),
            [
                dict(
                    team_id=team(n),
                    asker_id="U0ASKER001",
                    text=f"how do we rotate the staging keys, take {n}",
                    channel_id="C0QUESTION",
                    status=("held", "withdrawn", "deflected")[n % 3],
                    anonymous=False,
                    shown_state="open",
                    post_version=0,
                    created_at=OLD,
                )
                for n in range(rows)
            ],
        )
        ids = s.execute(text("SELECT id, team_id FROM question")).all()
        s.execute(insert(QuestionTopic), [dict(question_id=i, topic_id=topics[t], team_id=t) for i, t in ids])
        for i, t in ids:
            search.reindex_question(s, team_id=t, question_id=i)
        s.execute(
            insert(MentorRequest),
            [
                dict(
                    team_id=team(n),
                    protege_id=f"U0P{n:07d}",
                    topic_id=topics[team(n)],
                    goal="grow as a manager",
                    location_pref="any",
                    role_pref="any",
                    state="matched",
                    round=1,
                    created_at=OLD,
                    updated_at=OLD,
                )
                for n in range(rows)
            ],
        )
        requests = s.execute(text("SELECT id, team_id, protege_id, topic_id FROM mentor_request")).all()
        s.execute(
            insert(Mentorship),
            [
                dict(
                    team_id=t,
                    request_id=i,
                    mentor_id="U0MENTOR01",
                    protege_id=p,
                    topic_id=topic,
                    state="completed",
                    weeks=12,
                    proposed_at=OLD,
                    answer_by=OLD,
                    finished_at=OLD,
                    protege_rating=4,
                    protege_word="it went well",
                )
                for i, t, p, topic in requests
            ],
        )


def sweep(engine, batch: int) -> tuple[float, float, int]:
    """As the daily job: passes until nothing is left. (total seconds, longest pass, rows)."""
    total, longest, deleted = 0.0, 0.0, 0
    while True:
        started = time.perf_counter()
        with session_scope(engine) as s:
            swept = retention.sweep(s, now=NOW, batch=batch)
        took = time.perf_counter() - started
        total, longest, deleted = total + took, max(longest, took), deleted + swept.total
        if not swept.more:
            return total, longest, deleted


def fresh_sqlite(template: Path, workdir: Path, name: str):
    path = workdir / name
    shutil.copyfile(template, path)
    return make_engine(f"sqlite:///{path}")


def run(name: str, make, rows: int, batch: int) -> bool:
    results = {}
    for label, size in (("batched", batch), ("baseline", 10 * rows)):
        engine = make(label)
        seed(engine, rows)
        total, longest, deleted = sweep(engine, size)
        with session_scope(engine) as s:
            again = retention.sweep(s, now=NOW, batch=size).total
        engine.dispose()
        results[label] = (total, longest, deleted, again)
        print(
            f"{name:10} {label:8} batch {size:>7}: {deleted} rows deleted in {total:.2f} s, "
            f"longest transaction {longest * 1000:.0f} ms; second run deleted {again}"
        )
    b, base = results["batched"], results["baseline"]
    print(f"{name:10} ratio batched/baseline: total {b[0] / base[0]:.2f}, longest transaction {b[1] / base[1]:.3f}")
    return b[2] == base[2] == 4 * rows and b[3] == base[3] == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10000, help="rows of each kind (default 10000)")
    parser.add_argument("--batch", type=int, default=retention.BATCH)
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        template = workdir / "template.db"
        engine = make_engine(f"sqlite:///{template}")
        migrate.upgrade(engine)
        engine.dispose()
        ok &= run("sqlite", lambda label: fresh_sqlite(template, workdir, f"{label}.db"), args.rows, args.batch)
    if args.postgres_url:
        admin = make_engine(args.postgres_url)
        schemas = []

        def fresh_pg(label: str):
            schema = f"knowhow_bench_{uuid.uuid4().hex[:10]}"
            schemas.append(schema)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in args.postgres_url else "?"
            engine = make_engine(f"{args.postgres_url}{sep}options={quote(f'-csearch_path={schema}')}")
            migrate.upgrade(engine)
            return engine

        try:
            ok &= run("postgresql", fresh_pg, args.rows, args.batch)
        finally:
            with admin.begin() as conn:
                for schema in schemas:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    print("ok" if ok else "FAILED: a sweep deleted the wrong number of rows, or a second run deleted some")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
