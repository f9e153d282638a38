"""Alembic, driven from code: `knowhow migrate` and `knowhow run` call `upgrade()`.

The migration scripts live in `storage/migrations/` and ship inside the package, so an installed
Knowhow can migrate its database without a checkout or an alembic.ini.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

# The PostgreSQL advisory lock replicas take while migrating, so that they migrate one at a time.
MIGRATION_LOCK_KEY = 0x4B6E6F77686F77  # "Knowhow"

# Tables no model describes, which autogenerate must neither create nor drop: APScheduler's job
# table, and the full-text indexes built with each database's own DDL (storage/search.py).
UNMODELLED_TABLES = {"apscheduler_jobs", "question_search"}
UNMODELLED_PREFIXES = ("question_fts",)  # the FTS5 table, its shadow tables and its vocabulary
# The tables of slack-sdk's installation and state stores ("Add to Slack", migration 0010): the
# Slack edge describes them (bot/tokenstore.py), no model here does, so autogenerate against the
# models leaves them alone; tests/storage compares them with the edge's description.
SLACK_STORE_TABLES = {"slack_installations", "slack_bots", "slack_oauth_states"}


def include_object(obj, name, type_, reflected, compare_to, *, slack_stores: bool = False) -> bool:
    if type_ == "table" and name in SLACK_STORE_TABLES:
        return slack_stores
    return not (type_ == "table" and (name in UNMODELLED_TABLES or name.startswith(UNMODELLED_PREFIXES)))


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", "storage:migrations")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def pending(engine: Engine) -> list[str]:
    """Revisions not yet applied to the database, oldest first."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    todo = []
    for rev in script.walk_revisions():
        if rev.revision in current:
            break
        todo.append(rev.revision)
    return list(reversed(todo)) if current or todo else []


def unknown(engine: Engine) -> list[str]:
    """Revisions the database is at that no migration here knows: a newer Knowhow migrated it."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    known = {rev.revision for rev in script.walk_revisions()}
    with engine.connect() as conn:
        return sorted(set(MigrationContext.configure(conn).get_current_heads()) - known)


def head(engine: Engine) -> str | None:
    """The newest revision this Knowhow knows."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
