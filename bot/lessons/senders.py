"""What is read from Slack once a thread was saved as a lesson: its permalink (the lesson's link in
search results and suggestions) and the thread's other replies (its other answers)."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import delivery
from bot.outbox import OutboxItem, SendContext, Sender
from core import asking, saving
from notify import kinds

log = logging.getLogger(__name__)

REPLIES_READ = 200  # a thread's replies read for its other answers: one page


def thread_messages(messages: list[dict]) -> list[saving.ThreadMessage]:
    """conversations.replies' messages as core.saving reads them (a bot's or an app's has no author)."""
    return [
        saving.ThreadMessage(
            ts=str(m.get("ts") or ""),
            user="" if m.get("bot_id") or m.get("subtype") == "bot_message" else str(m.get("user") or ""),
            text=str(m.get("text") or ""),
        )
        for m in messages
        if m.get("ts")
    ]


def read_thread(client, channel_id: str, thread_ts: str) -> list[saving.ThreadMessage] | None:
    """The thread (its first message, then the replies), or None when Slack will not let Knowhow
    read it (not in the conversation, a DM between other people, a missing scope)."""
    try:
        response = client.conversations_replies(channel=channel_id, ts=thread_ts, limit=REPLIES_READ)
    except SlackApiError as exc:
        if exc.response.status_code == 429 or exc.response.status_code >= 500:
            raise
        log.info("conversations.replies %s: %s; the lesson keeps what was saved", channel_id, delivery.error_of(exc))
        return None
    return thread_messages(response.get("messages") or [])


class CompleteLesson(Sender):
    def send(self, ctx: SendContext, item: OutboxItem):
        p = item.payload
        link = delivery.permalink(ctx, p["channel_id"], p["thread_ts"]) if p.get("link") else None
        thread = read_thread(ctx.client, p["channel_id"], p["thread_ts"]) or []
        replies = [m for m in thread if m.ts != p["thread_ts"]]

        def record(session: Session) -> None:
            if link:
                asking.record_permalink(session, team_id=item.team_id, question_id=p["question_id"], permalink=link)
            saving.add_replies(session, team_id=item.team_id, question_id=p["question_id"], replies=replies)

        return record


SENDERS = {kinds.OUTBOX_LESSON_COMPLETE: CompleteLesson()}
