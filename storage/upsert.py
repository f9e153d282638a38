"""Insert-if-absent that is safe when two deliveries race, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel


def insert_if_absent(session: Session, model: type[SQLModel], values: dict[str, Any]) -> bool:
    """Insert one row unless it collides with a unique constraint. True when it was inserted.

    Uses the database's own `ON CONFLICT DO NOTHING`, so the loser of a race neither raises nor
    poisons the session's transaction.
    """
    insert = insert_for(session.get_bind().dialect.name)
    table = model.__table__
    # The model's defaults (a created_at, a False flag) fill what `values` leaves out; an
    # autoincrement key left unset stays out of the statement.
    full = model(**values).model_dump()
    values = {k: v for k, v in full.items() if k in values or not (table.c[k].primary_key and v is None)}
    # RETURNING says whether a row went in; rowcount is not reliable for this on every driver.
    stmt = insert(table).values(**values).on_conflict_do_nothing().returning(*table.primary_key.columns)
    return session.execute(stmt).first() is not None


def insert_for(dialect: str):
    """The dialect's own INSERT construct, the one with `on_conflict_do_nothing`."""
    return {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect]
