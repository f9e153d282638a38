"""App Home refreshes through the outbox: a burst of changes publishes once (real store)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from core.clock import utcnow
from notify import home, kinds
from storage import outbox
from storage.db import session_scope
from storage.models import OutboxMessage

TEAM = "T0HOMES001"


def _refreshes(engine, user):
    with session_scope(engine) as s:
        rows = s.exec(
            select(OutboxMessage).where(OutboxMessage.kind == kinds.OUTBOX_HOME_REFRESH, OutboxMessage.team_id == TEAM)
        ).all()
        return [r.status for r in rows if r.dedupe_key.startswith(f"home:{user}:")]


def test_a_refresh_waiting_in_the_outbox_covers_the_next_changes(engine):
    with session_scope(engine) as s:
        home.queue_refresh(s, TEAM, "U0ONE", "U0TWO", "U0ONE")
        home.queue_refresh(s, TEAM, "U0ONE")
    assert _refreshes(engine, "U0ONE") == ["pending"] and _refreshes(engine, "U0TWO") == ["pending"]
    # Another workspace's, or another person whose id starts the same, is not covered.
    with session_scope(engine) as s:
        home.queue_refresh(s, "T0OTHER001", "U0ONE")
        home.queue_refresh(s, TEAM, "U0ON")
    assert len(_refreshes(engine, "U0ON")) == 1
    # Once the waiting one is being sent it has read the store: a new change queues another.
    with session_scope(engine) as s:
        claimed = outbox.claim_due(s, now=utcnow() + timedelta(seconds=1), lease=timedelta(minutes=1), limit=100)
    assert claimed
    with session_scope(engine) as s:
        home.queue_refresh(s, TEAM, "U0ONE")
    assert sorted(_refreshes(engine, "U0ONE")) == ["pending", "sending"]
