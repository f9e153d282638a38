"""The outbox senders for everything Ask the Expert sessions say: the announcement (and its
updates), the opening, the closing summary (kept up to date), each expert's list of open
questions (kept up to date), the organiser's note about a missed session, the 👀 on a session
question, the note when a question is deferred (kept up to date), the note to an expert whose
question another took over, and the expert's reminder."""

from __future__ import annotations

from datetime import date, timedelta

from slack_sdk.errors import SlackApiError

from bot import delivery
from bot.outbox import Retry, SendContext, Sender
from bot.sessions import blocks as sb
from core import asking, sessions
from core.clock import utcnow
from core.sessions import State
from notify import kinds
from notify import sessions as notify_sessions
from storage import outbox, qa
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


def _links(ctx: SendContext, info, rows) -> dict[int, str | None]:
    """A link to each question (its stored permalink, or Slack's for those recorded without one)."""
    return {q.id: q.permalink or delivery.permalink(ctx, info.channel_id, q.message_ts) for q in rows}


class ExpertList(Sender):
    """One expert's list of the session's questions (at the close, or the last call), sent when
    one of them is still neither answered nor deferred; recorded, to be updated in place."""

    def send(self, ctx, item):
        expert, last_call = item.payload["expert_id"], item.payload.get("last_call", False)
        with session_scope(ctx.engine) as session:
            info = sessions.get(session, team_id=item.team_id, session_id=item.payload["session_id"])
            rows = sessions.follow_ups(
                session, team_id=item.team_id, session_id=item.payload["session_id"], now=utcnow(), last_call=last_call
            )
        if info is None or not any(not q.answered and not q.deferred_to for q in rows):
            return None
        message = sb.expert_list(info, rows, _links(ctx, info, rows), viewer=expert, last_call=last_call)
        posted = ctx.client.chat_postMessage(channel=expert, **message)
        return lambda session: sessions.set_list_post(
            session,
            team_id=item.team_id,
            session_id=info.id,
            expert_id=expert,
            channel_id=posted["channel"],
            ts=posted["ts"],
            last_call=last_call,
        )


class ListsRefresh(Sender):
    """Every expert's list of a session, updated in place: who owes each question now, and by when."""

    def send(self, ctx, item):
        team_id, session_id = item.team_id, item.payload["session_id"]
        with session_scope(ctx.engine) as session:
            info = sessions.get(session, team_id=team_id, session_id=session_id)
            if info is None:
                return None
            posts = sessions.list_posts(session, team_id=team_id, session_id=session_id)
            rows = {
                last_call: sessions.follow_ups(
                    session, team_id=team_id, session_id=session_id, now=utcnow(), last_call=last_call
                )
                for last_call in (False, True)
            }
            recorded = {(p.expert_id, p.last_call) for p in posts}
            # A list being posted right now was rendered before this change: come back once it is recorded.
            in_flight = any(
                (row := outbox.get(session, team_id=team_id, dedupe_key=key)) is not None
                and row.status == outbox.SENDING
                for expert in info.experts
                for last_call in (False, True)
                if (expert, last_call) not in recorded
                for key in [notify_sessions.list_key(session_id, expert, last_call=last_call)]
            )
        links = _links(ctx, info, rows[False])
        for post in posts:
            message = sb.expert_list(info, rows[post.last_call], links, viewer=post.expert_id, last_call=post.last_call)
            delivery.update_message(ctx, post.channel_id, post.ts, message)
        if in_flight:
            raise Retry("an expert's list is being posted", after=timedelta(seconds=2))
        return None


class Missed(Sender):
    def send(self, ctx, item):
        info = _session(ctx, item)
        if info is not None:
            ctx.client.chat_postMessage(channel=info.organiser_id, **sb.missed(info))
        return None


class AckReaction(Sender):
    """The 👀 on a session question (the person's own message), and its link, recorded for the
    places that show the question (App Home, the experts' lists)."""

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
        link = question.permalink or delivery.permalink(ctx, question.channel_id, question.message_ts)
        if link is None or link == question.permalink:
            return None
        return lambda session: asking.record_permalink(
            session, team_id=item.team_id, question_id=question.id, permalink=link
        )


class DeferredNote(Sender):
    """The one note in a deferred question's thread (who answers it, by when), rendered from the
    deferral as it stands: posted once, then updated in place when the date moves or another
    expert takes it over."""

    def send(self, ctx, item):
        question_id = item.payload["question_id"]
        with session_scope(ctx.engine) as session:
            question = qa.get_question(session, team_id=item.team_id, question_id=question_id)
            deferral = qa.get_deferral(session, team_id=item.team_id, question_id=question_id)
            first = outbox.get(session, team_id=item.team_id, dedupe_key=notify_sessions.note_key(question_id))
            posting = first is not None and first.id != item.id and first.status == outbox.SENDING
        if question is None or deferral is None:
            return None
        message = sb.deferred_note(deferral.expert_id, deferral.due_date, deferral.taken_from)
        if deferral.note_ts:
            delivery.update_message(ctx, question.channel_id, deferral.note_ts, message)
            return None
        if item.payload.get("update"):
            if posting:  # rendered before this change: update it once its ts is recorded
                raise Retry("the note is being posted", after=timedelta(seconds=2))
            return None  # no note to update (it could not be posted): the summary says it all
        ts = ctx.client.chat_postMessage(channel=question.channel_id, thread_ts=question.message_ts, **message)["ts"]
        return lambda session: sessions.set_note(session, team_id=item.team_id, question_id=question_id, note_ts=ts)


class TakenOver(Sender):
    """To the expert whose promise another expert of the panel took over, privately."""

    def send(self, ctx, item):
        with session_scope(ctx.engine) as session:
            question = qa.get_question(session, team_id=item.team_id, question_id=item.payload["question_id"])
        if question is None:
            return None
        link = question.permalink or delivery.permalink(ctx, question.channel_id, question.message_ts)
        message = sb.taken_over(item.payload["expert_id"], question.text, link, date.fromisoformat(item.payload["due"]))
        ctx.client.chat_postMessage(channel=item.payload["previous_id"], **message)
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
    kinds.OUTBOX_SESSION_LISTS_REFRESH: ListsRefresh(),
    kinds.OUTBOX_SESSION_TAKEN_OVER: TakenOver(),
}
