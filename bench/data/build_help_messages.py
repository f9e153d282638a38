"""Builds help_messages.jsonl from help_messages_written.txt and SemEval-2016 Task 3B's new
questions (README.md says how and why). Run from the repository root:

    .venv/bin/python bench/data/build_help_messages.py [--semeval DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SEMEVAL = HERE.parents[2] / "shared" / "data" / "semeval2016-task3b"
# SemEval's new questions that do not ask anything (read one by one): a confession thread, a joke,
# a farewell, a poem, "drop your jokes here", an event announcement, a post that answers its own
# title, and a complaint about the forum.
SEMEVAL_NOT_ASKING = {"Q290", "Q298", "Q300", "Q206", "Q225", "Q264", "Q256", "Q231"}
SEMEVAL_FILES = ("subtaskB_dev.jsonl", "subtaskB_train_part2.jsonl")


def split_of(text: str) -> str:
    """A third of the messages are held out ("test"); the rule was tuned on "dev" only."""
    return "test" if int(hashlib.sha256(text.encode()).hexdigest(), 16) % 3 == 0 else "dev"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--semeval", type=Path, default=DEFAULT_SEMEVAL)
    args = parser.parse_args()
    rows = []
    for line in (HERE / "help_messages_written.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, lang, kind, text = line.split("|", 3)
        text = text.replace("\\n", "\n")
        rows.append(dict(text=text, asks=label == "Q", lang=lang, kind=kind, source="written"))
    for name in SEMEVAL_FILES:
        for line in (args.semeval / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            asks = record["query_id"] not in SEMEVAL_NOT_ASKING
            rows.append(
                dict(
                    text=record["body"].strip(),
                    asks=asks,
                    lang="en",
                    kind="forum" if asks else "forum-other",
                    source=f"semeval2016-3b:{record['query_id']}",
                )
            )
    with (HERE / "help_messages.jsonl").open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(dict(row, split=split_of(row["text"])), ensure_ascii=False) + "\n")
    print(f"{len(rows)} messages, {sum(r['asks'] for r in rows)} asking")


if __name__ == "__main__":
    main()
