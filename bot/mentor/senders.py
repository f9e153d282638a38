"""The Mentor Center's outbox senders: each delivers one kind of message queued by
notify.mentoring, reading the state it is about when it is sent (a message whose moment passed
is not sent). All go to one person by direct message, except the call for volunteers."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.delivery import CANNOT_JOIN, error_of, post_joining, update_message
from bot.mentor import blocks
from bot.outbox import PermanentError, SendContext, Sender
from core import mentoring, scoreboard
from core.clock import utcnow
from core.mentoring import MentorshipState, RequestState
from notify import kinds
from notify import mentoring as notify
from storage.db import session_scope
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

CANNOT_POST = CANNOT_JOIN | {"not_in_channel"}


def _mentorship(ctx: SendContext, item: OutboxItem) -> mentoring.MentorshipInfo | None:
    with session_scope(ctx.engine) as session:
        return mentoring.mentorship(session, team_id=item.team_id, mentorship_id=item.payload["mentorship_id"])


class Candidates(Sender):
    def send(self, ctx, item):
        with session_scope(ctx.engine) as session:
            offer = mentoring.on_offer(session, team_id=item.team_id, request_id=item.payload["request_id"])
        if (
            offer is None
            or offer.state != RequestState.CHOOSING
            or offer.round != item.payload["round"]
            or not offer.candidates
        ):
            return None  # a later round replaced it, or the protégé already chose
        ctx.client.chat_postMessage(
            channel=offer.protege_id,
            **blocks.candidates(offer, again=item.payload.get("again", False), gone=item.payload.get("gone", False)),
        )
        return None


class Waiting(Sender):
    def send(self, ctx, item):
        with session_scope(ctx.engine) as session:
            if "mentorship_id" in item.payload:
                info = mentoring.mentorship(session, team_id=item.team_id, mentorship_id=item.payload["mentorship_id"])
                request_id = info.request_id if info else None
            else:
                request_id = item.payload["request_id"]
            offer = mentoring.on_offer(session, team_id=item.team_id, request_id=request_id) if request_id else None
        if offer is None or offer.state != RequestState.WAITING:
            return None
        ctx.client.chat_postMessage(
            channel=offer.protege_id, **blocks.waiting(offer.topic, again=True, gone=item.payload.get("gone", False))
        )
        return None


class Ask(Sender):
    def send(self, ctx, item):
        info = _mentorship(ctx, item)
        if info is not None and info.state == MentorshipState.PROPOSED:
            ctx.client.chat_postMessage(channel=info.mentor_id, **blocks.ask_mentor(info))
        return None


# conversations.open's answers when the installation cannot see one of the people: in Enterprise
# Grid, someone who is not a member of the workspace the installation serves.
CANNOT_REACH = frozenset({"user_not_found", "user_not_visible", "users_not_found"})


class Intro(Sender):
    """The introduction, in a group DM with both people. It is opened where both can be reached:
    in the protégé's workspace (queued there), else, when that workspace's installation cannot
    reach the mentor (a mentor of another workspace of the organisation who is not a member of
    the protégé's), in the mentor's workspace (queued again there). An org-wide install reaches
    both from either. Nothing else is ever said in it."""

    def send(self, ctx, item):
        info = _mentorship(ctx, item)
        if info is None or info.state != MentorshipState.ACTIVE or info.group_channel:
            return None
        try:
            channel = ctx.client.conversations_open(users=f"{info.mentor_id},{info.protege_id}")["channel"]["id"]
        except SlackApiError as exc:
            mentor_team = info.mentor_team_id or info.team_id
            if error_of(exc) not in CANNOT_REACH or item.team_id == mentor_team:
                raise
            log.info(
                "mentorship %s: %s cannot open the introduction (%s); trying the mentor's workspace %s",
                info.id,
                item.team_id,
                error_of(exc),
                mentor_team,
            )
            return lambda session: notify.queue_intro(session, mentor_team, info.id, where="mentor")
        ctx.client.chat_postMessage(channel=channel, **blocks.introduction(info))
        return lambda session: mentoring.set_group_channel(
            session, team_id=item.team_id, mentorship_id=info.id, channel_id=channel
        )


class Lapsed(Sender):
    def send(self, ctx, item):
        info = _mentorship(ctx, item)
        if info is not None and info.state == MentorshipState.EXPIRED:
            ctx.client.chat_postMessage(channel=info.mentor_id, **blocks.lapsed(info))
        return None


class CheckIn(Sender):
    def __init__(self, build):
        self.build = build

    def send(self, ctx, item):
        info = _mentorship(ctx, item)
        if info is not None and info.state == MentorshipState.ACTIVE:
            ctx.client.chat_postMessage(channel=item.payload["user_id"], **self.build(info, item.payload["user_id"]))
        return None


class Ended(Sender):
    def send(self, ctx, item):
        info = _mentorship(ctx, item)
        if info is not None and info.state in (MentorshipState.COMPLETED, MentorshipState.STOPPED):
            ctx.client.chat_postMessage(channel=item.payload["user_id"], **blocks.ended(info, item.payload["by"]))
        return None


class AskedUpdate(Sender):
    """The protégé's "Knowhow asked them" message, updated in place once the mentor answered
    (or the question lapsed), so it no longer says they will hear."""

    def send(self, ctx, item):
        info = _mentorship(ctx, item)
        if info is not None and info.protege_note is not None:
            channel, ts = info.protege_note
            update_message(ctx, channel, ts, blocks.asked_now(info))
        return None


def _call_message(ctx: SendContext, item: OutboxItem):
    with session_scope(ctx.engine) as session:
        call = mentoring.get_call(session, team_id=item.team_id, call_id=item.payload["call_id"])
        if call is None:
            return None, None
        # The topic's demand as the scoreboard shows it now: the same figures, the same rule.
        demand = scoreboard.topic_demand(
            session,
            team_id=item.team_id,
            topic_id=call.topic_id,
            now=utcnow(),
            threshold=ctx.settings.privacy_threshold,
        )
        message = blocks.call(call.goals, call.weeks, call.hours_per_month, demand, call.topic_id)
        return (call.channel_id, call.message_ts, call.created_by), message


class Call(Sender):
    def send(self, ctx, item):
        where, message = _call_message(ctx, item)
        if where is None or where[1]:
            return None
        channel, _, admin = where
        try:
            ts = post_joining(ctx, channel, message)["ts"]
        except (PermanentError, SlackApiError) as exc:
            # A channel Knowhow can never post in: the admin is told, to choose another.
            error = exc.error if isinstance(exc, PermanentError) else error_of(exc)
            if error not in CANNOT_POST:
                raise
            ctx.client.chat_postMessage(
                channel=admin,
                text=f"Your call for volunteers could not be posted in <#{channel}> ({error}). "
                "Calls go in public channels Knowhow can join; run `/mentor broadcast` again and choose one.",
            )
            return None
        return lambda session: mentoring.set_call_post(
            session, team_id=item.team_id, call_id=item.payload["call_id"], ts=ts
        )


class CallRefresh(Sender):
    def send(self, ctx, item):
        where, message = _call_message(ctx, item)
        if where is not None:
            update_message(ctx, where[0], where[1], message)
        return None


SENDERS = {
    kinds.OUTBOX_MENTOR_CANDIDATES: Candidates(),
    kinds.OUTBOX_MENTOR_WAITING: Waiting(),
    kinds.OUTBOX_MENTOR_ASK: Ask(),
    kinds.OUTBOX_MENTOR_INTRO: Intro(),
    kinds.OUTBOX_MENTOR_LAPSED: Lapsed(),
    kinds.OUTBOX_MENTOR_HALFWAY: CheckIn(blocks.halfway),
    kinds.OUTBOX_MENTOR_END: CheckIn(blocks.the_end),
    kinds.OUTBOX_MENTOR_ENDED: Ended(),
    kinds.OUTBOX_MENTOR_CALL: Call(),
    kinds.OUTBOX_MENTOR_CALL_REFRESH: CallRefresh(),
    kinds.OUTBOX_MENTOR_ASKED_UPDATE: AskedUpdate(),
}
