"""What does the default install's semantic re-ranking (WordLlama) cost? Install size, memory, and re-ranking latency.

- Install size: the size on disk of the installed distributions that WordLlama
  adds to the rest of the default install (its dependency tree less the rest's), from each
  distribution's RECORD.
- Memory: resident memory (RSS) of this process before the model is loaded, after loading it,
  and after re-ranking (the tokenizer's buffers and thread pool come with first use).
- Latency: `core.semantic.rerank` re-ranking a lookup's candidates (by default as many as a lookup
  re-ranks: its 10 lexical matches and the NEAREST found by meaning), each embedded from its text: its cost depends only on the candidates' number and length, not on the
  store's size. (A lookup embeds only the candidates not read yet, or edited since: the vectors of
  the questions read are kept, core.semantic.kept; bench/similar_quality.py --cost times whole
  lookups at 100,000 questions.) Queries
  and candidate texts are real forum questions (../shared/data/semeval2016-task3b). Timed one
  lookup at a time, then from several threads at once (Bolt runs listeners in a thread pool).

    .venv/bin/python bench/semantic_cost.py [--candidates 20] [--lookups 2000] [--threads 4]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import threading
import time
import tomllib
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import core.search  # noqa: F401  (what a running bot has loaded anyway: the baseline)
from core import semantic

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "semeval2016-task3b"


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(requirements: list[str]) -> set[str]:
    """The installed distributions `requirements` pull in, with their dependencies, transitively
    (a requirement's extras too, as `psycopg[binary]` has; markers evaluated for this machine)."""
    from packaging.requirements import Requirement  # the extra brings it (huggingface-hub needs it)

    seen: set[str] = set()
    todo = [(Requirement(r), "") for r in requirements]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = _name(requirement.name)
        extras = {_name(e) for e in requirement.extras}
        key = name + ("[" + ",".join(sorted(extras)) + "]" if extras else "")
        if key in seen:
            continue
        seen.add(key)
        seen.add(name)
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            dependency = Requirement(line)
            for wanted in ("", *extras):
                todo.append((dependency, wanted))
    return {key for key in seen if "[" not in key}


def installed_size(name: str) -> int:
    """Bytes on disk of one installed distribution's files (its RECORD, byte code included)."""
    dist = metadata.distribution(name)
    total = 0
    for file in dist.files or []:
        path = Path(dist.locate_file(file))
        if path.is_file():
            total += path.stat().st_size
    return total


DEFAULT_MODEL = "wordllama"  # the default install's model: its cost is what it adds to the rest


def install_size(extra_name: str | None = None) -> list[tuple[str, str, int]]:
    """The installed distributions (name, version, bytes) that `extra_name` adds to the default
    install; None: what the default install's model (DEFAULT_MODEL) adds to the rest of it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dependencies = project["dependencies"]
    if extra_name is None:
        model = [r for r in dependencies if _name(r).startswith(DEFAULT_MODEL)]
        default = closure([r for r in dependencies if r not in model])
        extra = closure(model)
    else:
        default = closure(dependencies)
        extra = closure(project["optional-dependencies"][extra_name])
    rows = []
    for name in sorted(extra - default):
        try:
            rows.append((metadata.distribution(name).metadata["Name"], metadata.version(name), installed_size(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, "not installed", 0))
    return sorted(rows, key=lambda row: -row[2])


def load_texts(data: Path) -> tuple[list[str], list[str]]:
    """(new questions, earlier questions) as the lookup sees them: subject, then body."""
    queries, candidates = [], []
    for path in sorted(data.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            queries.append(f"{record['subject']}\n{record['body']}")
            candidates += [f"{c['subject']}\n{c['body']}" for c in record["candidates"]]
    return queries, candidates


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help=f"the semeval2016-task3b folder (default {DEFAULT_DATA})"
    )
    parser.add_argument(
        "--candidates",
        type=int,
        default=semantic._Model.candidates + semantic.NEAREST,
        help="candidates re-ranked per lookup (default: a lookup's, 10 lexical + NEAREST by meaning)",
    )
    parser.add_argument("--lookups", type=int, default=2000, help="lookups timed (default 2000)")
    parser.add_argument("--threads", type=int, default=4, help="threads looking up at once, second run (default 4)")
    args = parser.parse_args()
    queries, texts = load_texts(args.data)
    if not queries:
        print(f"The SemEval-2016 Task 3B data is not at {args.data}: pass --data DIR.")
        return 2

    before = rss_mib()
    started = time.perf_counter()
    if not semantic.available():
        print("WordLlama is not installed (or its model did not load): nothing to measure.")
        print("It comes with the default install: pip install knowhow")
        return 2
    load_ms = 1000 * (time.perf_counter() - started)
    loaded = rss_mib()

    print("install size: what WordLlama adds to the rest of the default install")
    rows = install_size()
    for name, version, size in rows:
        print(f"  {name:24s} {version:16s} {size / 2**20:7.1f} MiB")
    print(f"  {'total':41s} {sum(size for *_, size in rows) / 2**20:7.1f} MiB")

    lengths = [len(t) for t in texts]
    print(
        f"\nlookups: {args.lookups}, each re-ranking {args.candidates} candidates "
        f"(texts of {statistics.mean(lengths):.0f} characters on average, at most {max(lengths)})"
    )
    print(f"  model load (once, on the first lookup): {load_ms:.0f} ms")

    def lookups(count: int, seed: int, timings: list[float]) -> None:
        rng = random.Random(seed)
        for n in range(count + 20):
            query = rng.choice(queries)
            scores = sorted((rng.uniform(1, 30) for _ in range(args.candidates)), reverse=True)
            candidates = [(i, score, rng.choice(texts)) for i, score in enumerate(scores)]
            started = time.perf_counter()
            semantic.rerank(query, candidates)
            if n >= 20:  # the first few warm up the tokenizer's buffers and thread pool
                timings.append(1000 * (time.perf_counter() - started))

    alone: list[float] = []
    lookups(args.lookups, 7, alone)
    together: list[float] = []
    threads = [
        threading.Thread(target=lookups, args=(args.lookups // args.threads, 100 + n, together))
        for n in range(args.threads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    used = rss_mib()
    for label, timings in (("one at a time", alone), (f"{args.threads} threads at once", together)):
        print(
            f"  rerank latency, {label + ':':19s} p50 {percentile(timings, 0.5):6.2f} ms, "
            f"p95 {percentile(timings, 0.95):6.2f} ms, p99 {percentile(timings, 0.99):6.2f} ms"
        )
    print("\nresident memory (RSS) of this process:")
    for label, rss in (("before loading the model", before), ("after loading it", loaded), ("after the lookups", used)):
        added = f"  (+{rss - before:.1f})" if rss != before else ""
        print(f"  {label:26s} {rss:7.1f} MiB{added}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
