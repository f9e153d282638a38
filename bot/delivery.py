"""Slack calls every feature's senders share: post in a channel (joining it first), update a
post that may be gone, link to a message. Rate limits and outages are raised for the outbox to
retry; what can never work is raised as `PermanentError`."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.outbox import PermanentError, SendContext

log = logging.getLogger(__name__)

# Slack's answers that mean a post can no longer be updated: deleted, or its channel is gone.
GONE = frozenset({"message_not_found", "cant_update_message", "channel_not_found", "is_archived", "not_in_channel"})
# Slack's answers to conversations.join that no retry will change.
CANNOT_JOIN = frozenset({"method_not_supported_for_channel_type", "is_private", "channel_not_found", "is_archived"})
# chat.update takes neither.
_NOT_FOR_UPDATE = ("unfurl_links", "unfurl_media")


def error_of(exc: SlackApiError) -> str | None:
    data = exc.response.data
    return data.get("error") if isinstance(data, dict) else None


def join(ctx: SendContext, channel: str) -> None:
    """Join a public channel Knowhow must post in."""
    try:
        ctx.client.conversations_join(channel=channel)
    except SlackApiError as exc:
        error = error_of(exc)
        if error in CANNOT_JOIN:
            raise PermanentError(
                f"the bot is not in <#{channel}> and cannot join it by itself ({error})", error
            ) from exc
        raise


def post_joining(ctx: SendContext, channel: str, message: dict, **extra) -> dict:
    """Post in a public channel, joining it first if Knowhow is not in it yet."""
    try:
        return ctx.client.chat_postMessage(channel=channel, **message, **extra)
    except SlackApiError as exc:
        if error_of(exc) != "not_in_channel":
            raise
    join(ctx, channel)
    return ctx.client.chat_postMessage(channel=channel, **message, **extra)


def update_message(ctx: SendContext, channel: str, ts: str | None, message: dict, **extra) -> bool:
    """Update one of Knowhow's posts in place. False when there is none or it is gone (left alone)."""
    if not ts:
        return False
    message = {k: v for k, v in message.items() if k not in _NOT_FOR_UPDATE}
    try:
        ctx.client.chat_update(channel=channel, ts=ts, **message, **extra)
    except SlackApiError as exc:
        error = error_of(exc)
        if error not in GONE:
            raise
        log.info("the post %s in %s can no longer be updated (%s)", ts, channel, error)
        return False
    return True


def permalink(ctx: SendContext, channel_id: str, ts: str) -> str | None:
    """A link to a message, or None when Slack will not give one (the message says what it can
    without it). Rate limits and outages are raised, for the outbox to retry."""
    try:
        return ctx.client.chat_getPermalink(channel=channel_id, message_ts=ts)["permalink"]
    except SlackApiError as exc:
        if exc.response.status_code == 429 or exc.response.status_code >= 500:
            raise
        return None
