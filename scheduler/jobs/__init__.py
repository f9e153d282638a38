"""Scheduled jobs, one module per feature. Module-level functions with plain arguments, as
APScheduler's job store needs: it stores each job as a reference `module:function`.

Jobs stored before the split name this package (`scheduler.jobs:sweep_sessions`), so the names
below stay importable from here: renaming or removing one makes the job store drop its stored
jobs on load. Add a new function and leave the old name as an alias instead.
"""

from __future__ import annotations

from scheduler.jobs.ask import (
    EXPIRE_HELD_JOB_ID,
    FOLLOW_UP_JOB_ID,
    ensure_expire_held,
    expire_held_questions,
    follow_up_questions,
    follow_ups,
)
from scheduler.jobs.housekeeping import (
    PURGE_OUTBOX_JOB_ID,
    RETENTION_JOB_ID,
    apply_retention,
    ensure_housekeeping,
    housekeeping,
    purge_outbox,
)
from scheduler.jobs.mentoring import MENTORING_SWEEP_JOB_ID, ensure_mentoring, sweep_mentoring
from scheduler.jobs.scoreboard import SCOREBOARD_JOB_ID, ensure_scoreboard, sweep_scoreboard
from scheduler.jobs.sessions import (
    SESSION_SWEEP_JOB_ID,
    ensure_sessions,
    session_alarm,
    set_session_alarms,
    sweep_sessions,
)

# The reconcile steps that need no configuration; `reconcilers()` adds those that do.
RECONCILERS = (ensure_sessions, ensure_mentoring, ensure_expire_held)


def reconcilers(
    *, followup_hours: float, qa_channel: str | None, privacy_threshold: int, gone_retention_days: float = 30.0
):
    """Every feature's start-up reconcile step (DESIGN.md: the database is the source of truth)."""
    return (
        housekeeping(gone_retention_days),
        *RECONCILERS,
        follow_ups(followup_hours),
        ensure_scoreboard(qa_channel, privacy_threshold),
    )


__all__ = [
    "EXPIRE_HELD_JOB_ID",
    "FOLLOW_UP_JOB_ID",
    "MENTORING_SWEEP_JOB_ID",
    "PURGE_OUTBOX_JOB_ID",
    "RECONCILERS",
    "RETENTION_JOB_ID",
    "SCOREBOARD_JOB_ID",
    "SESSION_SWEEP_JOB_ID",
    "apply_retention",
    "ensure_expire_held",
    "ensure_housekeeping",
    "ensure_mentoring",
    "ensure_sessions",
    "expire_held_questions",
    "follow_up_questions",
    "follow_ups",
    "housekeeping",
    "purge_outbox",
    "reconcilers",
    "session_alarm",
    "set_session_alarms",
    "sweep_mentoring",
    "sweep_scoreboard",
    "sweep_sessions",
]
