"""A modal's inputs: their values before anyone touched them, values filled in for seeding and
tests, and what Slack's own client refuses before anything is sent."""

from __future__ import annotations

import copy
from typing import Any

from fakeslack.payloads import MULTI_OPTION_INPUTS, ONE_OPTION_INPUTS, input_state


def _initial_answer(element: dict[str, Any]) -> Any:
    kind = element["type"]
    if kind in MULTI_OPTION_INPUTS:
        return copy.deepcopy(element.get("initial_options") or [])
    if kind in ONE_OPTION_INPUTS:
        return copy.deepcopy(element.get("initial_option"))
    for key in (
        "initial_value",
        "initial_date",
        "initial_time",
        "initial_date_time",
        "initial_conversation",
        "initial_channel",
        "initial_user",
        "initial_conversations",
        "initial_channels",
        "initial_users",
    ):
        if key in element:
            return copy.deepcopy(element[key])
    return None


def initial_state(view: dict[str, Any]) -> dict[str, Any]:
    """`state.values` of a view nobody touched: each input holding its initial value."""
    values: dict[str, Any] = {}
    for block in view.get("blocks") or []:
        element = block.get("element") if block.get("type") == "input" else None
        if isinstance(element, dict) and element.get("action_id"):
            values[block["block_id"]] = {element["action_id"]: input_state(element, _initial_answer(element))}
    return values


def fill(view: dict[str, Any], answers: dict[str, Any], *, by_text: bool = False) -> dict[str, Any]:
    """`state.values` for `view` with `answers` by action_id: plain values (a string, a list of
    user ids, a Unix time), option values or (by_text) option texts. For seeding and tests."""
    values = initial_state(view)
    for block in view.get("blocks") or []:
        element = block.get("element") if block.get("type") == "input" else None
        if not isinstance(element, dict) or element.get("action_id") not in answers:
            continue
        answer = answers[element["action_id"]]
        options = element.get("options") or [o for g in element.get("option_groups") or [] for o in g["options"]]

        def option(wanted):
            for o in options:  # noqa: B023 (called within this pass)
                if o["value"] == wanted or (by_text and o["text"]["text"] == wanted):
                    return copy.deepcopy(o)
            return {"text": {"type": "plain_text", "text": str(wanted), "emoji": True}, "value": str(wanted)}

        if element["type"] in MULTI_OPTION_INPUTS:
            answer = [option(a) for a in answer]
        elif element["type"] in ONE_OPTION_INPUTS:
            answer = option(answer)
        values[block["block_id"]] = {element["action_id"]: input_state(element, answer)}
    return values


def _empty(state: dict[str, Any]) -> bool:
    for key, value in state.items():
        if key != "type" and key != "timezone" and value not in (None, "", [], {}):
            return False
    return True


def client_errors(view: dict[str, Any], values: dict[str, Any]) -> dict[str, str]:
    """What Slack's own client refuses before anything is sent: empty required inputs, text too
    short or long, numbers out of range."""
    errors: dict[str, str] = {}
    for block in view.get("blocks") or []:
        element = block.get("element") if block.get("type") == "input" else None
        if not isinstance(element, dict):
            continue
        state = (values.get(block["block_id"]) or {}).get(element.get("action_id")) or {}
        if _empty(state):
            if not block.get("optional"):
                errors[block["block_id"]] = "Please complete this required field."
            continue
        value = state.get("value")
        if element["type"] == "plain_text_input" and isinstance(value, str):
            if element.get("max_length") and len(value) > int(element["max_length"]):
                errors[block["block_id"]] = f"Must be {element['max_length']} characters or fewer."
            elif element.get("min_length") and len(value) < int(element["min_length"]):
                errors[block["block_id"]] = f"Must be at least {element['min_length']} characters."
        elif element["type"] == "number_input":
            try:
                number = float(value)
                if not element.get("is_decimal_allowed") and not float(number).is_integer():
                    raise ValueError
            except (TypeError, ValueError):
                errors[block["block_id"]] = (
                    "Enter a whole number." if not element.get("is_decimal_allowed") else "Enter a number."
                )
                continue
            low, high = element.get("min_value"), element.get("max_value")
            if (low is not None and number < float(low)) or (high is not None and number > float(high)):
                errors[block["block_id"]] = f"Enter a number between {low} and {high}."
    return errors
