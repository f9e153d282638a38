"""The outbox: what must be said in Slack, stored in the same transaction as what caused it.

A worker claims due rows with a lease (a conditional UPDATE, so two workers in two processes
never claim the same row), sends them, and marks them sent in the transaction that records the
result. A row whose lease expired (its worker died mid-send) becomes claimable again. Each claim
bumps `attempts`, which doubles as a fencing token: a worker whose lease was taken over can no
longer finish the row. A claim also names its holder (`claimed_by`): the holder renews its
leases while it lives (`renew`), and a worker that knows a holder is dead frees its rows at once
(`free_claims_of`) instead of waiting for their lease to run out.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, literal, or_, true, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.claims import claim, claim_all
from storage.db import write_turn
from storage.models import OutboxMessage, utcnow
from storage.upsert import insert_for, insert_if_absent

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
# Held: queued for a workspace whose installation is gone (storage/workspaces.py); it goes out
# if the workspace installs Knowhow again, and is dropped after the retention period otherwise.
HELD = "held"
_FIRST_TRIED = OutboxMessage.__table__.c.first_tried_at


@dataclass(frozen=True)
class OutboxItem:
    """A claimed row, as plain data (the session it came from is gone)."""

    id: int
    team_id: str
    dedupe_key: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    # When it was first claimed (None for a row made up without a claim): nothing of it can have
    # reached Slack before.
    first_tried_at: datetime | None = None


def _queued(*, team_id: str, dedupe_key: str, kind: str, payload: dict[str, Any], due: datetime | None) -> dict:
    """A new outbox row's values: pending, never tried, due at `due` (None: now)."""
    now = utcnow()
    return dict(
        team_id=team_id,
        dedupe_key=dedupe_key,
        kind=kind,
        payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
        status=PENDING,
        attempts=0,
        next_attempt_at=due or now,
        created_at=now,
    )


def enqueue(
    session: Session,
    *,
    team_id: str,
    dedupe_key: str,
    kind: str,
    payload: dict[str, Any],
    not_before: datetime | None = None,
) -> bool:
    """Queue a message once per `dedupe_key`. False when it was already queued."""
    values = _queued(team_id=team_id, dedupe_key=dedupe_key, kind=kind, payload=payload, due=not_before)
    return insert_if_absent(session, OutboxMessage, values)


def enqueue_now(engine: Engine, *, team_id: str, dedupe_key: str, kind: str, payload: dict[str, Any]) -> bool:
    """`enqueue` in a transaction of its own, for the ack path: one INSERT and a commit on a
    pooled connection, no ORM session (a Core statement, compiled once per dialect and cached).
    False when the key was queued already (a retry of the same request)."""
    values = _queued(team_id=team_id, dedupe_key=dedupe_key, kind=kind, payload=payload, due=None)
    with write_turn(engine), engine.begin() as connection:
        return connection.execute(_insert_once(engine.dialect.name), values).first() is not None


@functools.cache
def _insert_once(dialect: str):
    table = OutboxMessage.__table__
    return insert_for(dialect)(table).on_conflict_do_nothing().returning(table.c.id)


def waiting(session: Session, *, team_id: str, dedupe_prefix: str) -> bool:
    """Is a message whose key starts with `dedupe_prefix` queued and not yet being sent?"""
    return (
        session.exec(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.team_id == team_id,
                OutboxMessage.status == PENDING,
                OutboxMessage.dedupe_key.startswith(dedupe_prefix, autoescape=True),
            )
            .limit(1)
        ).first()
        is not None
    )


def _due(now: datetime):
    return or_(
        and_(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == SENDING, OutboxMessage.lease_until <= now),
    )


def _of_kinds(kinds: Collection[str] | None, exclude: Collection[str] | None):
    """Which kinds a worker drains: `kinds` only, or every kind but `exclude` (None: all)."""
    if kinds is not None:
        return OutboxMessage.kind.in_(sorted(kinds))
    if exclude:
        return OutboxMessage.kind.not_in(sorted(exclude))
    return true()


