"""The engine and sessions.

One engine per process, built from `DATABASE_URL`. SQLite gets what it needs to be safe under
Bolt's listener threads and the scheduler's thread pool: `check_same_thread=False`, WAL, a busy
timeout and foreign keys on every connection. Sessions are short: one per listener call or job.
"""

from __future__ import annotations

import os
import socket
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

# Under Slack's 3-second ack budget, so a locked database still lets the listener say sorry.
SQLITE_BUSY_TIMEOUT_MS = 2000
# Bolt's listener threads, the scheduler's pool and the outbox worker share one pool.
POOL_SIZE, MAX_OVERFLOW, POOL_TIMEOUT_S = 10, 20, 5
PG_CONNECT_TIMEOUT_S = 5


def make_engine(database_url: str, **kwargs) -> Engine:
    url = make_url(database_url)
    # A database error's message would quote its statement's parameters (what people typed) into
    # the logs; it names the statement only.
    kwargs = {"hide_parameters": True} | kwargs
    if url.get_backend_name() == "sqlite":
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        if url.database and url.database != ":memory:":
            kwargs = dict(pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW, pool_timeout=POOL_TIMEOUT_S) | kwargs
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
        pool_timeout=POOL_TIMEOUT_S,
        # Fail fast when the server is unreachable rather than after the OS's TCP timeout; name the
        # process in pg_stat_activity (unless the URL names it): `knowhow doctor` says who runs the
        # scheduler by it.
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S}
        | ({} if "application_name" in url.query else {"application_name": application_name()}),
        **kwargs,
    )


def application_name() -> str:
    """This process as PostgreSQL shows it: Knowhow, the host and the pid (63 characters at most)."""
    return f"knowhow {socket.gethostname()} pid {os.getpid()}"[:63]


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # An in-memory database cannot use WAL; it answers "memory" and that is fine.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


_write_turns: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_write_turns_guard = threading.Lock()


@contextmanager
def write_turn(engine: Engine) -> Iterator[None]:
    """Around a short write on the ack path: on SQLite, this process's writers take turns.

    SQLite has one writer at a time, and a writer that finds the database locked sleeps in
    SQLite's busy handler (1, 2, 5, 10… ms: its default back-off) before it looks again, however
    soon the lock is free. Threads queued on a lock are handed it the moment it is released. Other
    processes' writers still meet the busy handler; PostgreSQL locks rows, so nothing is done there."""
    if engine.dialect.name != "sqlite":
        yield
        return
    with _write_turns_guard:
        lock = _write_turns.setdefault(engine, threading.Lock())
    with lock:
        yield


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A short unit of work: commit on success, roll back on error, always close."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def ping(engine: Engine) -> None:
    """Raise if the database cannot answer a trivial query."""
    from sqlalchemy import text

    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
