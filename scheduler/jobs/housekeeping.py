"""Housekeeping: forget delivered outbox rows after a week, and what a workspace whose
installation is gone had queued once its retention period is over."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.engine import Engine

from core.clock import utcnow
from scheduler import runtime
from storage import outbox, workspaces
from storage.db import session_scope

log = logging.getLogger(__name__)


PURGE_OUTBOX_JOB_ID = "housekeeping:purge-outbox"
KEEP_SENT_FOR = timedelta(days=7)
DEFAULT_KEEP_HELD_DAYS = 30.0


def purge_outbox(keep_held_days: float = DEFAULT_KEEP_HELD_DAYS) -> int:
    """Forget outbox rows delivered more than a week ago (failed rows stay for inspection), and
    the rows held for workspaces whose installation has been gone longer than `keep_held_days`."""
    now = utcnow()
    with session_scope(runtime.engine()) as session:
        removed = outbox.purge_sent(session, before=now - KEEP_SENT_FOR)
        expired = workspaces.gone_before(session, before=now - timedelta(days=keep_held_days))
        dropped = outbox.purge_held(session, team_ids=expired)
    if removed:
        log.info("housekeeping: removed %d delivered outbox rows", removed)
    if dropped:
        log.info("housekeeping: dropped %d messages held for %d uninstalled workspace(s)", dropped, len(expired))
    return removed + dropped


def housekeeping(keep_held_days: float = DEFAULT_KEEP_HELD_DAYS):
    """The reconcile step that keeps the housekeeping job, with the configured retention."""
    return lambda engine, scheduler: ensure_housekeeping(engine, scheduler, keep_held_days)


def ensure_housekeeping(
    _engine: Engine, scheduler: BaseScheduler, keep_held_days: float = DEFAULT_KEEP_HELD_DAYS
) -> None:
    """Keep the recurring housekeeping job in the store, without pushing back its next run on
    every restart (a bot restarted more often than every 6 hours would otherwise never purge)."""
    existing = scheduler.get_job(PURGE_OUTBOX_JOB_ID)
    options = {"next_run_time": existing.next_run_time} if existing and existing.next_run_time else {}
    scheduler.add_job(
        purge_outbox,
        trigger="interval",
        hours=6,
        kwargs={"keep_held_days": keep_held_days},
        id=PURGE_OUTBOX_JOB_ID,
        replace_existing=True,
        **options,
    )