def claim_due(
    session: Session,
    *,
    now: datetime,
    lease: timedelta,
    limit: int = 20,
    kinds: Collection[str] | None = None,
    exclude: Collection[str] | None = None,
    claimant: str | None = None,
) -> list[OutboxItem]:
    """Claim up to `limit` due messages (of `kinds`, or of every kind but `exclude`), in the
    order they were queued. Commit before sending.

    Queued order, not due time: rows put back to wait for their channel (bot/pacing.py) come due
    together when the worker is late, and must still go out in the order they were queued. Only
    due rows are claimed, so a channel whose rows wait never keeps another channel's rows out."""
    candidates = session.exec(
        select(OutboxMessage.id)
        .where(_due(now), _of_kinds(kinds, exclude))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .execution_options(all_workspaces=True)  # one worker delivers every workspace's messages
    ).all()
    claimed = []
    for row_id in candidates:
        if claim(
            session,
            OutboxMessage,
            OutboxMessage.id == row_id,
            _due(now),
            status=SENDING,
            lease_until=now + lease,
            claimed_by=claimant,
            attempts=OutboxMessage.attempts + 1,
            first_tried_at=func.coalesce(OutboxMessage.first_tried_at, literal(now, _FIRST_TRIED.type)),
            all_workspaces=True,  # by the row's own id, which the worker just read
        ):
            claimed.append(row_id)
    if not claimed:
        return []
    rows = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(claimed))
        .order_by(OutboxMessage.id)
        .execution_options(all_workspaces=True)  # the rows this worker just claimed, by id
    )
    return [
        OutboxItem(
            id=r.id,
            team_id=r.team_id,
            dedupe_key=r.dedupe_key,
            kind=r.kind,
            payload=json.loads(r.payload),
            attempts=r.attempts,
            first_tried_at=r.first_tried_at,
        )
        for r in rows
    ]


def renew(session: Session, *, claimant: str, ids: Collection[int], until: datetime) -> int:
    """Extend the leases that `claimant` still holds on rows `ids` (none that another worker has
    taken over since). How many were extended."""
    if not ids:
        return 0
    renewed = claim_all(
        session,
        OutboxMessage,
        OutboxMessage.id.in_(sorted(ids)),
        OutboxMessage.status == SENDING,
        OutboxMessage.claimed_by == claimant,
        all_workspaces=True,  # one worker's own claims, by id
        lease_until=until,
    )
    return len(renewed)


def claimants(session: Session) -> list[str]:
    """Who holds a claim now."""
    return list(
        session.exec(
            select(OutboxMessage.claimed_by)
            .where(OutboxMessage.status == SENDING, OutboxMessage.claimed_by.is_not(None))
            .distinct()
            .execution_options(all_workspaces=True)  # every worker's claims
        ).all()
    )


def free_claims_of(session: Session, *, claimants: Collection[str], now: datetime) -> int:
    """The holders `claimants` are dead: their rows are due again now. A row they may have been
    sending keeps its attempt (senders look before they repeat a post); the next claim bumps
    `attempts`, so the dead holder could not finish the row even if it were not dead."""
    if not claimants:
        return 0
    freed = claim_all(
        session,
        OutboxMessage,
        OutboxMessage.status == SENDING,
        OutboxMessage.claimed_by.in_(sorted(claimants)),
        all_workspaces=True,  # a dead worker's claims, in every workspace
        status=PENDING,
        next_attempt_at=now,
        lease_until=None,
        claimed_by=None,
    )
    return len(freed)


def _finish(session: Session, item: OutboxItem, **values) -> bool:
    """Close a claim; False when the claim is no longer this worker's (its lease was taken over)."""
    return claim(
        session,
        OutboxMessage,
        OutboxMessage.id == item.id,
        OutboxMessage.status == SENDING,
        OutboxMessage.attempts == item.attempts,
        all_workspaces=True,  # by the claimed row's own id
        claimed_by=None,
        **values,
    )


def mark_sent(session: Session, *, item: OutboxItem, now: datetime, forget_payload: bool = False) -> bool:
    """Done. With `forget_payload`, the row keeps only its key (a retry of the same request still
    finds it) and not what the request said: work rows hold people's words only until they are done."""
    values = dict(payload="{}") if forget_payload else {}
    return _finish(session, item, status=SENT, sent_at=now, lease_until=None, last_error=None, **values)


