"""Stored text is Slack mrkdwn, as Slack sends messages and slash commands: `&`, `<` and `>`
are entities, so what a person typed is never read as a link or a mention. Text that arrives
unescaped (form values, imported files) is escaped with `escape` before it is stored.

Control characters other than tabs and line breaks never reach storage (`without_controls`: the
Slack edge strips them from everything a request carries, an import from every text). Slack's
clients never send them; PostgreSQL cannot store NUL at all, and the others only garble a post.
So both databases keep the same text."""

from __future__ import annotations

import re
import unicodedata


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# C0 and C1 controls and DEL, but tab, line feed and carriage return.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def without_controls(text: str) -> str:
    """`text` without its control characters (NUL and the like); tabs and line breaks are kept."""
    return _CONTROLS.sub("", text)


# Characters that show nothing though their category says otherwise: Hangul fillers (letters),
# the Braille blank (a symbol), the combining grapheme joiner and variation selectors (marks).
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5") | frozenset(
    chr(c) for c in [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]
)


def is_blank(text: str | None) -> bool:
    """Does `text` show nothing? Empty, or only spaces of any width, line breaks, format
    characters (zero-width space, joiners, word joiner, byte order mark, soft hyphen, direction
    marks, tags), control characters, and the few letters and symbols that print as nothing."""
    for ch in text or "":
        if ch in _INVISIBLE:
            continue
        if unicodedata.category(ch) not in ("Zs", "Zl", "Zp", "Cc", "Cf"):
            return False
    return True


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
