"""Alembic environment: one engine handed in by `storage.migrate`, metadata from the models."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.migrate import MIGRATION_LOCK_KEY, include_object


def run_migrations_online() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:  # storage.migrate hands one in; Alembic's own command line would not
        raise SystemExit("Run migrations with `knowhow migrate`, which knows the database from DATABASE_URL.")
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas starting together migrate one at a time; the others then find nothing to do.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            include_object=include_object,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `knowhow migrate`.")
run_migrations_online()
