"""One scheduler per job store: a lock held for as long as the scheduler runs.

APScheduler 3 has no coordination between schedulers sharing a job store; two would run every
job twice. PostgreSQL: a session-level advisory lock on a connection kept open for the purpose.
SQLite (one machine): an exclusive `flock` on a file beside the database.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, Row

SCHEDULER_LOCK_KEY = 0x4B6E6F7753636864  # "KnowSchd"


class SchedulerBusy(Exception):
    """Another process already runs the scheduler on this database."""


class SchedulerLock:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._connection: Connection | None = None
        self._fd: int | None = None

    def acquire(self) -> None:
        url = self.engine.url
        if url.get_backend_name() == "postgresql":
            connection = self.engine.connect()
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULER_LOCK_KEY}).scalar()
            connection.commit()
            if not got:
                connection.close()
                raise SchedulerBusy()
            self._connection = connection
        elif (path := lock_file(self.engine)) is not None:
            fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise SchedulerBusy() from None
            self._fd = fd

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEDULER_LOCK_KEY})
                self._connection.commit()
            finally:
                self._connection.close()
                self._connection = None
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


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
            row: Row | None = connection.execute(
                text(
                    "SELECT l.pid, a.application_name, host(a.client_addr), a.backend_start FROM pg_locks l "
                    "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                    "AND l.classid::bigint = :high AND l.objid::bigint = :low "
                    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"high": SCHEDULER_LOCK_KEY >> 32, "low": SCHEDULER_LOCK_KEY & 0xFFFFFFFF},
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
