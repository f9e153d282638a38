"""How fast is search over a large knowledge base? `/ask search` and the similar-question lookup.

Fills a fresh store with N questions (default 100,000) and their answers, made from the sentences
of real forum questions (../shared/data/semeval2016-task3b) so lengths and vocabulary are
realistic, indexes them through the real index code, then times, over real questions used as
queries:

- the similar-question lookup: the whole text of a new question, top 3
  (core.search.similar_questions, which the pre-posting suggestions will use);
- `/ask search`: a few words, one page of five with the details shown (core.search.search_questions).

Both read the searcher's whole organisation: with `--workspaces N` the questions are spread over N
workspaces of one Enterprise Grid organisation (searched from the first), and with
`--private-share F` that share of them is in private channels (found only from there).

    .venv/bin/python bench/search_latency.py
    .venv/bin/python bench/search_latency.py --workspaces 50 --private-share 0.1
    .venv/bin/python bench/search_latency.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

On PostgreSQL it works in a throwaway schema, dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bench.scratch import scratch_database
from core.search import query_terms, search_questions, similar_questions
from storage import migrate
from storage import search as index
from storage.db import make_engine, session_scope

TEAM = "T0BENCH"
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2016-task3b"


def load_texts(data: Path) -> list[str]:
    files = sorted(data.glob("*.jsonl"))
    if not files:
        raise SystemExit(f"no data set at {data}: pass --data with the semeval2016-task3b folder")
    texts = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts.append(f"{record['subject']}. {record['body']}")
            texts += [f"{c['subject']}. {c['body']}" for c in record["candidates"]]
    return texts


def sentences_of(texts: list[str]) -> list[str]:
    out = [s.strip() for t in texts for s in re.split(r"(?<=[.?!])\s+", t) if len(s.strip()) > 15]
    return out


def make_question(rng: random.Random, sentences: list[str]) -> str:
    return " ".join(rng.sample(sentences, rng.choice((1, 1, 2, 2, 3))))[:1500]


def team_of(i: int, workspaces: int) -> str:
    return TEAM if i % workspaces == 0 else f"T0BENCH{i % workspaces:03d}"


def fill(engine, n: int, sentences: list[str], seed: int, workspaces: int = 1, private_share: float = 0.0) -> float:
    rng = random.Random(seed)
    start = time.perf_counter()
    base = datetime(2024, 1, 1, tzinfo=UTC)
    teams = [team_of(i, workspaces) for i in range(workspaces)]
    with engine.begin() as conn:
        # One Grid organisation; each workspace's Q&A channel is public, its other channel private.
        if workspaces > 1:
            conn.execute(
                text(
                    "INSERT INTO workspace (team_id, org_id, enterprise_id, enterprise_install, seen_at) "
                    "VALUES (:team, 'E0BENCH', 'E0BENCH', false, :at)"
                ),
                [{"team": t, "at": base.replace(tzinfo=None)} for t in teams],
            )
        conn.execute(
            text(
                "INSERT INTO channel (team_id, channel_id, private, checked_at) VALUES (:team, :channel, :private, :at)"
            ),
            [
                {"team": t, "channel": channel, "private": private, "at": base.replace(tzinfo=None)}
                for t in teams
                for channel, private in (("C0BENCH", False), ("G0BENCH", True))
            ],
        )
        for first in range(0, n, 5000):
            questions, answers = [], []
            for i in range(first, min(first + 5000, n)):
                asked = base + timedelta(minutes=7 * i)
                questions.append(
                    {
                        "id": i + 1,
                        "team_id": team_of(i, workspaces),
                        "asker_id": f"U{i % 900:07d}",
                        "text": make_question(rng, sentences),
                        # (no draw when there are none: the same questions as a run without the option)
                        "channel_id": "G0BENCH" if private_share and rng.random() < private_share else "C0BENCH",
                        "message_ts": f"{asked.timestamp():.6f}",
                        "status": "posted",
                        "created_at": asked.replace(tzinfo=None),
                        "request_id": f"bench-{i}",
                    }
                )
                for k in range(rng.choice((0, 1, 1, 2, 3))):
                    answered = asked + timedelta(minutes=5 + k)
                    answers.append(
                        {
                            "team_id": team_of(i, workspaces),
                            "question_id": i + 1,
                            "message_ts": f"{answered.timestamp():.6f}",
                            "author_id": f"U{(i + k) % 700:07d}",
                            "text": " ".join(rng.sample(sentences, rng.choice((1, 2, 3))))[:2000],
                            "answered_at": answered.replace(tzinfo=None),
                        }
                    )
            conn.execute(
                text(
                    "INSERT INTO question (id, team_id, asker_id, text, channel_id, message_ts, status, created_at, request_id) "
                    "VALUES (:id, :team_id, :asker_id, :text, :channel_id, :message_ts, :status, :created_at, :request_id)"
                ),
                questions,
            )
            if answers:
                conn.execute(
                    text(
                        "INSERT INTO answer (team_id, question_id, message_ts, author_id, text, answered_at) "
                        "VALUES (:team_id, :question_id, :message_ts, :author_id, :text, :answered_at)"
                    ),
                    answers,
                )
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('question', 'id'), :n)"), {"n": n})
        index.reindex_all(conn)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))  # what autovacuum does soon after a bulk load
    return time.perf_counter() - start


def percentiles(samples_ms: list[float]) -> str:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return f"p50 {cuts[49]:7.2f}  p95 {cuts[94]:7.2f}  p99 {cuts[98]:7.2f}  max {max(samples_ms):7.2f} ms"


def timed(fn, queries: list[str]) -> list[float]:
    out = []
    for query in queries:
        start = time.perf_counter()
        fn(query)
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workspaces", type=int, default=1, help="of one Grid organisation (default 1)")
    parser.add_argument("--private-share", type=float, default=0.0, help="of questions in private channels")
    args = parser.parse_args()

    texts = load_texts(args.data)
    sentences = sentences_of(texts)
    rng = random.Random(args.seed + 1)
    lookups = [rng.choice(texts)[:1500] for _ in range(args.queries)]
    searches = [" ".join(rng.sample(query_terms(q), min(3, len(query_terms(q))))) or "bank" for q in lookups]

    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.database_url, Path(tmp)) as url:
        return run(args, url, sentences, lookups, searches)


def run(args, url: str, sentences, lookups, searches) -> int:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        print(
            f"Python {sys.version.split()[0]} | {engine.dialect.name} | {args.questions:,} questions | {args.queries} queries"
            f" | {args.workspaces} workspace(s) | {args.private_share:.0%} private"
        )
        filled = fill(engine, args.questions, sentences, args.seed, args.workspaces, args.private_share)
        print(f"fill and index: {filled:.1f} s")
        with session_scope(engine) as s:
            answers = s.execute(text("SELECT count(*) FROM answer")).scalar()
        print(f"answers: {answers:,}")

        def similar(query):
            with session_scope(engine) as s:
                return similar_questions(s, team_id=TEAM, text=query)

        def ask_search(query):
            with session_scope(engine) as s:
                return search_questions(s, team_id=TEAM, text=query)

        timed(similar, lookups[:20])  # warm caches
        found = sum(1 for q in lookups[:50] if similar(q))
        print(
            f"similar-question lookup (whole question, top 3): {percentiles(timed(similar, lookups))}  [{found}/50 found matches]"
        )
        print(f"/ask search (a few words, page of 5 with details): {percentiles(timed(ask_search, searches))}")
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
