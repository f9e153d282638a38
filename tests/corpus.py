"""Realistic texts for the edge tests, and what Slack sends for a text a person typed.

`realistic_texts()` reads tests/data/realistic_texts.jsonl (written for this project: questions about
software, HR, travel, tools, finance and facilities, in many languages, with code, URLs, Slack markup,
the words of Slack's wire formats, odd whitespace, emoji, very long lines), and adds the questions of
SemEval-2016 Task 3B (real forum questions, ../shared/data/semeval2016-task3b) when that folder is
there: its licence does not let this repository ship them.

`as_slack_sends(text, markup=...)` is the text field Slack sends for what a person typed: `&`, `<` and
`>` as entities, and Slack's markup (`<@U123>`, `<!here>`, `<#C123|name>`, `<https://…|label>`) kept
where Slack keeps it: in messages and in commands with should_escape on (/expert); in commands with
it off (/ask, /mentor) a mention or link arrives as the person sees it (`@name`, `#name`, the label).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "realistic_texts.jsonl"
SEMEVAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2016-task3b"

# Slack's control sequences: mentions, channel links, specials (`<!here>`, `<!date^…|…>`), links.
_MARKUP = re.compile(r"<(?:[@#!]|https?://|mailto:)[^<>]*>")
_URL = re.compile(r"https?://[^\s<>]+")
_URL_TAIL = ".,;:!?)'\"`"  # what Slack leaves out of a link when a sentence goes on after it
_SPECIALS = re.compile(r"(?<![\w@])@(here|channel|everyone)\b")


@cache
def own_texts() -> tuple[str, ...]:
    rows = (line for line in DATA.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#"))
    return tuple(json.loads(row)["text"] for row in rows)


@cache
def semeval_questions() -> tuple[str, ...]:
    """Each new question of SemEval-2016 3B as a person would type it: its subject, then its body."""
    if not SEMEVAL.is_dir():
        return ()
    questions = []
    for path in sorted(SEMEVAL.glob("subtaskB_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                questions.append(f"{row['subject']}\n{row['body']}")
    return tuple(questions)


def realistic_texts() -> list[str]:
    return [*own_texts(), *semeval_questions()]


def as_slack_sends(text: str, *, markup: bool) -> str:
    """The text Slack sends for `text` as typed. `markup`: Slack's markup is kept and bare links and
    @here are turned into it (messages, commands with should_escape on); else they arrive as shown."""
    out, last = [], 0
    for match in _MARKUP.finditer(text):
        out.append(_typed(text[last : match.start()], markup))
        out.append(match.group(0) if markup else _escape(_shown(match.group(0))))
        last = match.end()
    out.append(_typed(text[last:], markup))
    return "".join(out)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _typed(text: str, markup: bool) -> str:
    text = _escape(text)
    if not markup:
        return text
    text = _SPECIALS.sub(lambda m: f"<!{m.group(1)}>", text)

    def link(m: re.Match) -> str:
        url = m.group(0)
        kept = url.rstrip(_URL_TAIL)
        return f"<{kept}>{url[len(kept) :]}"

    return _URL.sub(link, text)


def _shown(markup: str) -> str:
    """What a reader sees of one piece of markup (and what a command without escaping gets)."""
    target, _, label = markup[1:-1].partition("|")
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!subteam"):
        return label or "@group"
    if target.startswith("!date"):
        return label
    if target.startswith("!"):
        return "@" + target[1:]
    return label or target.removeprefix("mailto:")