def retry_later(session: Session, *, item: OutboxItem, at: datetime, error: str) -> bool:
    return _finish(session, item, status=PENDING, next_attempt_at=at, lease_until=None, last_error=error[:2000])


def due_now_after_network_errors(session: Session, *, now: datetime) -> int:
    """The rows waiting out a back-off after the network failed them (Slack unreachable) are due
    now: Slack is reachable again. How many."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == PENDING,
            OutboxMessage.next_attempt_at > now,
            OutboxMessage.last_error.like("network:%"),
        )
        .values(next_attempt_at=now)
    )
    return result.rowcount


def put_back(session: Session, *, item: OutboxItem, at: datetime) -> bool:
    """Put a claimed row back until `at` without counting the claim as an attempt: it was not sent
    for a reason of the sender's own (pacing), and nothing of it reached Slack. Its `attempts` go
    back to what they were, so a sender that looks for an earlier attempt's post (attempts > 1)
    does not look in vain; the fencing still holds, since this claim ends here and a later claim
    takes the number up again."""
    return _finish(session, item, status=PENDING, next_attempt_at=at, lease_until=None, attempts=item.attempts - 1)


def hold(session: Session, *, item: OutboxItem, error: str) -> bool:
    """Its workspace's installation is gone: keep the row, unsent and uncounted, until it is back."""
    return _finish(session, item, status=HELD, lease_until=None, attempts=item.attempts - 1, last_error=error[:2000])


def hold_workspace(session: Session, *, team_id: str) -> int:
    """Hold everything a workspace queued that is not out yet (a row being sent right now finishes
    its attempt, and is held when Slack refuses it)."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.team_id == team_id, OutboxMessage.status == PENDING)
        .values(status=HELD)
    )
    return result.rowcount


def release_workspace(session: Session, *, team_id: str, now: datetime) -> int:
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.team_id == team_id, OutboxMessage.status == HELD)
        .values(status=PENDING, next_attempt_at=now, last_error=None)
    )
    return result.rowcount


def purge_held(session: Session, *, team_ids: Collection[str]) -> int:
    """Drop what gone workspaces had queued (their retention period is over)."""
    if not team_ids:
        return 0
    result = session.execute(
        delete(OutboxMessage).where(OutboxMessage.team_id.in_(sorted(team_ids)), OutboxMessage.status == HELD)
    )
    return result.rowcount


def mark_failed(
    session: Session, *, item: OutboxItem, error: str, to: str | None = None, now: datetime | None = None
) -> bool:
    """Failed for good: a dead letter, kept (with why, when, and `to`: the channel or person the
    failing call addressed) until an admin retries it (`revive`)."""
    return _finish(
        session,
        item,
        status=FAILED,
        lease_until=None,
        last_error=error[:2000],
        failed_at=now or utcnow(),
        failed_to=to[:200] if to else None,
    )


# -- dead letters, for admins ---------------------------------------------------------------------
def _in(team_id: str | None):
    """Rows of one workspace, or (None) of every workspace: the operator's command line."""
    return OutboxMessage.team_id == team_id if team_id is not None else true()


def _scope(statement, team_id: str | None):
    # The operator's view (`knowhow outbox`, `knowhow doctor`) spans every workspace on purpose.
    return statement.execution_options(all_workspaces=True) if team_id is None else statement


def dead_letters(session: Session, *, team_id: str | None, limit: int = 50) -> list[OutboxMessage]:
    """Messages that failed for good, newest failure first: a workspace's, or (None) every one's."""
    statement = (
        select(OutboxMessage)
        .where(_in(team_id), OutboxMessage.status == FAILED)
        .order_by(OutboxMessage.failed_at.desc().nulls_last(), OutboxMessage.id.desc())
        .limit(limit)
    )
    return list(session.exec(_scope(statement, team_id)).all())


def count_dead(session: Session, *, team_id: str | None) -> int:
    statement = select(func.count()).select_from(OutboxMessage).where(_in(team_id), OutboxMessage.status == FAILED)
    return session.exec(_scope(statement, team_id)).one()


