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

from core.markup import cut_point, escape, unescape  # also re-exported: the edge escapes form values
from storage.erasure import FORMER_MEMBER, FORMER_MEMBER_TEXT

WORD_JOINER = "\u2060"

_SPECIAL = re.compile(r"<!(channel|here|everyone|group)(?:\|[^>]*)?>", re.IGNORECASE)
_SUBTEAM = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>", re.IGNORECASE)
_PLAIN = re.compile(r"(?<![\w@])@(channel|here|everyone)\b", re.IGNORECASE)


def _subteam(match: re.Match) -> str:
    label = (match.group(1) or "@group").lstrip("@")
    return "@" + WORD_JOINER + label


def shown(plain_text: str) -> str:
    """A plain value (a topic name) made safe to show in mrkdwn: escaped, pings made inert."""
    return neutralise_mentions(escape(plain_text))


def neutralise_mentions(text: str) -> str:
    """The same text, with every crowd ping made inert."""
    text = _SPECIAL.sub(lambda m: "@" + WORD_JOINER + m.group(1).lower(), text)
    text = _SUBTEAM.sub(_subteam, text)
    return _PLAIN.sub(lambda m: "@" + WORD_JOINER + m.group(1), text)


def chunks(text: str, size: int) -> list[str]:
    """Split text into pieces of at most `size` characters that each render on their own.

    Cuts fall at a paragraph end, else a line end, else a sentence end (`core.markup.cut_point`),
    at a space only in a text without them; never inside a `<...>` link or mention; and a code
    block (```) cut in two is closed at the end of one piece and reopened in the next.
    """
    fence = "```"
    pieces = []
    reopen = False
    while True:
        if reopen:
            text = fence + "\n" + text
        if len(text) <= size:
            pieces.append(text)
            return pieces
        budget = size - (len(fence) + 1)  # room to close a code block at the cut
        cut, rest = cut_point(text, budget)
        opening = text.rfind("<", 0, cut)
        if opening > text.rfind(">", 0, cut) and opening > 0 and text.find(">", cut) != -1:
            cut = rest = opening  # keep <https://...|label>, <@U123> and the like whole
        piece, text = text[:cut], text[rest:]
        reopen = piece.count(fence) % 2 == 1
        pieces.append(piece + ("\n" + fence if reopen else ""))


def excerpt(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_ANGLED = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def flatten_links(text: str) -> str:
    """Text safe to put inside a link's label: `<url|label>` becomes its label, a mention
    `<@U123>` becomes "@U123", and `|` or `>` left over cannot end the outer link early."""

    def label(match: re.Match) -> str:
        target, shown = match.group(1), match.group(2)
        if shown:
            return shown
        return target.lstrip("!") if target.startswith(("@", "!", "#")) else target

    return _ANGLED.sub(label, text).replace("|", "¦").replace("<", "‹").replace(">", "›")


def clip(text: str, limit: int) -> tuple[str, str]:
    """`text` cut to at most `limit` characters at a word's end, with "…" when cut, and what is
    left (""). Never inside a `<...>` link or mention; a word longer than `limit` is cut in it."""
    if len(text) <= limit:
        return text, ""
    budget = limit - 1  # room for the "…"
    cut = text.rfind(" ", 0, budget + 1)
    if cut < budget // 2:
        cut = budget
    opening = text.rfind("<", 0, cut)
    if opening > text.rfind(">", 0, cut) and text.find(">", cut) != -1:
        cut = opening  # keep <@U123> and the like whole
    return text[:cut].rstrip() + "…", text[cut:].lstrip()


_LABELLED = re.compile(r"<(?:https?://|mailto:)[^<>|]*\|([^<>]*)>")
_BARE_LINK = re.compile(r"<((?:https?://|mailto:)[^<>|]*)>")
_CHANNEL = re.compile(r"<#[A-Z0-9]+\|([^<>]*)>")


def answer_excerpt(text: str) -> str:
    """A reply's text on one line, for a short excerpt: links by their labels (a bare one as its
    address), channels by their names, code fences dropped, person mentions kept (Slack shows the
    name), crowd pings made inert."""
    text = _LABELLED.sub(r"\1", text)
    text = _BARE_LINK.sub(r"\1", text)
    text = _CHANNEL.sub(r"#\1", text)
    return " ".join(neutralise_mentions(text.replace("```", " ")).split())


# -- mrkdwn as plain text -----------------------------------------------------------------------
# Slack shows a plain_text object (labels, options, placeholders, headers, a modal's title), a
# form's errors and a notification as typed: no formatting, links or mentions. What Knowhow writes
# in mrkdwn is turned into the words a reader should see there.

# The emoji Knowhow writes, as characters (a plain_text object with `emoji: true` shows any
# shortcode as emoji, a form's errors and notifications do not).
EMOJI = {
    "alarm_clock": "⏰",
    "calendar": "📆",
    "checkered_flag": "🏁",
    "grey_question": "❔",
    "hourglass_flowing_sand": "⏳",
    "large_green_circle": "🟢",
    "raised_hands": "🙌",
    "raising_hand": "🙋",
    "speech_balloon": "💬",
    "studio_microphone": "🎙️",
    "tada": "🎉",
    "warning": "⚠️",
    "wave": "👋",
    "white_check_mark": "✅",
}

_SHORTCODE = re.compile(r"(?<![\w:]):([a-z0-9_+'-]*[a-z][a-z0-9_+'-]*):(?![\w:])")
_FENCE = re.compile(r"```\n?(.*?)(?:\n?```|$)", re.DOTALL)  # an excerpt may cut the closing fence
_CODE = re.compile(r"`([^`\n]+)`")
_STYLES = [
    re.compile(rf"(?<![\w{m}]){re.escape(m)}([^{m}\s](?:[^{m}\n]*[^{m}\s])?){re.escape(m)}(?![\w{m}])")
    for m in ("*", "_", "~")
]
_QUOTE = re.compile(r"^(?:&gt;|>) ?", re.MULTILINE)


def _angled(match: re.Match) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):  # a person, or a user group
        return "@" + label.lstrip("@") if label else "@someone"
    if target.startswith("#"):
        return "#" + label if label else "#channel"
    if target.startswith("!"):  # <!date^…|fallback>, <!here>
        return label or "@" + WORD_JOINER + target[1:].split("^", 1)[0]
    return label or target.removeprefix("mailto:")


