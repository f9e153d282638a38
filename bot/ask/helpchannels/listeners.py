"""Help channels' listeners: the choices on a suggestion, and checkmarks (`reaction_added`). Each
stores the request (`notify.queue_work`) and acks; the work is done after the ack (senders.py).
Top-level messages reach help channels through the message events of bot/ask/messages.py."""

from __future__ import annotations

import json
import logging
import time

from slack_bolt import Ack, App, BoltContext

from bot import ids
from bot.deps import Deps
from bot.edge import team_of
from core import helpchannels
from notify import kinds, queue_work

log = logging.getLogger(__name__)

CHOICES = {
    ids.HELP_ANSWERS_IT: helpchannels.Choice.ANSWERS_IT,
    ids.HELP_NOT_QUITE: helpchannels.Choice.NOT_QUITE,
    ids.HELP_STOP: helpchannels.Choice.STOP,
}


def handle_choice(deps: Deps, ack: Ack, body: dict, context: BoltContext) -> None:
    action = body["actions"][0]
    try:
        value = json.loads(action["value"])
        channel_id, thread_ts = str(value["c"]), str(value["t"])
        lesson_id = int(value["by"]) if value.get("by") is not None else None
    except (KeyError, TypeError, ValueError):
        ack()
        log.warning("help channel: a suggestion button carried a value it should not have")
        return
    try:
        queue_work(
            deps.engine,
            team_of(context, body),
            f"help-choice:{channel_id}:{thread_ts}:{body.get('trigger_id') or action.get('action_ts')}",
            kinds.WORK_HELP_CHOICE,
            channel_id=channel_id,
            thread_ts=thread_ts,
            user_id=body["user"]["id"],
            choice=CHOICES[action["action_id"]].value,
            lesson_id=lesson_id,
            response_url=body.get("response_url"),
            requested_at=time.time(),
        )
    except Exception:
        log.exception("help channel: could not store a choice")
    ack()
    deps.wake_work()


def worth_keeping(event: dict) -> bool:
    """A checkmark a person added to a message (decided from the event alone, before the ack)."""
    item = event.get("item") or {}
    return bool(
        event.get("reaction") in helpchannels.CHECKMARKS
        and item.get("type") == "message"
        and item.get("channel")
        and item.get("ts")
        and event.get("user")
    )


def handle_reaction(deps: Deps, event: dict, body: dict, context: BoltContext) -> None:
    if not worth_keeping(event):
        return
    item = event["item"]
    key = f"event:{body.get('event_id') or event.get('event_ts')}"
    if queue_work(
        deps.engine,
        team_of(context, body),
        key,
        kinds.WORK_HELP_REACTION,
        channel_id=item["channel"],
        item_ts=item["ts"],
        user_id=event["user"],
    ):
        deps.wake_work()


def register(app: App, deps: Deps) -> None:
    for action_id in CHOICES:

        @app.action(action_id)
        def choice(ack, body, context):
            handle_choice(deps, ack, body, context)

    @app.event("reaction_added")
    def reaction_added(event, body, context):
        handle_reaction(deps, event, body, context)
