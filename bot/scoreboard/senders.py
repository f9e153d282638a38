"""The weekly scoreboard's outbox senders: the week's post (joining its channel if need be),
then its picture, and the word to the admin when the post can never go out. What each queues
next is notify.scoreboard's."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.delivery import post_joining
from bot.outbox import SendContext, Sender
from bot.scoreboard import blocks
from core import scoreboard
from notify import kinds
from notify import scoreboard as notify
from storage.db import session_scope
from storage.outbox import OutboxItem


def _week(item: OutboxItem) -> datetime:
    return datetime.fromisoformat(item.payload["week_end"])


class WeeklyPost(Sender):
    """The week's post; once it is in the channel (joined if need be), its picture follows."""

    def send(self, ctx: SendContext, item: OutboxItem):
        with session_scope(ctx.engine) as session:
            board = scoreboard.weekly_board(
                session, team_id=item.team_id, week_end=_week(item), threshold=ctx.settings.privacy_threshold
            )
        if board is None:
            return None
        channel = item.payload["channel_id"]
        ts = post_joining(ctx, channel, blocks.weekly_post(board, ctx.settings.privacy_threshold))["ts"]

        def record(session: Session) -> None:
            scoreboard.set_message(session, team_id=item.team_id, week_end=_week(item), ts=ts)
            notify.queue_chart(session, team_id=item.team_id, week_end=_week(item), channel_id=channel)

        return record

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        """Tell the admin who chose the channel (a private channel Knowhow cannot join, an
        archived one): otherwise the post would simply never appear."""
        super().failed(session, item, reason)
        notify.queue_post_failed(
            session, team_id=item.team_id, week_end=_week(item), channel_id=item.payload["channel_id"], reason=reason
        )


class FailureNote(Sender):
    def send(self, ctx: SendContext, item: OutboxItem):
        ctx.client.chat_postMessage(
            channel=item.payload["user_id"], **blocks.post_failed(item.payload["channel_id"], item.payload["reason"])
        )
        return None


class Chart(Sender):
    def send(self, ctx: SendContext, item: OutboxItem):
        with session_scope(ctx.engine) as session:
            trend = scoreboard.trend(
                session, team_id=item.team_id, threshold=ctx.settings.privacy_threshold, until=_week(item)
            )
        if not trend.week_ends:
            return None
        ctx.client.files_upload_v2(
            channel=item.payload["channel_id"],
            file=blocks.trend_png(trend),
            # Its name is the week's: a retry after a lost answer looks for it by name (bot/once.py).
            filename=f"knowhow-12-weeks-to-{_week(item):%Y-%m-%d}.png",
            title="Knowhow: the last 12 weeks",
            alt_txt="Questions asked and resolved, and people seeking and offering mentoring, week by week",
        )
        return None


SENDERS = {
    kinds.OUTBOX_SCOREBOARD_POST: WeeklyPost(),
    kinds.OUTBOX_SCOREBOARD_CHART: Chart(),
    kinds.OUTBOX_SCOREBOARD_FAILED: FailureNote(),
}
