"""A claim: a conditional UPDATE that tells its caller whether it won.

Every "do this once" in Knowhow (open a session, lapse a proposal, send a check-in) is an UPDATE
whose WHERE says the row is still in the state the caller saw. Whoever's UPDATE changed the row
won; a second process, a retry or a late job finds nothing to change. RETURNING says which rows
changed, on SQLite and PostgreSQL alike (`rowcount` is not reliable for this on every driver).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, SQLModel


def claim(session: Session, model: type[SQLModel], *where: Any, all_workspaces: bool = False, **values: Any) -> bool:
    """UPDATE `model` SET `values` WHERE `where`: True when at least one row changed."""
    return bool(claim_all(session, model, *where, all_workspaces=all_workspaces, **values))


def claim_all(
    session: Session,
    model: type[SQLModel],
    *where: Any,
    returning: Any = None,
    all_workspaces: bool = False,
    **values: Any,
) -> list:
    """The same for many rows: the primary keys (or the `returning` column) of every row changed.

    `where` names the workspace (a `team_id` criterion); a claim that deliberately spans every
    workspace (a worker claiming rows by their own id) says so with `all_workspaces=True`.
    """
    column = returning if returning is not None else next(iter(model.__table__.primary_key.columns))
    statement = update(model).where(*where).values(**values).returning(column)
    if all_workspaces:
        statement = statement.execution_options(all_workspaces=True)
    return [row[0] for row in session.execute(statement)]
