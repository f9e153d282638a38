"""One scheduler per job store: a lock held for as long as the scheduler runs.

APScheduler 3 has no coordination between schedulers sharing a job store; two would run every
job twice. PostgreSQL: a session-level advisory lock on a connection kept open for the purpose.
SQLite (one machine): an exclusive `flock` on a file beside the database.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

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
        elif url.database and url.database != ":memory:":
            fd = os.open(
                Path(url.database).with_name(Path(url.database).name + ".scheduler.lock"), os.O_CREAT | os.O_RDWR, 0o600
            )
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
