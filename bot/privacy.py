"""A person who left: Slack's `user_change` event with `user.deleted: true` (their account was
deactivated) makes Knowhow forget them (core.erasure; PRIVACY.md says what that keeps and what
it erases).

The listener only stores the request (a work row, once per event: Slack's retries find it) and
acks; the work worker forgets the person after the ack, in one transaction with what must still be
said to others (notify.privacy). `user_change` comes for every change of every profile: anything
but a deactivation is acked with nothing written. The fact is logged in counts, never with the
person's id, name or anything they wrote. `knowhow forget` (bot/cli.py) does the same by hand.
"""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext
from sqlmodel import Session

from bot.deps import Deps
from bot.edge import team_of
from bot.outbox import SendContext, Work
from core import erasure
from core.clock import utcnow
from notify import kinds, privacy, queue_work
from storage.erasure import is_user_id
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)


def forget(session: Session, *, team_id: str, user_id: str) -> erasure.Forgotten:
    """Forget the person and queue what the others must hear; log the fact, in counts."""
    forgotten = erasure.forget(
        session, team_id=team_id, user_id=user_id, now=utcnow(), spare_outbox_kinds=(kinds.WORK_FORGET,)
    )
    privacy.after_forgetting(session, forgotten)
    log.info(forgotten.fact())
    return forgotten


def deactivated(event: dict) -> str | None:
    """The user id of a `user_change` event that says the account was deactivated, else None."""
    user = event.get("user")
    if isinstance(user, dict) and user.get("deleted") is True and is_user_id(user.get("id") or ""):
        return user["id"]
    return None


class Forget(Work):
    def do(self, ctx: SendContext, session: Session, item: OutboxItem) -> None:
        forget(session, team_id=item.team_id, user_id=item.payload["user_id"])


SENDERS = {kinds.WORK_FORGET: Forget()}


def register(app: App, deps: Deps) -> None:
    @app.event("user_change")
    def user_changed(ack, body: dict, event: dict, context: BoltContext) -> None:
        user_id = deactivated(event)
        if user_id is not None:
            key = f"forget:event:{body.get('event_id') or event.get('event_ts')}"
            if queue_work(deps.engine, team_of(context, body), key, kinds.WORK_FORGET, user_id=user_id):
                deps.wake_work()
        ack()
