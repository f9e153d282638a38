"""Interactive elements in stored blocks: finding the one a click names, the options it offers,
and what a block_actions action may carry for each kind of element."""

from __future__ import annotations

import copy
from typing import Any

from fakeslack.payloads import MULTI_OPTION_INPUTS, ONE_OPTION_INPUTS
from playground.errors import PlaygroundError

# What a block_actions action may carry besides the element, by the element's type.
ACTION_FIELDS: dict[str, frozenset[str]] = {
    "button": frozenset({"value"}),
    **{kind: frozenset({"selected_option"}) for kind in ONE_OPTION_INPUTS},
    **{kind: frozenset({"selected_options"}) for kind in MULTI_OPTION_INPUTS},
    "datepicker": frozenset({"selected_date"}),
    "timepicker": frozenset({"selected_time"}),
    "datetimepicker": frozenset({"selected_date_time"}),
    "users_select": frozenset({"selected_user"}),
    "multi_users_select": frozenset({"selected_users"}),
    "conversations_select": frozenset({"selected_conversation"}),
    "multi_conversations_select": frozenset({"selected_conversations"}),
    "channels_select": frozenset({"selected_channel"}),
    "multi_channels_select": frozenset({"selected_channels"}),
    **{
        kind: frozenset({"value"})
        for kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input")
    },
}


def find_element(blocks: list[Any] | None, block_id: str, action_id: str) -> dict[str, Any] | None:
    """The interactive element `action_id` of block `block_id` in `blocks`, as stored. A block or
    element stored without an id goes by the one the page makes up for it (`auto-<index>`,
    `auto-<block_id>-<type>`), as Slack fills in ids of its own."""
    for i, block in enumerate(blocks or []):
        if not isinstance(block, dict) or (block.get("block_id") or f"auto-{i}") != block_id:
            continue
        kind = block.get("type")
        if kind == "actions":
            elements = block.get("elements") or []
        elif kind == "section":
            elements = [block.get("accessory")]
        elif kind == "input":
            elements = [block.get("element")]
        else:
            elements = []
        for element in elements:
            if (
                isinstance(element, dict)
                and element.get("type")
                and (element.get("action_id") or f"auto-{block_id}-{element['type']}") == action_id
            ):
                return element
    return None


def options_of(element: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in element.get("options") or [] if isinstance(o, dict)] + [
        o
        for g in element.get("option_groups") or []
        if isinstance(g, dict)
        for o in g.get("options") or []
        if isinstance(o, dict)
    ]


def chosen_option(chosen: Any, offered: list[dict[str, Any]]) -> dict[str, Any]:
    """The stored option the page chose (by value); refused when it is not among `offered`."""
    if not isinstance(chosen, dict):
        raise PlaygroundError("invalid_option")
    for option in offered:
        if option.get("value") == chosen.get("value"):
            return copy.deepcopy(option)
    raise PlaygroundError("invalid_option")
