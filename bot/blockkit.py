"""The Block Kit pieces every feature's messages are built from, in one place.

Blocks and elements with limits Slack enforces are built with slack-sdk's models
(`slack_sdk.models.blocks`), whose `to_dict()` refuses what Slack would refuse (a button's text
over 75 characters, an action id over 255): a message too big is a bug found where it is built,
not an `invalid_blocks` from Slack. Text is cut to the limit where a long value is expected
(a section holds at most 3,000 characters, a plain text label 150 here).

Slack shows plain text (labels, options, buttons, a form's errors) as typed: what goes there is
passed through `bot.text.plain_text`, so mrkdwn written for a message never shows its backticks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
)

from bot.text import notification_text, plain_text

Message = dict[str, Any]
Block = dict[str, Any]

SECTION_LIMIT = 3000  # a section's or a context element's text
PLAIN_LIMIT = 150  # a label, a placeholder or an option as Knowhow writes them


def plain(text: str) -> Block:
    return PlainTextObject(text=plain_text(text)[:PLAIN_LIMIT], emoji=True).to_dict()


def section(text: str, accessory: Block | None = None) -> Block:
    block = SectionBlock(text=MarkdownTextObject(text=text[:SECTION_LIMIT])).to_dict()
    if accessory:
        block["accessory"] = accessory
    return block


def context(text: str) -> Block:
    return ContextBlock(elements=[MarkdownTextObject(text=text[:SECTION_LIMIT])]).to_dict()


def button(text: str, action_id: str, value: str = "", style: str | None = None, confirm: Block | None = None) -> Block:
    # Slack refuses an empty value ("must be more than 0 characters"): a button without one leaves it out.
    element = ButtonElement(
        text=PlainTextObject(text=plain_text(text), emoji=True), action_id=action_id, value=value or None, style=style
    )
    result = element.to_dict()
    if confirm:
        result["confirm"] = confirm
    return result


def option(text: str, value: str) -> Block:
    return Option(text=PlainTextObject(text=plain_text(text)[:75], emoji=True), value=value).to_dict()


def form_errors(errors: dict[str, str]) -> dict[str, Any]:
    """A view_submission's answer showing `errors` under the form's inputs (by block_id), as
    plain text: Slack shows them as typed."""
    return {"response_action": "errors", "errors": {block: plain_text(text) for block, text in errors.items()}}


def said(text: str, *more: Block) -> Message:
    """A message of one section of mrkdwn `text` (then `more` blocks), whose notification reads
    the same words without their marks."""
    return {"text": notification_text(text), "blocks": [section(text), *more]}


def private(text: str, blocks: list[Block] | None = None) -> Message:
    """A message only the person who asked sees (a command's or a click's answer)."""
    message: Message = {"response_type": "ephemeral", "text": text}
    if blocks:
        message["blocks"] = blocks
    return message


# -- dates: one style ----------------------------------------------------------------------------
# Every date Knowhow writes reads the same: "Monday, December 7th, 2026", as Slack spells its
# `{date_long}` token. An instant (a session's start, a deadline) is such a token, so each reader
# sees it in their own time zone; a calendar day (the day an expert promised) is written out the
# same way, since a day is no instant.
DATE = "{date_long}"


def day(value: date) -> str:
    """A calendar day, as Slack spells `{date_long}`: "Monday, December 7th, 2026"."""
    n = value.day
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{value:%A}, {value:%B} {n}{suffix}, {value.year}"


def date_token(moment: datetime, fmt: str = DATE, fallback: str | None = None) -> str:
    """A time every reader sees in their own time zone (Slack's `<!date>`), with `fallback` where
    a client cannot render it: by default the same words in UTC ("…, 2026 at 09:00 UTC")."""
    if fallback is None:
        utc = moment.astimezone(UTC)
        shown = [day(utc.date())] if "{date" in fmt else []
        shown += [f"{utc:%H:%M} UTC"] if "{time" in fmt else []
        text = " at ".join(shown) or day(utc.date())
    else:
        text = f"{moment:{fallback}}"
    return f"<!date^{int(moment.timestamp())}^{fmt}|{text}>"


def on(moment: datetime) -> str:
    """The day of an instant, in each reader's time zone."""
    return date_token(moment, DATE)


def at(moment: datetime, *, date: bool = True) -> str:
    """An instant to the minute, in each reader's time zone (`date=False`: the time alone, for
    an instant later the same day)."""
    return date_token(moment, DATE + " at {time}" if date else "{time}")