def notification_text(text: str) -> str:
    """A message's `text` beside its blocks, as the notification shows it: Slack renders the
    mentions, links and emoji there but shows the rest of mrkdwn as typed."""
    text = _FENCE.sub(lambda m: m.group(1), text)
    text = _CODE.sub(lambda m: m.group(1), text)
    for style in _STYLES:
        text = style.sub(lambda m: m.group(1), text)
    return _QUOTE.sub("", text)


def plain_text(text: str) -> str:
    """Knowhow's mrkdwn as a person should read it where Slack shows text as typed: `code` and
    code blocks without their backticks, *bold*, _italic_ and ~strike~ without their marks,
    links as their labels (or addresses), mentions as @name, dates as their fallback, quotes
    without their `>`, and Knowhow's own emoji as characters. `&amp;` and the like stay: Slack
    shows them as `&` in plain text too."""
    text = _FENCE.sub(lambda m: m.group(1), text)
    text = _CODE.sub(lambda m: m.group(1), text)
    text = _ANGLED.sub(_angled, text)
    for style in _STYLES:
        text = style.sub(lambda m: m.group(1), text)
    text = _QUOTE.sub("", text)
    return _SHORTCODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def mention(user_id: str | None, *, start: bool = False) -> str:
    """A person in mrkdwn: `<@U123>`, which Slack shows as their name; someone Knowhow forgot
    (core.erasure: their id is gone) reads "a former member" ("A former member" at the `start`
    of a sentence), never a mention Slack cannot resolve."""
    if user_id and user_id != FORMER_MEMBER:
        return f"<@{user_id}>"
    return FORMER_MEMBER_TEXT[:1].upper() + FORMER_MEMBER_TEXT[1:] if start else FORMER_MEMBER_TEXT


# -- a message's mrkdwn in a form's box, and back -------------------------------------------------
_PERSON_TYPED = re.compile(r"&lt;@([UW][A-Z0-9]+)&gt;")


def _editable(match: re.Match) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):  # a person: kept as Slack writes one, so it stays a mention once saved
        return f"<{target}>"
    if target.startswith("#"):
        return "#" + label if label else "#channel"
    if target.startswith("!"):  # <!here>, a user group, a date: as read (a ping is made inert once saved)
        return label or "@" + target[1:].split("^", 1)[0]
    target = target.removeprefix("mailto:")
    return f"{label} ({target})" if label and label != target else target


def editable(text: str) -> str:
    """A message's mrkdwn as a person edits it in a form's box: links as "label (address)",
    channels and pings as read, `&amp;` as `&`; a person's mention stays `<@U123>` (`from_form`
    keeps it one)."""
    return unescape(_ANGLED.sub(_editable, text))


def from_form(value: str) -> str:
    """A form box's text as stored (Slack mrkdwn): escaped, the `<@U123>` mentions `editable` left
    kept as mentions, every crowd ping made inert."""
    return neutralise_mentions(_PERSON_TYPED.sub(r"<@\1>", escape(value)))
