"""Workspaces and their organisations: who is in which pool, and whose installation is gone.

An organisation is an Enterprise Grid organisation or, outside Grid, the workspace itself
(`Workspace.org_id`). Rows keep the workspace they live in (`team_id`); a query over a pool (the
mentors, the knowledge base, the scoreboard's counts) reads every workspace of the organisation:
`Model.team_id.in_(pool(session, team_id=...))`, which always includes the workspace itself, so
a workspace Knowhow has not recorded yet is a pool of one and never sees another's rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from storage import outbox
from storage.models import Workspace, utcnow
from storage.upsert import insert_if_absent


def seen(
    session: Session,
    *,
    team_id: str,
    enterprise_id: str | None = None,
    name: str | None = None,
    enterprise_install: bool | None = None,
) -> Workspace:
    """Record a workspace Knowhow hears from or is installed in (idempotent). A workspace found to
    be part of an Enterprise Grid organisation joins that organisation's pool."""
    session.info.pop("knowhow_pools", None)  # the pools this session kept may change
    insert_if_absent(
        session,
        Workspace,
        dict(
            team_id=team_id,
            org_id=enterprise_id or team_id,
            enterprise_id=enterprise_id,
            name=name,
            enterprise_install=bool(enterprise_install),
        ),
    )
    row = get(session, team_id=team_id)
    assert row is not None
    changes: dict = {}
    if enterprise_id and row.enterprise_id != enterprise_id:
        changes.update(enterprise_id=enterprise_id, org_id=enterprise_id)
    if name and row.name != name:
        changes["name"] = name
    if enterprise_install is not None and row.enterprise_install != enterprise_install:
        changes["enterprise_install"] = enterprise_install
    if changes:
        for key, value in changes.items():
            setattr(row, key, value)
        session.add(row)
        session.flush()
    return row


def get(session: Session, *, team_id: str) -> Workspace | None:
    return session.get(Workspace, team_id)


def org_of(session: Session, *, team_id: str) -> str:
    """The organisation a workspace belongs to (the workspace itself until Knowhow knows better)."""
    return session.exec(select(Workspace.org_id).where(Workspace.team_id == team_id)).first() or team_id


def of_org(session: Session, *, org_id: str) -> list[Workspace]:
    """Every workspace of an organisation, in the order Knowhow first heard of them."""
    return list(
        session.exec(
            select(Workspace)
            .where(Workspace.org_id == org_id)
            .order_by(Workspace.seen_at, Workspace.team_id)
            .execution_options(all_workspaces=True)  # an organisation's workspaces, by its id
        ).all()
    )


def pool(session: Session, *, team_id: str) -> list[str]:
    """The workspaces whose rows a pool query of `team_id` reads: every workspace of its
    organisation, itself first (itself alone when it is not recorded). One indexed read; the
    list then goes into the query as `team_id IN (...)`, which each database plans as well as an
    equality (a subquery under an OR may not use an index). Kept for the rest of
    the session (a unit of work): a rule that reads several pools reads each once."""
    kept = session.info.setdefault("knowhow_pools", {})
    if team_id not in kept:
        members = session.exec(
            select(Workspace.team_id).where(
                Workspace.org_id == select(Workspace.org_id).where(Workspace.team_id == team_id).scalar_subquery()
            )
        ).all()
        kept[team_id] = [team_id, *sorted(t for t in members if t != team_id)]
    return list(kept[team_id])


# -- where questions go ---------------------------------------------------------------------------
def qa_channel(session: Session, *, team_id: str, default: str | None = None) -> str | None:
    """The workspace's Q&A channel (`/ask channel`), else the operator's default (KNOWHOW_QA_CHANNEL)."""
    own = session.exec(select(Workspace.qa_channel_id).where(Workspace.team_id == team_id)).first()
    return own or default


def set_qa_channel(session: Session, *, team_id: str, channel_id: str, by: str) -> None:
    seen(session, team_id=team_id)
    session.execute(
        update(Workspace).where(Workspace.team_id == team_id).values(qa_channel_id=channel_id, qa_channel_set_by=by)
    )


# -- who may open an expert session on the spot ---------------------------------------------------
def session_start_rule(session: Session, *, team_id: str) -> str | None:
    """The workspace's rule for `/expert start` as stored (core.sessions reads it); None: the default."""
    return session.exec(select(Workspace.session_start_rule).where(Workspace.team_id == team_id)).first()


def set_session_start_rule(session: Session, *, team_id: str, rule: str) -> None:
    seen(session, team_id=team_id)
    session.execute(update(Workspace).where(Workspace.team_id == team_id).values(session_start_rule=rule))


# -- installations that are gone ------------------------------------------------------------------
def mark_gone(session: Session, *, team_ids: Iterable[str], reason: str, now: datetime | None = None) -> list[str]:
    """These workspaces' installation is gone: hold what they queued and stop sending to them.
    Returns the workspaces that were live until now (idempotent: a second call changes nothing)."""
    now = now or utcnow()
    changed = []
    for team_id in sorted(set(team_ids)):
        seen(session, team_id=team_id)
        result = session.execute(
            update(Workspace)
            .where(Workspace.team_id == team_id, Workspace.gone_at.is_(None))
            .values(gone_at=now, gone_reason=reason[:64])
        )
        if result.rowcount:
            changed.append(team_id)
        outbox.hold_workspace(session, team_id=team_id)
    return changed


def mark_back(session: Session, *, team_id: str, now: datetime | None = None) -> bool:
    """Installed again: what was held goes out, in the order it was queued. True when it was gone."""
    result = session.execute(
        update(Workspace)
        .where(Workspace.team_id == team_id, Workspace.gone_at.is_not(None))
        .values(gone_at=None, gone_reason=None)
    )
    outbox.release_workspace(session, team_id=team_id, now=now or utcnow())
    return bool(result.rowcount)


def is_gone(session: Session, *, team_id: str) -> bool:
    return session.exec(select(Workspace.gone_at).where(Workspace.team_id == team_id)).first() is not None


def gone(session: Session) -> set[str]:
    """Workspaces whose installation is gone: the scheduler's sweeps pass them over."""
    return set(
        session.exec(
            select(Workspace.team_id)
            .where(Workspace.gone_at.is_not(None))
            .execution_options(all_workspaces=True)  # which workspaces to pass over, all of them
        ).all()
    )


def gone_before(session: Session, *, before: datetime) -> list[str]:
    return list(
        session.exec(
            select(Workspace.team_id)
            .where(Workspace.gone_at.is_not(None), Workspace.gone_at < before)
            .execution_options(all_workspaces=True)  # the retention sweep
        ).all()
    )
