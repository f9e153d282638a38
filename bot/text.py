"""Making user text safe to repost as the bot.

Slack's control sequences for crowd pings are `<!channel>`, `<!here>`, `<!everyone>` (each may
carry a `|label`) and user-group mentions `<!subteam^S123|@group>`. Reposted as they are, they
would notify everyone in the channel or the group. They are rewritten to look the same to a
reader but mean nothing to Slack: the `@` and the word are split by a word joiner (U+2060).
Plain words like "@here" are broken the same way in case a client ever links names.
User mentions (`<@U123>`) are kept: they name one person, and the asker meant them.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"

_SPECIAL = re.compile(r"<!(channel|here|everyone|group)(?:\|[^>]*)?>", re.IGNORECASE)
_SUBTEAM = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>", re.IGNORECASE)
_PLAIN = re.compile(r"(?<![\w@])@(channel|here|everyone)\b", re.IGNORECASE)


def _subteam(match: re.Match) -> str:
    label = (match.group(1) or "@group").lstrip("@")
    return "@" + WORD_JOINER + label


def neutralise_mentions(text: str) -> str:
    """The same text, with every crowd ping made inert."""
    text = _SPECIAL.sub(lambda m: "@" + WORD_JOINER + m.group(1).lower(), text)
    text = _SUBTEAM.sub(_subteam, text)
    return _PLAIN.sub(lambda m: "@" + WORD_JOINER + m.group(1), text)


def chunks(text: str, size: int) -> list[str]:
    """Split text into pieces of at most `size` characters, preferring line breaks, then spaces."""
    pieces = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        if cut < size // 2:
            cut = text.rfind(" ", 0, size)
        if cut < size // 2:
            cut = size
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n") if text[cut:cut + 1] == "\n" else text[cut:]
    pieces.append(text)
    return pieces


def excerpt(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
