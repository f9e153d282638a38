"""App Home: a person's Home is published again when something it shows changed."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from notify import kinds
from storage import outbox
from storage.erasure import FORMER_MEMBER


def queue_refresh(session: Session, team_id: str, *users: str) -> None:
    """Something a person's Home shows changed: publish it again. The Home is rendered when it is
    sent, so a refresh still waiting in the outbox covers this change too (a burst of changes
    publishes once)."""
    for user in dict.fromkeys(u for u in users if u and u != FORMER_MEMBER):  # a former member has no Home
        if outbox.waiting(session, team_id=team_id, dedupe_prefix=f"home:{user}:"):
            continue
        outbox.enqueue(
            session,
            team_id=team_id,
            dedupe_key=f"home:{user}:{uuid.uuid4().hex}",
            kind=kinds.OUTBOX_HOME_REFRESH,
            payload={"user_id": user},
        )
