"""Slack's answer shapes for the Web API methods: `ok`, `err` (with a Refusal's explanation), and why
Slack would refuse blocks, a modal, a Home tab or an app's options for an external select (the rules
are in fakeslack/blocks.py)."""

from __future__ import annotations

from typing import Any

from fakeslack import blocks as block_kit
from fakeslack.http import Answer


class Refusal(str):
    """An error code (compares equal to it) carrying Slack's explanation: `err` answers it with
    `errors` (chat.*: invalid_blocks) and `response_metadata.messages`, each message "[ERROR] ..."."""

    def __new__(cls, error: str, messages: list[str]):
        refusal = super().__new__(cls, error)
        refusal.messages = list(messages)
        return refusal


def ok(**fields) -> Answer:
    return Answer(200, {"ok": True, **fields})


def err(error: str) -> Answer:
    if isinstance(error, Refusal):
        body: dict[str, Any] = {"ok": False, "error": str(error)}
        if error == "invalid_blocks":
            body["errors"] = list(error.messages)
        body["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in error.messages]}
        return Answer(200, body)
    return Answer(200, {"ok": False, "error": error})


def invalid_arguments(message: str) -> Answer:
    """Slack's answer to a missing or malformed argument of the newer methods."""
    return Answer(
        200, {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": [f"[ERROR] {message}"]}}
    )


def blocks_problem(blocks) -> Refusal | None:
    """Why Slack would refuse `blocks` in a message: an `invalid_blocks` Refusal with Slack's
    messages, or None. No blocks is no problem."""
    if blocks in (None, "", []):
        return None
    problems = block_kit.message_problems(blocks)
    return Refusal("invalid_blocks", problems) if problems else None


def modal_problem(view) -> Refusal | None:
    """Why Slack would refuse `view` as a modal (views.open/update/push, a view_submission's
    response_action update/push): an `invalid_arguments` Refusal with Slack's messages, or None."""
    problems = block_kit.view_problems(view, block_kit.MODAL)
    return Refusal("invalid_arguments", problems) if problems else None


def home_problem(view) -> Refusal | None:
    """Why Slack would refuse `view` as an App Home (views.publish), or None."""
    problems = block_kit.view_problems(view, block_kit.HOME)
    return Refusal("invalid_arguments", problems) if problems else None


def suggestion_problem(answer) -> Refusal | None:
    """Why Slack would offer nothing from an app's answer to a block_suggestion (`options` or
    `option_groups`, not both): an `invalid_options` Refusal with Slack's messages, or None."""
    problems = block_kit.suggestion_problems(answer)
    return Refusal("invalid_options", problems) if problems else None
