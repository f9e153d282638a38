"""One scheduler per job store: a lock held for as long as the scheduler runs, and checked.

The job store is the `apscheduler_jobs` table beside the app's tables, in the schema the
connection's search_path names; two installs may share one PostgreSQL database, each in its own
schema, and each has its own scheduler: the lock's key names the schema (`lock_key`).

APScheduler 3 has no coordination between schedulers sharing a job store; two would run every
job twice. PostgreSQL: a session-level advisory lock on a connection of its own, opened for the
purpose and kept open. SQLite (one machine): an exclusive `flock` on a file beside the database.

A session-level advisory lock lives exactly as long as its server session. When that session
ends (the process died, `pg_terminate_backend`, a server restart, a connection the network cut)
the server frees the lock at once, and nothing tells the holder. So the holder asks: `check()`
runs a trivial query on the lock's own connection. It answers, so the session (and with it the
lock: nothing else ever unlocks it) is still there; it fails, so the lock may already be someone
else's and the holder must stop. DATABASE_URL must therefore reach PostgreSQL directly or through
a pooler in session mode (in transaction mode no session-level lock works).

A connection the network cut without a word is bounded on both ends: the holder's side gives up
within `HOLDER_GIVES_UP_S` (libpq's TCP keepalives and user timeout), the server's side frees the
lock only after `SERVER_FREES_S` (the same settings, set on the server for this session only). The
holder therefore notices first, and stops, before anyone else can take the lock.

A `flock` is released by the kernel when its process ends, however it ends; a standby process on
the same machine then takes it. It cannot be lost while its process lives, so `check()` is True.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.pool import NullPool

from storage.db import PG_CONNECT_TIMEOUT_S, application_name

log = logging.getLogger(__name__)

_KEY_HIGH = 0x4B6E6F77  # "Know"; the low 32 bits name the schema


def lock_key(schema: str) -> int:
    """The scheduler's advisory lock key for the job store in `schema`: a signed 64-bit number,
    "Know" in its high half and the CRC-32 of the schema's name in its low half."""
    return (_KEY_HIGH << 32) | zlib.crc32(schema.encode())


_CURRENT_SCHEMA = text("SELECT current_schema()")

# The holder's side of the lock's connection: libpq notices a silent peer within about 3 s
# (keepalive probes after 1 s idle, 1 s apart, 2 lost; or 2.5 s of data left unacknowledged).
HOLDER_GIVES_UP_S = 3
_HOLDER_TCP = {
    "keepalives": 1,
    "keepalives_idle": 1,
    "keepalives_interval": 1,
    "keepalives_count": 2,
    "tcp_user_timeout": 2500,
}
# The server's side, for this one session: it ends a silent holder's session (and frees the lock)
# only after about 8 s, well after the holder has stopped on its own.
SERVER_FREES_S = 8
_SERVER_TCP = {
    "tcp_keepalives_idle": 4,
    "tcp_keepalives_interval": 1,
    "tcp_keepalives_count": 4,
    "tcp_user_timeout": 8000,
}


class SchedulerBusy(Exception):
    """Another process already runs the scheduler on this database."""


