"""Message events in channels the bot is in: replies in a question's thread are its answers
(kept as they are edited and deleted), top-level messages in a channel where an expert session
is open are the session's questions, and those in a help channel that ask are looked up against
earlier lessons (core.helpchannels)."""

from __future__ import annotations

from datetime import timedelta

from slack_bolt import App, BoltContext
from sqlmodel import Session

from bot.deps import Deps
from bot.edge import team_of
from bot.outbox import Retry, SendContext, Work
from core import asking
from core.clock import from_slack_ts
from notify import ask as notify_ask
from notify import helpchannels as notify_help
from notify import kinds, queue_work
from notify import sessions as notify_sessions
from storage import channels
from storage.outbox import OutboxItem

# Message subtypes that are a person's new message (anything else is an edit, a join, a bot...).
NEW_MESSAGE_SUBTYPES = {None, "thread_broadcast", "file_share"}


class ReplyTooEarly(Retry):
    """A reply (or its edit or deletion) that may belong to a question whose post is not recorded
    yet: done again when the post's ts is likely stored, soon at first (2 s, 4 s…), then at most
    every minute while the post itself waits for Slack."""

    def __init__(self, reason: str, attempts: int = 1):
        super().__init__(reason, min(REPLY_TOO_EARLY_RETRY * 2 ** max(attempts - 1, 0), REPLY_TOO_EARLY_MAX))


REPLY_TOO_EARLY_RETRY = timedelta(seconds=2)
REPLY_TOO_EARLY_MAX = timedelta(minutes=1)


def worth_keeping(event: dict) -> bool:
    """Could this message event change anything? Decided from the event alone, before the ack:
    a person's new top-level message (a session's question, if one is open there), a person's
    reply, or an edit or deletion of a reply. Bots' messages, joins and the like are not kept."""
    subtype = event.get("subtype")
    if subtype in NEW_MESSAGE_SUBTYPES:
        return (
            _is_top_level_by_person(event) and event.get("channel_type") in ("channel", "group", None)
        ) or _is_reply_by_person(event)
    if subtype == "message_changed":
        return _is_reply_by_person(event.get("message") or {})
    if subtype == "message_deleted":
        previous = event.get("previous_message") or {}
        deleted_ts = event.get("deleted_ts") or previous.get("ts")
        return bool(previous.get("thread_ts") and deleted_ts and previous["thread_ts"] != deleted_ts)
    return False


def handle_message_event(deps: Deps, event: dict, body: dict, context: BoltContext) -> None:
    """The ack path: keep the event (once per event_id: Slack's retries find it) for the work
    worker, which applies it (`ApplyMessage`)."""
    if not worth_keeping(event):
        return
    team_id = team_of(context, body)
    key = f"event:{body.get('event_id') or event.get('event_ts') or event.get('ts')}"
    if queue_work(deps.engine, team_id, key, kinds.WORK_MESSAGE, event=event):
        deps.wake_work()


def apply_message_event(session: Session, team_id: str, event: dict, attempts: int = 1) -> bool:
    """Thread replies, edits and deletions in channels the bot is in; top-level messages in a
    channel where an expert session is open (its questions). Whether something was queued."""
    channel_id = event.get("channel")
    subtype = event.get("subtype")
    thread_ts = None
    outcome = None
    changed = False
    # Whether the conversation is private decides who may find its questions (storage.channels).
    channels.record_type(session, team_id=team_id, channel_id=channel_id or "", channel_type=event.get("channel_type"))
    in_thread = _thread_of(event)
    if in_thread and channel_id:
        # A channel several workspaces of the organisation share: the thread is its question's workspace's.
        team_id = asking.thread_workspace(session, team_id=team_id, channel_id=channel_id, thread_ts=in_thread)
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
            # In a help channel, a question gets earlier lessons privately (core.helpchannels).
            changed = (
                notify_help.top_level_message(
                    session,
                    team_id=team_id,
                    channel_id=event["channel"],
                    message_ts=event["ts"],
                    user_id=event["user"],
                    text=event.get("text") or "",
                )
                or changed
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
                # Slack delivered the reply before Knowhow heard back from the post it replies to.
                raise ReplyTooEarly(
                    f"a reply to {thread_ts} in {channel_id} came before its post was recorded", attempts
                )
    elif subtype == "message_changed":
        message = event.get("message") or {}
        if _is_reply_by_person(message):
            thread_ts = message["thread_ts"]
            outcome = asking.edit_reply(
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
            outcome = asking.delete_reply(
                session,
                team_id=team_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
                message_ts=deleted_ts,
                author_id=previous.get("user"),
            )
    changed_early = (
        subtype in ("message_changed", "message_deleted")
        and thread_ts
        and outcome is asking.ReplyOutcome.NOT_A_QUESTION
        and asking.post_in_flight(session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)
    )
    if changed_early:  # an edit or deletion of a reply to a question whose post is not recorded yet
        raise ReplyTooEarly(f"a change in {thread_ts} in {channel_id} came before its post was recorded", attempts)
    if thread_ts:
        changed = notify_ask.thread_changed(session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)
    return changed


class ApplyMessage(Work):
    """A kept message event, applied after its ack."""

    def do(self, ctx: SendContext, session: Session, item: OutboxItem) -> None:
        apply_message_event(session, item.team_id, item.payload["event"], item.attempts)


SENDERS = {kinds.WORK_MESSAGE: ApplyMessage()}


def _thread_of(event: dict) -> str | None:
    """The thread a reply, or a reply's edit or deletion, is in (None for anything else)."""
    message = event.get("message") or event.get("previous_message") or event
    thread_ts = message.get("thread_ts")
    return thread_ts if thread_ts and thread_ts != message.get("ts") else None


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
