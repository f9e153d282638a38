"""Dead letters put back in the queue by an admin: what a kind's failure changed is undone, so the
retry can do its work (a question marked failed is pending again, and its post goes out).

A request a person made (`kinds.WORK_KINDS`) is not retried: its failure told them to try again,
and a retry could do it twice."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session, select

from core import asking
from notify import kinds
from storage import outbox
from storage.models import OutboxMessage

NOT_RETRIED = kinds.WORK_KINDS


def revive(session: Session, *, team_id: str | None, ids: Collection[int] | None, now: datetime) -> list[int]:
    """Put dead letters (`ids`, or all of the scope) back in the queue, due now: the ids put back."""
    back = outbox.revive(session, team_id=team_id, ids=ids, now=now, exclude=NOT_RETRIED)
    if not back:
        return back
    statement = select(OutboxMessage).where(
        OutboxMessage.id.in_(back), OutboxMessage.kind == kinds.OUTBOX_POST_QUESTION
    )
    if team_id is not None:
        statement = statement.where(OutboxMessage.team_id == team_id)
    else:
        statement = statement.execution_options(all_workspaces=True)  # the operator's retry, by the rows' ids
    for row in session.exec(statement).all():
        question_id = json.loads(row.payload or "{}").get("question_id")
        if question_id is not None:
            asking.mark_pending_again(session, team_id=row.team_id, question_id=int(question_id))
    return back
