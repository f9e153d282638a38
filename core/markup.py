"""Stored text is Slack mrkdwn, as Slack sends messages and slash commands: `&`, `<` and `>`
are entities, so what a person typed is never read as a link or a mention. Text that arrives
unescaped (form values, imported files) is escaped with `escape` before it is stored."""

from __future__ import annotations

import re


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """What the person typed, from escaped text (for names compared as plain text)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# Where a long text may be cut into pieces that each read on their own: a paragraph end (a blank
# line), else a line end, else a sentence end (., !, ? or … before a space, and the full stops of
# Chinese and Japanese), searched in the piece's last two thirds; only a text with none of them
# there is cut at a space, and one without spaces at the limit.
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n")
_LINE_END = re.compile(r"\n")
_SENTENCE_END = re.compile(r"[.!?…؟][\"')\]»”’]*(?=\s)|[。！？]")


def cut_point(text: str, limit: int) -> tuple[int, int]:
    """Where to cut `text` so its first piece holds at most `limit` characters: (where the piece
    ends, where the rest starts). The whole text when it fits: (len, len)."""
    if len(text) <= limit:
        return len(text), len(text)
    window = text[: limit + 1]  # a line break right at the limit still ends the piece there
    floor = limit // 3
    for pattern, keep_mark in ((_PARAGRAPH_END, False), (_LINE_END, False), (_SENTENCE_END, True)):
        found = [m for m in pattern.finditer(window) if floor <= (m.end() if keep_mark else m.start()) <= limit]
        if found:
            last = found[-1]
            end = last.end() if keep_mark else last.start()
            rest = end
            if keep_mark:  # the spaces after a sentence start nothing
                while rest < len(text) and text[rest] in " \t":
                    rest += 1
            else:  # the line breaks of a paragraph end start nothing; a line's indentation is kept
                while rest < len(text) and text[rest] == "\n":
                    rest += 1
                if pattern is _PARAGRAPH_END:
                    rest = last.end()
            return end, rest
    space = text.rfind(" ", limit // 2, limit + 1)
    if space > 0:
        return space, space + 1
    return limit, limit
