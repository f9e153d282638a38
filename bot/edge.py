"""Helpers every feature's listeners share: whose workspace a request comes from, and a failure
after the ack told to the person instead of lost. No feature owns this module."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from slack_bolt import BoltContext

log = logging.getLogger(__name__)


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
