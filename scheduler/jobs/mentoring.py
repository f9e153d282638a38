"""The Mentor Center: the sweep of what time moves on (lapsed proposals, check-ins)."""

from __future__ import annotations

import logging

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.engine import Engine

from core.clock import utcnow
from notify import mentoring as notify_mentoring
from scheduler import runtime
from storage.db import session_scope

log = logging.getLogger(__name__)

MENTORING_SWEEP_JOB_ID = "mentoring:sweep"
MENTORING_SWEEP_SECONDS = 60


def sweep_mentoring() -> int:
    """Every minute: proposals with no answer in 3 days lapse (the protégé chooses again),
    halfway and end-of-term check-ins go out, terms nobody answered are completed, and any round
    of candidates not yet queued is queued. Each is claimed in the database, so a run twice over
    (or after a restart, catching up on what was missed) sends nothing twice."""
    with session_scope(runtime.engine()) as session:
        changed = notify_mentoring.sweep(session, utcnow())
    if changed:
        runtime.wake_outbox()
    return changed


def ensure_mentoring(_engine: Engine, scheduler: BaseScheduler) -> None:
    scheduler.add_job(
        sweep_mentoring,
        trigger="interval",
        seconds=MENTORING_SWEEP_SECONDS,
        id=MENTORING_SWEEP_JOB_ID,
        replace_existing=True,
        next_run_time=utcnow(),
    )