def revive(
    session: Session,
    *,
    team_id: str | None,
    ids: Collection[int] | None,
    now: datetime,
    exclude: Collection[str] = (),
) -> list[int]:
    """Put dead letters (`ids`, or every one of the scope when None; none of the kinds `exclude`)
    back in the queue, due now; idempotent: a row that is not failed (retried already, sent since)
    is left alone. Its attempts are kept (they fence old claims; a sender that posts looks for an
    earlier post first). Returns the ids put back."""
    conditions = [_in(team_id), OutboxMessage.status == FAILED]
    if exclude:
        conditions.append(OutboxMessage.kind.not_in(sorted(exclude)))
    if ids is not None:
        if not ids:
            return []
        conditions.append(OutboxMessage.id.in_(sorted(ids)))
    statement = (
        update(OutboxMessage)
        .where(*conditions)
        .values(status=PENDING, next_attempt_at=now, lease_until=None, failed_at=None, failed_to=None)
        .returning(OutboxMessage.id)
    )
    return sorted(session.execute(_scope(statement, team_id)).scalars().all())


@dataclass(frozen=True)
class Depth:
    """How the queue stands, for the operator: what waits, since when, and what failed for good."""

    pending: int
    oldest: OutboxMessage | None  # the pending row queued first (due, or tried and waiting to retry)
    overdue: OutboxMessage | None  # the pending row due longest ago
    failed: int
    held: int


def depth(session: Session, *, now: datetime) -> Depth:
    """The outbox across every workspace (the operator's `knowhow doctor`). A row queued for later
    (`not_before`) and never tried is not waiting yet; one tried and waiting to retry is."""

    def first(where, *order) -> OutboxMessage | None:
        statement = select(OutboxMessage).where(OutboxMessage.status == PENDING, where).order_by(*order).limit(1)
        return session.exec(_scope(statement, None)).first()

    due = OutboxMessage.next_attempt_at <= now

    counts = dict(
        session.exec(
            _scope(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.status.in_([PENDING, FAILED, HELD]))
                .group_by(OutboxMessage.status),
                None,
            )
        ).all()
    )
    return Depth(
        pending=counts.get(PENDING, 0),
        oldest=first(or_(due, OutboxMessage.attempts > 0), OutboxMessage.created_at, OutboxMessage.id),
        overdue=first(due, OutboxMessage.next_attempt_at, OutboxMessage.id),
        failed=counts.get(FAILED, 0),
        held=counts.get(HELD, 0),
    )


def next_due_at(
    session: Session, *, kinds: Collection[str] | None = None, exclude: Collection[str] | None = None
) -> datetime | None:
    """When the earliest pending message (of those kinds) falls due (None when nothing is pending)."""
    return session.exec(
        select(OutboxMessage.next_attempt_at)
        .where(OutboxMessage.status == PENDING, _of_kinds(kinds, exclude))
        .order_by(OutboxMessage.next_attempt_at)
        .limit(1)
        .execution_options(all_workspaces=True)  # the worker's next wake-up, for every workspace
    ).first()


@dataclass(frozen=True)
class Backlog:
    """Rows of one kind and status not done yet, and when the oldest of them was queued."""

    kind: str
    status: str
    count: int
    oldest: datetime


def backlog(session: Session) -> list[Backlog]:
    """What waits in the outbox (pending, being sent, or held for a workspace that is gone), by
    kind and status: one grouped query over the rows the status index finds, none of the sent."""
    rows = session.exec(
        select(OutboxMessage.kind, OutboxMessage.status, func.count(), func.min(OutboxMessage.created_at))
        .where(OutboxMessage.status.in_((PENDING, SENDING, HELD)))
        .group_by(OutboxMessage.kind, OutboxMessage.status)
        .execution_options(all_workspaces=True)  # the operator's view of the whole queue
    ).all()
    return [Backlog(kind, status, count, oldest) for kind, status, count, oldest in rows]


def purge_sent(session: Session, *, before: datetime) -> int:
    """Delete messages sent before `before`; they have done their work."""
    result = session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.status == SENT, OutboxMessage.sent_at < before)
        .execution_options(all_workspaces=True)  # the purge cleans every workspace's sent messages
    )
    return result.rowcount


def get(session: Session, *, team_id: str, dedupe_key: str) -> OutboxMessage | None:
    return session.exec(
        select(OutboxMessage).where(OutboxMessage.team_id == team_id, OutboxMessage.dedupe_key == dedupe_key)
    ).first()
