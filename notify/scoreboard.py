"""The weekly scoreboard's outbox step: each week's post queued once it is stored (the sweep), its
picture once the post is in the channel, and a word to the admin when it can never be posted.
The senders in bot.scoreboard deliver them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session

from core import scoreboard
from notify import kinds
from storage import outbox, workspaces
from storage import scoreboard as figures


def _key(week_end: datetime) -> str:
    return f"scoreboard:{week_end:%Y%m%dT%H%M}"


def sweep(session: Session, *, qa_channel: str | None, now: datetime, skip: Collection[str] = ()) -> int:
    """Store each week's figures as it ends (catching up on weeks missed while down), and queue the
    latest week's post once, wherever the workspace wants it (`qa_channel` when it never said)."""
    queued = 0
    for team_id in figures.teams(session):
        if team_id in skip:  # its installation is gone: no week is closed or posted for it
            continue
        plan = scoreboard.schedule(
            session,
            team_id=team_id,
            default_channel=workspaces.qa_channel(session, team_id=team_id, default=qa_channel),
        )
        due = scoreboard.catch_up(session, team_id=team_id, plan=plan, now=now)
        if due is None or not plan.channel_id:
            continue
        if scoreboard.claim_post(session, team_id=team_id, week_end=due, channel_id=plan.channel_id, now=now):
            outbox.enqueue(
                session,
                team_id=team_id,
                dedupe_key=f"{_key(due)}:post",
                kind=kinds.OUTBOX_SCOREBOARD_POST,
                payload={"week_end": due.isoformat(), "channel_id": plan.channel_id},
            )
            queued += 1
    return queued


def queue_chart(session: Session, *, team_id: str, week_end: datetime, channel_id: str) -> None:
    """The week's post is in the channel: its picture follows, once."""
    outbox.enqueue(
        session,
        team_id=team_id,
        dedupe_key=f"{_key(week_end)}:chart",
        kind=kinds.OUTBOX_SCOREBOARD_CHART,
        payload={"week_end": week_end.isoformat(), "channel_id": channel_id},
    )


def queue_post_failed(session: Session, *, team_id: str, week_end: datetime, channel_id: str, reason: str) -> None:
    """The week's post can never go out: the admin who chose the channel is told (a private
    channel Knowhow cannot join, an archived one), or the post would simply never appear."""
    admin = scoreboard.settings_owner(session, team_id=team_id)
    if admin:
        outbox.enqueue(
            session,
            team_id=team_id,
            dedupe_key=f"{_key(week_end)}:failed",
            kind=kinds.OUTBOX_SCOREBOARD_FAILED,
            payload={"user_id": admin, "channel_id": channel_id, "reason": reason},
        )