class SchedulerLock:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._lock_engine: Engine | None = None
        self._connection: Connection | None = None
        self._fd: int | None = None
        self._held = False
        self._key: int | None = None  # PostgreSQL: lock_key of the connection's schema
        self._mutex = threading.Lock()  # one query at a time on the lock's connection

    @property
    def held(self) -> bool:
        return self._held

    def acquire(self) -> None:
        if not self.try_acquire():
            self.release()  # no standby's connection left open
            raise SchedulerBusy()

    def try_acquire(self) -> bool:
        """Take the lock if it is free: True when this process now holds it. A database that
        cannot be reached raises (the caller tries again later)."""
        with self._mutex:
            if self._held:
                return True
            url = self.engine.url
            if url.get_backend_name() == "postgresql":
                self._held = self._try_postgres()
            elif (path := lock_file(self.engine)) is not None:
                self._held = self._try_flock(path)
            else:
                self._held = True  # an in-memory database lives and dies with this process
            return self._held

    def _try_postgres(self) -> bool:
        """One attempt. A standby keeps its connection between attempts (one try a second would
        otherwise start a server process a second), and drops it when it fails."""
        if self._lock_engine is None:
            # Its own engine without a pool: the connection is closed for real when the lock is
            # given up, never handed back to a pool with a session-level lock still on it.
            self._lock_engine = create_engine(
                self.engine.url,
                poolclass=NullPool,
                connect_args={
                    "connect_timeout": PG_CONNECT_TIMEOUT_S,
                    "application_name": application_name(),  # `knowhow doctor` names the holder
                    **_HOLDER_TCP,
                },
            )
        if self._connection is None:
            connection = self._lock_engine.connect()
            try:
                for name, value in _SERVER_TCP.items():
                    connection.execute(text(f"SET {name} = {int(value)}"))
                connection.commit()
            except BaseException:
                _close(connection)
                raise
            self._connection = connection
        try:
            if self._key is None:
                self._key = lock_key(self._connection.execute(_CURRENT_SCHEMA).scalar_one())
            got = self._connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}).scalar()
            self._connection.commit()
        except BaseException:
            self._drop()
            raise
        return bool(got)

    def _try_flock(self, path: Path) -> bool:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def check(self) -> bool:
        """Is the lock still this process's? On PostgreSQL a trivial query on the lock's own
        connection: if it fails, the lock is given up here (the connection closed) and False."""
        with self._mutex:
            if not self._held:
                return False
            if self._connection is None:
                return True  # a flock, or an in-memory database
            # The session is there, so is its lock: nothing else ever unlocks it.
            try:
                self._connection.execute(text("SELECT 1")).scalar()
                self._connection.commit()
                return True
            except Exception as exc:
                log.warning("the scheduler's lock is lost: its database connection failed (%s)", type(exc).__name__)
                self._drop()
                return False

    def release(self) -> None:
        with self._mutex:
            if self._connection is not None and self._held:
                try:
                    self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
                    self._connection.commit()
                except Exception:
                    pass  # a connection that is gone took its lock with it
            self._drop()
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None
            self._held = False
            if self._lock_engine is not None:
                self._lock_engine.dispose()
                self._lock_engine = None

    def _drop(self) -> None:
        if self._connection is not None:
            _close(self._connection)
            self._connection = None
            self._held = False


def _close(connection: Connection) -> None:
    with contextlib.suppress(Exception):
        connection.invalidate()  # closes the socket: the server ends the session and its locks
    with contextlib.suppress(Exception):
        connection.close()


def lock_file(engine: Engine) -> Path | None:
    """SQLite: the file whose flock is the lock (None for an in-memory database, which no other
    process can share). None on PostgreSQL."""
    url = engine.url
    if url.get_backend_name() == "postgresql" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).with_name(Path(url.database).name + ".scheduler.lock")


@dataclass(frozen=True)
class Holder:
    """Who holds the scheduler's lock, as far as the database or the OS says."""

    pid: int | None  # PostgreSQL: the server's backend pid of the lock's session; SQLite: the process's
    application: str | None = None
    client_addr: str | None = None
    since: datetime | None = None
    backend: bool = False

    def __str__(self) -> str:
        if self.backend:
            parts = [f"the PostgreSQL session of backend pid {self.pid}"]
        else:
            parts = [f"process {self.pid}" if self.pid is not None else "a process this machine cannot name"]
        if self.application:
            parts.append(f"application “{self.application}”")
        if self.client_addr:
            parts.append(f"from {self.client_addr}")
        if self.since is not None:
            parts.append(f"connected since {self.since.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC")
        return ", ".join(parts)


def holder(engine: Engine) -> Holder | None:
    """Who runs the scheduler on this database now; None when nobody does. PostgreSQL: the
    session that holds the advisory lock (pg_locks, with pg_stat_activity's application name and
    client address). SQLite: a non-blocking try of the flock (let go at once), then /proc/locks for
    the holder's pid where the OS has it. Raises ValueError for an in-memory database."""
    if engine.url.get_backend_name() == "postgresql":
        with engine.connect() as connection:
            key = lock_key(connection.execute(_CURRENT_SCHEMA).scalar_one())
            row: Row | None = connection.execute(
                text(
                    "SELECT l.pid, a.application_name, host(a.client_addr), a.backend_start FROM pg_locks l "
                    "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                    "AND l.classid::bigint = :high AND l.objid::bigint = :low "
                    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"high": key >> 32, "low": key & 0xFFFFFFFF},
            ).first()
        if row is None:
            return None
        return Holder(pid=row[0], application=row[1] or None, client_addr=row[2] or None, since=row[3], backend=True)
    path = lock_file(engine)
    if path is None:
        raise ValueError("an in-memory database has no scheduler lock another process could see")
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None  # no scheduler ever ran beside this database
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return Holder(pid=_flock_pid(os.fstat(fd)))
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _flock_pid(stat: os.stat_result) -> int | None:
    """The pid holding a flock on the file `stat` describes, from Linux's /proc/locks."""
    wanted = f"{os.major(stat.st_dev):02x}:{os.minor(stat.st_dev):02x}:{stat.st_ino}"
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 12345 08:01:1234567 0 EOF"; a waiter's line has "->" after the id.
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == wanted:
            return int(fields[4])
    return None
