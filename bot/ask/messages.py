"""Message events in channels the bot is in: replies in a question's thread are its answers
(kept as they are edited and deleted), and top-level messages in a channel where an expert
session is open are the session's questions."""

from __future__ import annotations

from slack_bolt import App, BoltContext

from bot.deps import Deps
from bot.edge import team_of
from core import asking
from core.clock import from_slack_ts
from notify import ask as notify_ask
from notify import sessions as notify_sessions
from storage.db import session_scope

# Message subtypes that are a person's new message (anything else is an edit, a join, a bot...).
NEW_MESSAGE_SUBTYPES = {None, "thread_broadcast", "file_share"}


class ReplyTooEarly(RuntimeError):
    """A thread reply that may belong to a question whose post is not recorded yet."""


def handle_message_event(deps: Deps, event: dict, body: dict, context: BoltContext) -> None:
    """Thread replies, edits and deletions in channels the bot is in; top-level messages in a
    channel where an expert session is open (its questions)."""
    team_id = team_of(context, body)
    channel_id = event.get("channel")
    subtype = event.get("subtype")
    thread_ts = None
    changed = False
    with session_scope(deps.engine) as session:
        if subtype in NEW_MESSAGE_SUBTYPES:
            if _is_top_level_by_person(event) and event.get("channel_type") in ("channel", "group", None):
                changed = notify_sessions.top_level_message(
                    session,
                    team_id=team_id,
                    channel_id=event["channel"],
                    message_ts=event["ts"],
                    user_id=event["user"],
                    text=event.get("text") or "",
                    at=from_slack_ts(event["ts"]),
                )
            elif _is_reply_by_person(event):
                thread_ts = event["thread_ts"]
                outcome = asking.record_reply(
                    session,
                    team_id=team_id,
                    channel_id=channel_id,
                    thread_ts=event["thread_ts"],
                    message_ts=event["ts"],
                    author_id=event["user"],
                    text=event.get("text") or "",
                    at=from_slack_ts(event["ts"]),
                )
                if outcome is asking.ReplyOutcome.NOT_A_QUESTION and asking.post_in_flight(
                    session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts
                ):
                    # Slack delivered the reply before Knowhow heard back from the post it
                    # replies to: not acked, so Slack delivers it again (the retry finds it).
                    raise ReplyTooEarly(f"a reply to {thread_ts} in {channel_id} came before its post was recorded")
        elif subtype == "message_changed":
            message = event.get("message") or {}
            if _is_reply_by_person(message):
                thread_ts = message["thread_ts"]
                asking.edit_reply(
                    session,
                    team_id=team_id,
                    channel_id=channel_id,
                    thread_ts=message["thread_ts"],
                    message_ts=message["ts"],
                    author_id=message["user"],
                    text=message.get("text") or "",
                    edited_ts=(message.get("edited") or {}).get("ts") or event.get("event_ts") or message["ts"],
                )
        elif subtype == "message_deleted":
            previous = event.get("previous_message") or {}
            deleted_ts = event.get("deleted_ts") or previous.get("ts")
            if previous.get("thread_ts") and deleted_ts and previous["thread_ts"] != deleted_ts:
                thread_ts = previous["thread_ts"]
                asking.delete_reply(
                    session,
                    team_id=team_id,
                    channel_id=channel_id,
                    thread_ts=thread_ts,
                    message_ts=deleted_ts,
                    author_id=previous.get("user"),
                )
        if thread_ts:
            changed = notify_ask.thread_changed(session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)
    if changed:
        deps.wake_outbox()


def _is_top_level_by_person(message: dict) -> bool:
    return bool(
        message.get("ts")
        and message.get("thread_ts") in (None, message.get("ts"))
        and message.get("user")
        and not message.get("bot_id")
        and message.get("subtype") in (None, "file_share")  # a question with a screenshot is a question
    )


def _is_reply_by_person(message: dict) -> bool:
    thread_ts = message.get("thread_ts")
    return bool(
        thread_ts
        and message.get("ts")
        and thread_ts != message.get("ts")
        and message.get("user")
        and not message.get("bot_id")
        and message.get("subtype") != "bot_message"
    )


def register(app: App, deps: Deps) -> None:
    @app.event("message")
    def message_event(event, body, context):
        handle_message_event(deps, event, body, context)
