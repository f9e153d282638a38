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

from datetime import datetime
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


def date_token(moment: datetime, fmt: str = "{date_short_pretty}", fallback: str = "%Y-%m-%d") -> str:
    """A time every reader sees in their own time zone (Slack's `<!date>`), with `fallback` (a
    strftime format, in UTC) where a client cannot render it."""
    return f"<!date^{int(moment.timestamp())}^{fmt}|{moment:{fallback}}>"
