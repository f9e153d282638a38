"""Slack's Block Kit rules, as the fake enforces them: one table of what each block, element and
composition object may hold, and a walker that checks a message's blocks or a view against it.

Rules follow Slack's reference (docs.slack.dev/reference/block-kit: blocks, block-elements,
composition-objects). Problems come back as Slack words them, each with a JSON pointer:
"must be less than 151 characters [json-pointer:/blocks/0/text/text]". chat.* methods answer
`invalid_blocks` with them (in `errors` and `response_metadata.messages`, each there prefixed
"[ERROR] "), views.* answer `invalid_arguments` with them in `response_metadata.messages`.

What is checked: the block types each surface allows; required fields; no unknown fields (Slack
refuses the whole payload for one); text object types (plain_text where Slack wants it) and
lengths; list sizes (blocks, fields, elements, options); the elements each block may hold; unique
block_ids in a surface and unique action_ids within a block; an initial option that is one of the
options; a view's title/submit/close, callback_id, private_metadata and external_id; and an app's
answer to a block_suggestion (the options of an external select).
"""

from __future__ import annotations

from fakeslack.block_rules import (
    HOME,
    MAX_BLOCKS,
    MESSAGE,
    MODAL,
    SPECS,
    List,
    Obj,
    check_object,
    markup_in,
    markup_in_notification,
    markup_in_plain_text,
)
from fakeslack.block_specs import VIEW_SPECS

__all__ = [
    "HOME",
    "MESSAGE",
    "MODAL",
    "markup_shown_as_typed",
    "message_problems",
    "response_errors_problems",
    "suggestion_problems",
    "view_problems",
]


def _check_blocks(blocks, surface: str, ptr: str) -> list[str]:
    found: list[tuple[str, str]] = []
    if not isinstance(blocks, list):
        found.append(("must provide an array", ptr))
        blocks = []
    elif len(blocks) > MAX_BLOCKS[surface]:
        found.append((f"no more than {MAX_BLOCKS[surface]} items allowed", ptr))
    ctx = {"block_ids": set(), "action_ids": set()}
    for n, block in enumerate(blocks):
        here = f"{ptr}/{n}"
        if not isinstance(block, dict):
            found.append(("must provide an object", here))
            continue
        kind = block.get("type")
        spec = SPECS.get(kind) if kind in _BLOCK_TYPES else None
        if spec is None:
            found.append((f"unsupported type: {kind}", here + "/type"))
            continue
        if surface not in spec.surfaces:
            found.append((f"unsupported type: {kind} (not allowed in a {surface})", here + "/type"))
            continue
        ctx["action_ids"] = set()  # action_ids need only be unique within their block
        found.extend(check_object(spec, block, here, ctx))
    return [f"{message} [json-pointer:{where}]" for message, where in found]


_BLOCK_TYPES = (
    "section",
    "header",
    "divider",
    "image",
    "context",
    "actions",
    "input",
    "rich_text",
    "video",
    "markdown",
    "file",
)


def message_problems(blocks, ptr: str = "/blocks") -> list[str]:
    """Why Slack would refuse these blocks in a message (chat.postMessage, chat.update,
    chat.postEphemeral, a response_url body): Slack's messages, empty when it would take them."""
    return _check_blocks(blocks, MESSAGE, ptr)


def view_problems(view, kind: str) -> list[str]:
    """Why Slack would refuse `view` as a `kind` ("modal" or "home") view."""
    if not isinstance(view, dict):
        return ["must provide an object [json-pointer:/view]"]
    if view.get("type") != kind:
        return ["must be a valid enum value [json-pointer:/view/type]"]
    found = [f"{m} [json-pointer:{p}]" for m, p in check_object(VIEW_SPECS[kind], view, "/view", {})]
    found += _check_blocks(view.get("blocks"), kind, "/view/blocks") if "blocks" in view else []
    if (
        kind == MODAL
        and not view.get("submit")
        and any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
    ):
        found.append("must provide submit when the view has input blocks [json-pointer:/view/submit]")
    return found


def response_errors_problems(view, errors) -> list[str]:
    """Why Slack would refuse a view_submission answered `response_action: errors` with `errors`:
    it must map block_ids of the view's input blocks to messages. Slack then fails the submission
    visibly instead of showing the errors."""
    if not isinstance(errors, dict) or not errors:
        return ["must provide an object of errors [json-pointer:/errors]"]
    inputs = {
        b.get("block_id") for b in (view or {}).get("blocks") or [] if isinstance(b, dict) and b.get("type") == "input"
    }
    found = []
    for key, message in errors.items():
        if key not in inputs:
            found.append(f"{key} is not the block_id of an input block [json-pointer:/errors/{key}]")
        elif not isinstance(message, str) or not message:
            found.append(f"must be a non-empty string [json-pointer:/errors/{key}]")
    return found


# The answer to a block_suggestion (an external select's options): "either an options array, or an
# option_groups array" of at most 100 (Slack's reference: block_suggestion, select menus); an empty
# one is an answer with nothing to offer.
_SUGGESTION = {
    "options": List(Obj(spec="option"), 100, min=0),
    "option_groups": List(Obj(spec="option_group"), 100, min=0),
}


def suggestion_problems(answer) -> list[str]:
    """Why Slack's client would offer nothing from an app's answer to a block_suggestion: Slack's
    words, empty when it would show the answer's options."""
    if not isinstance(answer, dict):
        return ["must provide an object [json-pointer:/]"]
    present = [key for key in _SUGGESTION if key in answer]
    if len(present) != 1:
        return ["must provide exactly one of options or option_groups [json-pointer:/]"]
    [key] = present
    return [f"{m} [json-pointer:{p}]" for m, p in _SUGGESTION[key].check(answer[key], f"/{key}", {"action_ids": set()})]


def markup_shown_as_typed(body, *, notifies: bool = False) -> list[str]:
    """Where `body` (a message's arguments, a view, an interaction's answer) puts mrkdwn where Slack
    shows text as typed: plain_text objects, a modal's `response_action: errors`, and with
    `notifies` (a message posted) the notification (its `text` beside blocks). Slack takes it; a
    person sees backticks and asterisks. Empty when none."""
    if not isinstance(body, dict):
        return []
    found = list(markup_in_plain_text(body))
    if notifies and body.get("blocks") and isinstance(body.get("text"), str):
        found += markup_in_notification(body["text"])
    if body.get("response_action") == "errors" and isinstance(body.get("errors"), dict):
        for key, message in body["errors"].items():
            if isinstance(message, str):
                found += [
                    (f"a form error shows {kind} as typed: {message!r}", f"/errors/{key}")
                    for kind in markup_in(message)
                ]
    return [f"{message} [json-pointer:{where}]" for message, where in found]
