"""Help channels after the ack: earlier lessons looked up for a question and shown to its asker
(or nothing said), a choice's outcome, a checkmark read, and the offer to save a marked answer.
Each reads the thread from Slack (`conversations.replies`) when it needs it: Knowhow stores no
text of help-channel messages."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import delivery
from bot.ask.helpchannels import blocks
from bot.ask.senders import tell_asker
from bot.outbox import SendContext, Sender, Work
from core import helpchannels
from core.helpchannels import Chosen, Outcome
from notify import helpchannels as notify_help
from notify import kinds
from storage.db import session_scope
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

# The thread is gone, or Knowhow cannot read it (removed from the channel): there is nothing to do.
THREAD_GONE = frozenset({"thread_not_found", "message_not_found", "channel_not_found", "not_in_channel", "is_archived"})
# The asker cannot be shown an ephemeral message there (they left the channel, or are gone).
ASKER_GONE = frozenset({"user_not_in_channel", "user_not_found", "channel_not_found", "not_in_channel", "is_archived"})
MAX_READ = 100  # replies read to see whether a colleague answered first


def thread_messages(ctx: SendContext, channel_id: str, ts: str) -> list[dict] | None:
    """The thread `ts` is in, its parent first (None: it is gone, or Knowhow cannot read it)."""
    try:
        response = ctx.client.conversations_replies(channel=channel_id, ts=ts, limit=MAX_READ)
    except SlackApiError as exc:
        if delivery.error_of(exc) in THREAD_GONE:
            return None
        raise
    return list(response.get("messages") or [])


def _by_person(message: dict) -> bool:
    return bool(message.get("user")) and not message.get("bot_id") and message.get("subtype") != "bot_message"


class SuggestLessons(Sender):
    """A question in a help channel: unless a colleague already replied, earlier lessons that cover
    it are shown to its asker privately (an ephemeral message under it), or nothing is said."""

    def send(self, ctx: SendContext, item: OutboxItem):
        p = item.payload
        channel_id, thread_ts, asker_id = p["channel_id"], p["thread_ts"], p["asker_id"]
        where = dict(team_id=item.team_id, channel_id=channel_id, thread_ts=thread_ts)
        with session_scope(ctx.engine) as session:
            row = helpchannels.thread(session, **where)
            if row is None or row.state != "looking":
                return None  # decided before
        messages = thread_messages(ctx, channel_id, thread_ts)
        if not messages or messages[0].get("ts") != thread_ts:
            return self._record(where, Outcome.NOTHING)  # deleted meanwhile
        question = messages[0]
        if any(_by_person(m) and m.get("user") != asker_id for m in messages[1:]):
            return self._record(where, Outcome.ANSWERED)  # a colleague is on it: Knowhow keeps out
        with session_scope(ctx.engine) as session:
            decision = helpchannels.decide(
                session, team_id=item.team_id, channel_id=channel_id, text=question.get("text") or ""
            )
        if not decision.suggest:
            return self._record(where, Outcome.NOTHING)
        message = blocks.suggestion(channel_id=channel_id, thread_ts=thread_ts, lessons=decision.lessons)
        try:
            ctx.client.chat_postEphemeral(
                channel=channel_id, user=asker_id, text=message["text"], blocks=message["blocks"]
            )
        except SlackApiError as exc:
            if delivery.error_of(exc) not in ASKER_GONE:
                raise
            log.info("help channel: the asker cannot be shown suggestions (%s)", delivery.error_of(exc))
            return self._record(where, Outcome.NOTHING)
        return self._record(where, Outcome.SUGGESTED, [lesson.question_id for lesson in decision.lessons])

    @staticmethod
    def _record(where: dict, outcome: Outcome, lesson_ids: list[int] | None = None):
        return lambda session: helpchannels.record_outcome(
            session, **where, outcome=outcome, lesson_ids=lesson_ids or []
        )


class ApplyChoice(Work):
    """*This answers it*, *Not quite* or *Don't suggest to me* on a help-channel suggestion."""

    def do(self, ctx: SendContext, session: Session, item: OutboxItem) -> None:
        p = item.payload
        chosen = helpchannels.choose(
            session,
            team_id=item.team_id,
            channel_id=p["channel_id"],
            thread_ts=p["thread_ts"],
            user_id=p["user_id"],
            choice=helpchannels.Choice(p["choice"]),
            lesson_id=p.get("lesson_id"),
        )
        request = dict(user_id=p["user_id"], response_url=p.get("response_url"), requested_at=p.get("requested_at"))
        notify_help.chosen(session, team_id=item.team_id, key=item.dedupe_key, chosen=chosen, request=request)


