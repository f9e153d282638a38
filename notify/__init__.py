"""What must be said after a change, queued in the outbox in the change's own transaction.

Both edges use this layer: a Slack listener after a rule ran, and the scheduler after time moved
a rule on. Each feature's module turns core outcomes into outbox rows (kinds in `notify.kinds`),
including the fan-out a change implies (a Home to refresh, a waiting request to re-offer), once.
It knows no Slack: the Slack edge's senders (bot/) deliver the rows.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage import outbox


def queue(session: Session, team_id: str, key: str, kind: str, **payload) -> bool:
    """Queue one message of `kind` once per `key` (False: it was queued already)."""
    return outbox.enqueue(session, team_id=team_id, dedupe_key=key, kind=kind, payload=payload)


def queue_work(engine: Engine, team_id: str, key: str, kind: str, **payload) -> bool:
    """The ack path's one durable write: a request, stored as a row of a work kind
    (`kinds.WORK_KINDS`) for the work worker, in a transaction of its own. False: the same
    request (`key`) was stored already, so this is a retry."""
    return outbox.enqueue_now(engine, team_id=team_id, dedupe_key=key, kind=kind, payload=payload)
