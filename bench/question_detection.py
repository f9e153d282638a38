"""How well does the question-detection rule (core.questions) tell questions from the rest of a
help channel's messages? Precision and recall on the labelled set bench/data/help_messages.jsonl
(its README says how it was made), overall, per split (the rule was tuned on "dev"; "test" was
held out), per language and per source, with every mistake listed under --mistakes.

    .venv/bin/python bench/question_detection.py [--split dev|test|all] [--mistakes]

Baseline in the same run: `core.asking.reads_as_question` (a question mark anywhere, or a first
word that opens a question in English), the rule `/ask` uses to spot a very short question.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.asking import reads_as_question
from core.questions import detect

DATA = Path(__file__).resolve().parent / "data" / "help_messages.jsonl"


def load(path: Path = DATA) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def scores(pairs: list[tuple[bool, bool]]) -> tuple[float, float, int, int]:
    """(precision, recall, messages, asking) of (predicted, labelled) pairs, in %."""
    tp = sum(p and t for p, t in pairs)
    predicted = sum(p for p, _ in pairs)
    actual = sum(t for _, t in pairs)
    precision = 100 * tp / predicted if predicted else 0.0
    recall = 100 * tp / actual if actual else 0.0
    return precision, recall, len(pairs), actual


def report(rows: list[dict], predict, label: str) -> None:
    groups: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for row in rows:
        pair = (predict(row["text"]), row["asks"])
        groups["all"].append(pair)
        groups[f"split {row['split']}"].append(pair)
        groups[f"lang {row['lang']}"].append(pair)
        groups["source " + ("semeval" if row["source"].startswith("semeval") else "written")].append(pair)
    print(f"\n{label}")
    for name in sorted(groups, key=lambda g: (g != "all", g)):
        precision, recall, n, asking = scores(groups[name])
        print(f"  {name:16s} precision {precision:6.2f}%  recall {recall:6.2f}%  ({n} messages, {asking} asking)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--mistakes", action="store_true", help="list every message the rule gets wrong")
    args = parser.parse_args()
    rows = [r for r in load() if args.split == "all" or r["split"] == args.split]
    report(rows, lambda text: detect(text).asks, "core.questions.detect (help channels)")
    report(rows, reads_as_question, "baseline: core.asking.reads_as_question")
    if args.mistakes:
        print("\nmistakes (labelled, then why the rule said otherwise):")
        for row in rows:
            found = detect(row["text"])
            if found.asks != row["asks"]:
                flag = "missed " if row["asks"] else "flagged"
                print(f"  {flag} [{row['lang']} {row['split']} {row['kind']}] {row['text'][:100]!r}: {found.reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
