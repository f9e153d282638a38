"""A job that leaves a trace, so tests can count its runs across scheduler restarts.

APScheduler stores jobs by reference ("module:function"), so it must be a module-level function.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path


def leave_trace(path: str, tag: str) -> None:
    with Path(path).open("a") as out:
        out.write(tag + "\n")


def leave_trace_slowly(path: str, tag: str, seconds: float) -> None:
    """A job still running a moment after it was started (what settle() must wait for)."""
    time.sleep(seconds)
    leave_trace(path, tag)


def add_a_job_slowly(path: str, seconds: float) -> None:
    """A job that adds a job (as the session sweep sets alarms) while the scheduler stops."""
    from scheduler import runtime

    scheduler = runtime.current()
    leave_trace(path, "started")
    time.sleep(seconds)
    scheduler.add_job(leave_trace, trigger="date", run_date=datetime.now(UTC), args=[path, "late"], id="test:late")
    leave_trace(path, "added")
