"""How good are help-channel suggestions end to end? SemEval-2016 Task 3 subtask B's new questions,
posted as plain messages in a help channel, through the one decision Knowhow makes for each
(`core.helpchannels.decide`: does it ask, core.questions; which earlier lessons cover it, the
ranking and precision threshold of the suggestions shown before an `/ask` question is posted).

For each new question, its 10 earlier candidates are imported through the real import path
(`knowhow import`'s `core.importing.import_jsonl`) into a workspace of their own, each with a
placeholder answer (the data set has none, and only answered questions are suggested); the new
question itself is held out and posted as a help-channel message (its subject, then its body).
A suggestion is relevant when the data set labels it PerfectMatch or Relevant.

    .venv/bin/python bench/help_channel_quality.py [--data DIR] [--database-url URL]

Printed with the detection rule's precision and recall on the labelled set
(bench/data/help_messages.jsonl, bench/question_detection.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bench.data.build_help_messages import SEMEVAL_NOT_ASKING
from bench.question_detection import load as load_labelled
from bench.question_detection import scores
from bench.similar_quality import DEFAULT_DATA, RELEVANT, SPLITS, load
from core import helpchannels, importing
from core.lessons import MIN_COVERAGE
from core.questions import detect
from storage import migrate
from storage.db import make_engine, session_scope

CHANNEL = "C0HELPIT01"
PLACEHOLDER_ANSWER = "Answered in the thread."


def message_of(record: dict) -> str:
    return f"{record['subject']}\n{record['body']}"


def evaluate(engine, queries: list[dict], split: str) -> dict:
    run = uuid.uuid4().hex[:6]
    teams = {}
    with session_scope(engine) as session:
        for query in queries:
            team = teams[query["query_id"]] = f"T{split[:3]}{run}{query['query_id']}"
            lines = [
                json.dumps(
                    {
                        "id": c["id"],
                        "text": c["subject"],
                        "details": c["body"],
                        "answers": [{"text": PLACEHOLDER_ANSWER}],
                    }
                )
                for c in query["candidates"]
            ]
            assert not importing.import_jsonl(session, team_id=team, lines=lines).problems
            helpchannels.designate(session, team_id=team, channel_id=CHANNEL, user_id="U0ADMIN001")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    out = dict(asking=0, read_as_question=0, suggested=0, first_relevant=0, lessons=0, lessons_relevant=0)
    out["not_asking"] = out["not_asking_suggested"] = 0
    with session_scope(engine) as session:
        for query in queries:
            team = teams[query["query_id"]]
            relevant = {c["id"] for c in query["candidates"] if c["label"] in RELEVANT}
            source = {
                q: r[len(importing.SOURCE_PREFIX) :]
                for q, r in session.execute(
                    text("SELECT id, request_id FROM question WHERE team_id = :team"), {"team": team}
                ).all()
            }
            decision = helpchannels.decide(session, team_id=team, channel_id=CHANNEL, text=message_of(query))
            asks = query["query_id"] not in SEMEVAL_NOT_ASKING
            out["asking" if asks else "not_asking"] += 1
            if not asks:
                out["not_asking_suggested"] += decision.suggest
                continue
            out["read_as_question"] += decision.detection.asks
            if decision.suggest:
                out["suggested"] += 1
                shown = [source[lesson.question_id] for lesson in decision.lessons]
                out["first_relevant"] += shown[0] in relevant
                out["lessons"] += len(shown)
                out["lessons_relevant"] += sum(s in relevant for s in shown)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    if not (args.data / SPLITS[0][1]).exists():
        print(f"The SemEval-2016 Task 3B data is not at {args.data}: pass --data DIR.")
        return 2
    labelled = load_labelled()
    precision, recall, n, asking = scores([(detect(r["text"]).asks, r["asks"]) for r in labelled])
    print(f"question detection (core.questions) on {n} labelled messages ({asking} asking):")
    print(f"  precision {precision:6.2f}%  recall {recall:6.2f}%")
    for split in ("dev", "test"):
        p, r, n, _ = scores([(detect(x["text"]).asks, x["asks"]) for x in labelled if x["split"] == split])
        print(f"  {split:4s}: precision {p:6.2f}%  recall {r:6.2f}%  ({n} messages)")
    with tempfile.TemporaryDirectory() as tmp:
        schema = None
        if args.database_url:
            schema = f"knowhow_help_{uuid.uuid4().hex[:8]}"
            admin = make_engine(args.database_url)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in args.database_url else "?"
            url = f"{args.database_url}{sep}options={quote(f'-csearch_path={schema}')}"
        else:
            url = f"sqlite:///{tmp}/help.db"
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            print(
                f"\nhelp-channel suggestions end to end (database: {engine.dialect.name}, min coverage {MIN_COVERAGE}):"
            )
            for split, filename in SPLITS:
                path = args.data / filename
                if not path.exists():
                    continue
                o = evaluate(engine, load(path), split)
                pct = lambda a, b: 100 * a / b if b else 0.0  # noqa: E731
                print(
                    f"  {split}: {o['asking']} questions asked in the channel (+{o['not_asking']} messages that ask nothing)"
                )
                print(f"    read as questions: {pct(o['read_as_question'], o['asking']):6.2f}%")
                print(
                    f"    given suggestions: {pct(o['suggested'], o['asking']):6.2f}% "
                    f"({o['suggested']}; nothing said for the rest)"
                )
                print(f"    first suggestion relevant: {pct(o['first_relevant'], o['suggested']):6.2f}%")
                print(
                    f"    every suggestion shown relevant: {pct(o['lessons_relevant'], o['lessons']):6.2f}% "
                    f"of {o['lessons']}"
                )
                print(
                    f"    messages that ask nothing given suggestions: {o['not_asking_suggested']} of {o['not_asking']}"
                )
        finally:
            engine.dispose()
            if schema:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
