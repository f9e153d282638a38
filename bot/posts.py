"""A question's post in the Q&A channel: rendered from what is stored, and kept up to date.

The post shows the question's state (open, answered, resolved with a link to the accepted
answer). When the state changes, `core.accepting.sync_shown_state` gives a new version and one
`chat.update` is queued for it; the sender renders whatever is stored when it runs, so a late
or repeated update can only show the current state.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import blocks
from bot.outbox import SendContext
from core import accepting
from core import topics as topic_rules
from notify import kinds
from storage import outbox, qa
from storage.db import session_scope
from storage.models import Question
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

QUESTION_METADATA = "knowhow_question"


def metadata(question_id: int) -> dict:
    return {"event_type": QUESTION_METADATA, "event_payload": {"question_id": question_id}}


def content(session: Session, question: Question, *, accepted_link: str | None = None) -> dict:
    """The keyword arguments of `blocks.question_post` for a stored question."""
    accepted = accepting.accepted_answer(session, team_id=question.team_id, question_id=question.id)
    return dict(
        asker_id=question.asker_id,
        text=question.text,
        question_id=question.id,
        anonymous=question.anonymous,
        details=question.details,
        topics=[t.name for t in topic_rules.of_question(session, team_id=question.team_id, question_id=question.id)],
        state=accepting.state_of(session, question).value if question.status == "posted" else "open",
        accepted_author=accepted.author_id if accepted else None,
        accepted_link=accepted_link,
    )


def queue_refresh(session: Session, *, team_id: str, question_id: int, version: int | None) -> bool:
    """Queue the chat.update for a new post version (None: nothing changed)."""
    if version is None:
        return False
    outbox.enqueue(
        session,
        team_id=team_id,
        dedupe_key=f"question:{question_id}:post-v{version}",
        kind=kinds.OUTBOX_REFRESH_POST,
        payload={"question_id": question_id},
    )
    question = session.get(Question, question_id)
    if question is not None:  # the asker's App Home shows the question's state
        refresh_home(session, team_id, question.asker_id)
    return True


def refresh_home(session: Session, team_id: str, user_id: str) -> None:
    """Queue a new App Home for someone whose questions changed."""
    from bot.listeners import home  # home renders with the listeners' helpers, which import posts

    home.queue_refresh(session, team_id, user_id)


def sync(session: Session, *, team_id: str, question_id: int) -> bool:
    """After answers changed: queue an update of the post if its state changed."""
    version = accepting.sync_shown_state(session, team_id=team_id, question_id=question_id)
    return queue_refresh(session, team_id=team_id, question_id=question_id, version=version)


# Errors that mean the post cannot be updated any more (deleted, or its channel is gone).
GONE = {"message_not_found", "cant_update_message", "channel_not_found", "is_archived", "not_in_channel"}


def permalink(ctx: SendContext, channel_id: str, ts: str) -> str | None:
    """A link to a message, or None when Slack will not give one (the message says what it can
    without it). Rate limits and outages are raised, for the outbox to retry."""
    try:
        return ctx.client.chat_getPermalink(channel=channel_id, message_ts=ts)["permalink"]
    except SlackApiError as exc:
        if exc.response.status_code == 429 or exc.response.status_code >= 500:
            raise
        return None


class RefreshPost:
    def send(self, ctx: SendContext, item: OutboxItem):
        with session_scope(ctx.engine) as session:
            question = qa.get_question(session, team_id=item.team_id, question_id=item.payload["question_id"])
            if question is None or question.message_ts is None:
                return None
            accepted = accepting.accepted_answer(session, team_id=item.team_id, question_id=question.id)
            link = permalink(ctx, question.channel_id, accepted.message_ts) if accepted else None
            message = blocks.question_post(**content(session, question, accepted_link=link))
        for option in ("unfurl_links", "unfurl_media"):  # chat.update takes neither
            message.pop(option, None)
        try:
            ctx.client.chat_update(
                channel=question.channel_id, ts=question.message_ts, metadata=metadata(question.id), **message
            )
        except SlackApiError as exc:
            error = (exc.response.data or {}).get("error")
            if error not in GONE:
                raise
            log.info("question %s: its post can no longer be updated (%s)", question.id, error)
        return None

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        pass


def post_joining(ctx: SendContext, channel: str, message: dict, **extra) -> dict:
    """Post in a public channel, joining it first if Knowhow is not in it yet."""
    try:
        return ctx.client.chat_postMessage(channel=channel, **message, **extra)
    except SlackApiError as exc:
        if (exc.response.data or {}).get("error") != "not_in_channel":
            raise
        ctx.client.conversations_join(channel=channel)
        return ctx.client.chat_postMessage(channel=channel, **message, **extra)


def update_message(ctx: SendContext, channel: str, ts: str | None, message: dict) -> None:
    """Update one of Knowhow's posts in place; a post that is gone is left alone."""
    if not ts:
        return
    message = {k: v for k, v in message.items() if k not in ("unfurl_links", "unfurl_media")}
    try:
        ctx.client.chat_update(channel=channel, ts=ts, **message)
    except SlackApiError as exc:
        if (exc.response.data or {}).get("error") not in (
            "message_not_found",
            "cant_update_message",
            "channel_not_found",
        ):
            raise
