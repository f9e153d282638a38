"""Helpers every feature's listeners share: whose workspace a request comes from, text and ids
from outside made safe before any listener reads them, and a failure after the ack told to the
person instead of lost. No feature owns this module."""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from typing import Any

from slack_bolt import BoltContext

from core.markup import without_controls

log = logging.getLogger(__name__)


def strip_controls(body: dict, next) -> None:
    """A global middleware, first of all: every string a request carries (a command's text, a
    message's, a form's values, a picker's typed words) without control characters other than tabs
    and line breaks (`core.markup.without_controls`), whichever database stores it, in HTTP and
    Socket Mode alike."""
    _without_controls(body)
    next()


def _without_controls(data: Any) -> Any:
    """`data` (parsed JSON) with each of its strings cleaned, in place."""
    if isinstance(data, str):
        return without_controls(data)
    if isinstance(data, dict):
        for key, value in data.items():
            data[key] = _without_controls(value)
    elif isinstance(data, list):
        for n, value in enumerate(data):
            data[n] = _without_controls(value)
    return data


# Ids from outside (a button's value, a form's metadata, a word after a command) are checked here,
# before they reach a query: a row's id is an INTEGER, whose largest value on PostgreSQL is this
# (SQLite's goes to 2^63-1); a number beyond it would fail the query, not find nothing.
MAX_ID = 2**31 - 1


def parse_number(value: Any, low: int, high: int) -> int | None:
    """A whole number from outside, in ASCII digits (or a JSON integer), from `low` to `high`;
    anything else (junk, "²", "1e3", a fraction, a huge number) is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)):
            return None
        number = int(text)
    else:
        return None
    return number if low <= number <= high else None


def parse_id(value: Any) -> int | None:
    """A row's id from outside: a whole number from 1 to MAX_ID, else None."""
    return parse_number(value, 1, MAX_ID)


def json_object(text: Any) -> dict:
    """A button's value or a view's private_metadata read as a JSON object; {} when it is not one."""
    try:
        data = json.loads(text) if isinstance(text, str) and text else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def not_valid(what: str, instead: str) -> str:
    """What a person is told when something they sent points nowhere: "Sorry, that {what} isn't
    valid." and what to do instead."""
    return f"Sorry, that {what} isn't valid. {instead}".strip()


# What to do instead of a button that is not valid (one edited, or from a message long gone).
FRESH_BUTTON = "Use the buttons on Knowhow's latest message, or run the command again."


def tell_not_valid(respond, what: str = "button", instead: str = FRESH_BUTTON) -> None:
    """Say privately, where the click was, that what it carried is not valid."""
    log.warning("a %s carried a value it should not have", what)
    respond(response_type="ephemeral", replace_original=False, text=not_valid(what, instead))


def team_of(context: BoltContext, body: dict) -> str:
    """The workspace a request comes from: as `bot.tenancy` worked it out (the installation's, in a
    shared channel or under an org-wide install), else Bolt's context, else the payload's own field."""
    return context.get("workspace_id") or context.team_id or body.get("team_id") or (body.get("team") or {}).get("id")


@contextmanager
def said_on_failure(respond, what: str = "that"):
    """Around a click handled after its ack: a failure is told privately, never silent."""
    try:
        yield
    except Exception:
        log.exception("handling a click failed")
        try:
            respond(
                response_type="ephemeral",
                replace_original=False,
                text=f"Sorry, {what} could not be done just now. Please try again in a minute.",
            )
        except Exception:
            log.exception("could not say so either")
