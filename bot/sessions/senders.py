"""The outbox senders for everything Ask the Expert sessions say: the announcement (and its
updates), the opening, the closing summary (kept up to date), each expert's list of open
questions, the organiser's note about a missed session, the 👀 on a session question, the note
when a question is deferred and the expert's reminder."""

from __future__ import annotations

from datetime import date

from slack_sdk.errors import SlackApiError

from bot import delivery
from bot.outbox import SendContext, Sender
from bot.sessions import blocks as sb
from core import sessions
from core.clock import utcnow
from core.sessions import State
from notify import kinds
from storage import qa
from storage.db import session_scope
from storage.outbox import OutboxItem


def _session(ctx: SendContext, item: OutboxItem) -> sessions.SessionInfo | None:
    with session_scope(ctx.engine) as session:
        return sessions.get(session, team_id=item.team_id, session_id=item.payload["session_id"])


class Announce(Sender):
    def send(self, ctx, item):
        info = _session(ctx, item)
        if info is None or info.announcement_ts:
            return None
        # Rendered as the session stands when sent: a retry after a cancel announces no live session.
        message = sb.announcement(info, cancelled=info.state is State.CANCELLED, missed=info.state is State.MISSED)
        ts = delivery.post_joining(ctx, info.channel_id, message)["ts"]
        return lambda session: sessions.set_post(session, team_id=item.team_id, session_id=info.id, announcement_ts=ts)


class AnnounceUpdate(Sender):
    def send(self, ctx, item):
        info = _session(ctx, item)
        if info is not None:
            message = sb.announcement(info, cancelled=info.state is State.CANCELLED, missed=info.state is State.MISSED)
            delivery.update_message(ctx, info.channel_id, info.announcement_ts, message)
        return None


class Opened(Sender):
    def send(self, ctx, item):
        info = _session(ctx, item)
        if info is not None and info.state is State.OPEN:  # not after it closed (a long Slack outage)
            delivery.post_joining(ctx, info.channel_id, sb.opened(info))
        return None


def _summary_message(ctx: SendContext, item: OutboxItem):
    with session_scope(ctx.engine) as session:
        result = sessions.summary(session, team_id=item.team_id, session_id=item.payload["session_id"], now=utcnow())
    return result, (sb.summary(result, now=utcnow()) if result else None)


class Summary(Sender):
    def send(self, ctx, item):
        result, message = _summary_message(ctx, item)
        if result is None or result.session.summary_ts:
            return None
        ts = delivery.post_joining(ctx, result.session.channel_id, message)["ts"]
        return lambda session: sessions.set_post(
            session, team_id=item.team_id, session_id=result.session.id, summary_ts=ts
        )


class SummaryRefresh(Sender):
    def send(self, ctx, item):
        result, message = _summary_message(ctx, item)
        if result is not None:
            delivery.update_message(ctx, result.session.channel_id, result.session.summary_ts, message)
        return None


class ExpertList(Sender):
    def send(self, ctx, item):
        with session_scope(ctx.engine) as session:
            result = sessions.summary(
                session, team_id=item.team_id, session_id=item.payload["session_id"], now=utcnow()
            )
        if result is None or not result.open:
            return None
        links = {q.id: delivery.permalink(ctx, result.session.channel_id, q.message_ts) for q in result.open}
        message = sb.expert_list(result.session, result.open, links, last_call=item.payload.get("last_call", False))
        ctx.client.chat_postMessage(channel=item.payload["expert_id"], **message)
        return None


class Missed(Sender):
    def send(self, ctx, item):
        info = _session(ctx, item)
        if info is not None:
            ctx.client.chat_postMessage(channel=info.organiser_id, **sb.missed(info))
        return None


class AckReaction(Sender):
    def send(self, ctx, item):
        with session_scope(ctx.engine) as session:
            question = qa.get_question(session, team_id=item.team_id, question_id=item.payload["question_id"])
        if question is None:
            return None
        try:
            ctx.client.reactions_add(channel=question.channel_id, timestamp=question.message_ts, name="eyes")
        except SlackApiError as exc:
            if delivery.error_of(exc) not in (
                "already_reacted",
                "message_not_found",
                "no_item_specified",
            ):
                raise
        return None


class DeferredNote(Sender):
    def send(self, ctx, item):
        with session_scope(ctx.engine) as session:
            question = qa.get_question(session, team_id=item.team_id, question_id=item.payload["question_id"])
        if question is not None:
            message = sb.deferred_note(item.payload["expert_id"], date.fromisoformat(item.payload["due"]))
            ctx.client.chat_postMessage(channel=question.channel_id, thread_ts=question.message_ts, **message)
        return None


class Reminder(Sender):
    def send(self, ctx, item):
        with session_scope(ctx.engine) as session:
            question = qa.get_question(session, team_id=item.team_id, question_id=item.payload["question_id"])
            deferral = qa.get_deferral(session, team_id=item.team_id, question_id=item.payload["question_id"])
        if question is None or deferral is None:
            return None
        link = delivery.permalink(ctx, question.channel_id, question.message_ts)
        ctx.client.chat_postMessage(channel=deferral.expert_id, **sb.reminder(question.text, link, deferral.due_date))
        return None


SENDERS = {
    kinds.OUTBOX_SESSION_ANNOUNCE: Announce(),
    kinds.OUTBOX_SESSION_ANNOUNCE_UPDATE: AnnounceUpdate(),
    kinds.OUTBOX_SESSION_OPENED: Opened(),
    kinds.OUTBOX_SESSION_SUMMARY: Summary(),
    kinds.OUTBOX_SESSION_SUMMARY_REFRESH: SummaryRefresh(),
    kinds.OUTBOX_SESSION_EXPERT_LIST: ExpertList(),
    kinds.OUTBOX_SESSION_MISSED: Missed(),
    kinds.OUTBOX_SESSION_ACK: AckReaction(),
    kinds.OUTBOX_SESSION_DEFERRED_NOTE: DeferredNote(),
    kinds.OUTBOX_SESSION_REMINDER: Reminder(),
}