class TellChosen(Sender):
    """What came of the choice: it replaces the suggestion (a refusal comes beside it)."""

    def send(self, ctx: SendContext, item: OutboxItem):
        chosen = Chosen(item.payload["chosen"])
        replaces = chosen in (Chosen.COUNTED, Chosen.NOTED, Chosen.STOPPED)
        tell_asker(ctx, item, item.payload["user_id"], blocks.chosen(chosen), replace_original=replaces)
        return None


class ApplyReaction(Work):
    """A checkmark added to a message: looked at in Slack when it is in a help channel that listens."""

    def do(self, ctx: SendContext, session: Session, item: OutboxItem) -> None:
        p = item.payload
        notify_help.checkmark(
            session, team_id=item.team_id, channel_id=p["channel_id"], item_ts=p["item_ts"], user_id=p["user_id"]
        )


class ReadCheckmark(Sender):
    """Did the asker mark a colleague's reply in their thread? Then they are offered, once per
    thread, to save it as a lesson."""

    def send(self, ctx: SendContext, item: OutboxItem):
        p = item.payload
        channel_id, item_ts, user_id = p["channel_id"], p["item_ts"], p["user_id"]
        messages = thread_messages(ctx, channel_id, item_ts)
        if not messages:
            return None
        parent = messages[0]
        marked = next((m for m in messages if m.get("ts") == item_ts), None)
        if marked is None or not helpchannels.marks_answer(
            reactor=user_id,
            asker=parent.get("user") if _by_person(parent) else None,
            answer_author=marked.get("user") if _by_person(marked) else None,
            answer_is_reply=item_ts != parent.get("ts"),
        ):
            return None
        return lambda session: notify_help.save_offer(
            session,
            team_id=item.team_id,
            channel_id=channel_id,
            thread_ts=parent["ts"],
            answer_ts=item_ts,
            asker_id=user_id,
        )


class OfferSave(Sender):
    """To the asker, privately in the thread they just marked: save the answer as a lesson."""

    def send(self, ctx: SendContext, item: OutboxItem):
        p = item.payload
        message = blocks.save_offer(channel_id=p["channel_id"], thread_ts=p["thread_ts"], answer_ts=p["answer_ts"])
        try:
            ctx.client.chat_postEphemeral(
                channel=p["channel_id"],
                user=p["asker_id"],
                thread_ts=p["thread_ts"],
                text=message["text"],
                blocks=message["blocks"],
            )
        except SlackApiError as exc:
            if delivery.error_of(exc) not in ASKER_GONE:
                raise
            log.info("help channel: the asker cannot be offered to save an answer (%s)", delivery.error_of(exc))
        return None


SENDERS = {
    kinds.OUTBOX_HELP_SUGGEST: SuggestLessons(),
    kinds.OUTBOX_HELP_CHOSEN: TellChosen(),
    kinds.OUTBOX_HELP_CHECKMARK: ReadCheckmark(),
    kinds.OUTBOX_HELP_SAVE_OFFER: OfferSave(),
    kinds.WORK_HELP_CHOICE: ApplyChoice(),
    kinds.WORK_HELP_REACTION: ApplyReaction(),
}
