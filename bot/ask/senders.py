"""/ask's outbox senders: post a question, confirm it to the asker (or say why it failed), raise
an unanswered one again, and invite likely helpers into its thread."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient
from sqlmodel import Session

from bot import delivery
from bot.ask import blocks, post
from bot.outbox import Retry, SendContext, Sender
from core import asking, expertise
from core import topics as topic_rules
from notify import ask as notify_ask
from notify import kinds
from storage import channels, qa
from storage.db import session_scope
from storage.erasure import FORMER_MEMBER
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

# Slack accepts posts to a response_url for 30 minutes; after that, say it by direct message.
RESPONSE_URL_TTL_SECONDS = 25 * 60


def _load_question(ctx: SendContext, item: OutboxItem):
    with session_scope(ctx.engine) as session:
        return qa.get_question(session, team_id=item.team_id, question_id=item.payload["question_id"])


def _already_posted(ctx: SendContext, question) -> tuple[str, str] | None:
    """The question's post, if an earlier attempt got it into Slack without hearing back.

    Each post carries message metadata naming its question, so a retry can look before it
    posts again: the answer to a post can be lost after Slack took it (a timeout, a reset).
    """
    oldest = f"{question.created_at.timestamp() - 60:.6f}"
    try:
        pages = ctx.client.conversations_history(
            channel=question.channel_id, oldest=oldest, include_all_metadata=True, limit=200
        )
    except SlackApiError as exc:
        if delivery.error_of(exc) in ("not_in_channel", "channel_not_found"):
            return None
        raise
    for message in pages.get("messages", []):
        metadata = message.get("metadata") or {}
        if (
            metadata.get("event_type") == post.QUESTION_METADATA
            and (metadata.get("event_payload") or {}).get("question_id") == question.id
        ):
            return question.channel_id, message["ts"]
    return None


class PostQuestion(Sender):
    """Post the question in its channel; then queue the private confirmation with its link."""

    def send(self, ctx: SendContext, item: OutboxItem):
        question = _load_question(ctx, item)
        if question is None or question.status != "pending":
            return None  # already posted by an earlier attempt, or gone
        found = _already_posted(ctx, question) if item.attempts > 1 else None
        if found is None:
            found = self._post(ctx, question)
        channel_id, ts = found
        private = _channel_privacy(ctx, item.team_id, channel_id)

        def record(session: Session) -> None:
            if private is not None:
                channels.record(session, team_id=item.team_id, channel_id=channel_id, private=private)
            if asking.mark_posted(
                session, team_id=item.team_id, question_id=question.id, channel_id=channel_id, message_ts=ts
            ):
                notify_ask.posted(
                    session,
                    team_id=item.team_id,
                    question_id=question.id,
                    asker_id=question.asker_id,
                    request=item.payload,
                    invitations_per_day=ctx.settings.invitations_per_day,
                )

        return record

    @staticmethod
    def _post(ctx: SendContext, question) -> tuple[str, str]:
        with session_scope(ctx.engine) as session:
            message = blocks.question_post(**post.content(session, question))
        response = delivery.post_joining(ctx, question.channel_id, message, metadata=post.metadata(question.id))
        return response["channel"], response["ts"]

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        question_id = item.payload["question_id"]
        if asking.mark_failed(session, team_id=item.team_id, question_id=question_id):
            notify_ask.post_failed(
                session, team_id=item.team_id, question_id=question_id, request=item.payload, reason=reason
            )


def _channel_privacy(ctx: SendContext, team_id: str, channel_id: str) -> bool | None:
    """Is the conversation a question was posted in private (storage.channels)? Asked of Slack when
    Knowhow has not asked for a while; None when it need not ask, or Slack would not say (the
    conversation then keeps what was known, or counts as private)."""
    with session_scope(ctx.engine) as session:
        if not channels.needs_check(session, team_id=team_id, channel_id=channel_id):
            return None
    try:
        info = ctx.client.conversations_info(channel=channel_id).get("channel") or {}
    except SlackApiError as exc:
        log.warning(
            "conversations.info %s failed (%s): its questions count as private", channel_id, delivery.error_of(exc)
        )
        return None
    return channels.private_in_slack(info)


def tell_asker(
    ctx: SendContext, item: OutboxItem, asker_id: str, message: dict, *, replace_original: bool = True
) -> None:
    """Say something privately to the person who asked: through the command's response_url while
    Slack still accepts it (it replaces the "Got it…" note), else by direct message."""
    response_url = item.payload.get("response_url")
    requested_at = item.payload.get("requested_at") or 0
    if item.payload.get("replace_original") is False:  # the /ask form's command left no message to replace
        replace_original = False
    if response_url and time.time() - requested_at < RESPONSE_URL_TTL_SECONDS:
        # No retry handlers: the outbox retries; slack-sdk's own retry could say it twice.
        response = WebhookClient(response_url, timeout=10, retry_handlers=[]).send(
            text=message["text"],
            blocks=message.get("blocks"),
            replace_original=replace_original,
            response_type="ephemeral",
        )
        if 200 <= response.status_code < 300:
            return
        if response.status_code == 429 or response.status_code >= 500:
            raise Retry(f"response_url answered HTTP {response.status_code}", timedelta(seconds=5))
        log.info("response_url answered %s; telling the asker by DM instead", response.status_code)
    ctx.client.chat_postMessage(channel=asker_id, **message)


class ConfirmQuestion(Sender):
    def send(self, ctx: SendContext, item: OutboxItem):
        question = _load_question(ctx, item)
        if question is None or question.message_ts is None:
            return None
        # The confirmation still helps without the link.
        permalink = delivery.permalink(ctx, question.channel_id, question.message_ts)
        tell_asker(
            ctx, item, question.asker_id, blocks.question_confirmed(channel_id=question.channel_id, permalink=permalink)
        )
        if permalink is None:
            return None
        return lambda session: asking.record_permalink(
            session, team_id=item.team_id, question_id=question.id, permalink=permalink
        )


class QuestionFailed(Sender):
    def send(self, ctx: SendContext, item: OutboxItem):
        question = _load_question(ctx, item)
        if question is None:
            return None
        message = blocks.question_failed(
            channel_id=question.channel_id, reason=item.payload["reason"], text=question.text
        )
        tell_asker(ctx, item, question.asker_id, message)
        return None


def _unanswered(ctx: SendContext, item: OutboxItem):
    """The question, while it is posted and still has no live answer (else None: say nothing)."""
    with session_scope(ctx.engine) as session:
        question = qa.get_question(session, team_id=item.team_id, question_id=item.payload["question_id"])
        if question is None or question.message_ts is None:
            return None
        if qa.list_answers(session, team_id=item.team_id, question_id=question.id):
            return None
        return question


class FollowUpThread(Sender):
    def send(self, ctx: SendContext, item: OutboxItem):
        question = _unanswered(ctx, item)
        if question is not None:
            ctx.client.chat_postMessage(
                channel=question.channel_id,
                thread_ts=question.message_ts,
                reply_broadcast=True,
                **blocks.follow_up_in_thread(),
            )
        return None


class FollowUpAsker(Sender):
    def send(self, ctx: SendContext, item: OutboxItem):
        question = _unanswered(ctx, item)
        if question is not None and question.asker_id != FORMER_MEMBER:  # nobody to tell: they left
            message = blocks.follow_up_to_asker(channel_id=question.channel_id, permalink=question.permalink)
            ctx.client.chat_postMessage(channel=question.asker_id, **message)
        return None


class TellHeldExpired(Sender):
    def send(self, ctx: SendContext, item: OutboxItem):
        question = _load_question(ctx, item)
        if question is not None and question.status == "expired":
            ctx.client.chat_postMessage(channel=question.asker_id, **blocks.held_expired(question.text))
        return None


class InviteHelpers(Sender):
    """Mention up to three likely helpers in a new question's thread (never by DM). Who is
    invited is chosen and recorded once; a retry mentions the same people."""

    def send(self, ctx: SendContext, item: OutboxItem):
        question_id = item.payload["question_id"]
        with session_scope(ctx.engine) as session:
            question = qa.get_question(session, team_id=item.team_id, question_id=question_id)
            if question is None or question.message_ts is None:
                return None
            invited = expertise.invited(session, team_id=item.team_id, question_id=question_id)
            if not invited:
                if qa.list_answers(session, team_id=item.team_id, question_id=question_id):
                    return None  # answered already: nobody needs calling
                chosen = expertise.helpers_for(
                    session, team_id=item.team_id, question_id=question_id, daily_limit=ctx.settings.invitations_per_day
                )
                invited = expertise.record_invitations(
                    session, team_id=item.team_id, question_id=question_id, user_ids=chosen
                )
            names = [t.name for t in topic_rules.of_question(session, team_id=item.team_id, question_id=question_id)]
        if invited:
            ctx.client.chat_postMessage(
                channel=question.channel_id,
                thread_ts=question.message_ts,
                **blocks.invite_helpers(user_ids=invited, topics=names),
            )
        return None


class LearnChannel(Sender):
    """Ask Slack whether a conversation that holds questions is private (queued by migration 0011
    for every conversation questions were posted in before Knowhow kept track). Until it is
    known, its questions are found only from the conversation itself (storage.channels)."""

    def send(self, ctx: SendContext, item: OutboxItem):
        channel_id = item.payload["channel_id"]
        try:
            info = ctx.client.conversations_info(channel=channel_id).get("channel") or {}
        except SlackApiError as exc:
            if exc.response.status_code == 429 or exc.response.status_code >= 500:
                raise
            log.info("conversations.info %s: %s; its questions stay private", channel_id, delivery.error_of(exc))
            return None
        private = channels.private_in_slack(info)
        return lambda session: channels.record(session, team_id=item.team_id, channel_id=channel_id, private=private)


SENDERS = {
    kinds.OUTBOX_CHANNEL_PRIVACY: LearnChannel(),
    kinds.OUTBOX_REFRESH_POST: post.RefreshPost(),
    kinds.OUTBOX_MARK_ACCEPTED: post.MarkAccepted(),
    kinds.OUTBOX_INVITE_HELPERS: InviteHelpers(),
    kinds.OUTBOX_POST_QUESTION: PostQuestion(),
    kinds.OUTBOX_CONFIRM_QUESTION: ConfirmQuestion(),
    kinds.OUTBOX_QUESTION_FAILED: QuestionFailed(),
    kinds.OUTBOX_FOLLOW_UP_THREAD: FollowUpThread(),
    kinds.OUTBOX_FOLLOW_UP_ASKER: FollowUpAsker(),
    kinds.OUTBOX_HELD_EXPIRED: TellHeldExpired(),
}
