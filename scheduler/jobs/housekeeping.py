"""Housekeeping: once a day, delete what each workspace keeps no longer (core.retention: ended
mentoring records, questions never posted, delivered outbox rows, each per the workspace's own
setting); every 6 hours, drop what a workspace whose installation is gone had queued once the
operator's retention period for it is over."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.engine import Engine

from core import retention
from core.clock import utcnow
from scheduler import runtime
from storage import outbox, workspaces
from storage.db import session_scope

log = logging.getLogger(__name__)


PURGE_OUTBOX_JOB_ID = "housekeeping:purge-outbox"
RETENTION_JOB_ID = "housekeeping:retention"
DEFAULT_KEEP_HELD_DAYS = 30.0


def purge_outbox(keep_held_days: float = DEFAULT_KEEP_HELD_DAYS) -> int:
    """Drop the rows held for workspaces whose installation has been gone longer than
    `keep_held_days`. (Delivered rows go by each workspace's retention: `apply_retention`.)"""
    now = utcnow()
    with session_scope(runtime.engine()) as session:
        expired = workspaces.gone_before(session, before=now - timedelta(days=keep_held_days))
        dropped = outbox.purge_held(session, team_ids=expired)
    if dropped:
        log.info("housekeeping: dropped %d messages held for %d uninstalled workspace(s)", dropped, len(expired))
    return dropped


def apply_retention(batch: int = retention.BATCH) -> retention.Swept:
    """Delete what is past each workspace's retention, as of now, a batch at a time (each in a
    transaction of its own) until nothing past it is left. Safe to run twice, or late."""
    now = utcnow()
    total = retention.Swept()
    while True:
        with session_scope(runtime.engine()) as session:
            swept = retention.sweep(session, now=now, batch=batch)
        total.add(swept)
        if not swept.more or not swept.total:
            break
    if total.total:
        # Facts, no content: how many of each, never whose.
        log.info(
            "retention: deleted %d ended mentorships, %d finished mentor requests, %d questions never posted, "
            "%d help-channel records, %d dead letters, %d delivered outbox rows",
            total.mentorships,
            total.requests,
            total.questions,
            total.help_threads,
            total.dead_letters,
            total.sent,
        )
    return total


def housekeeping(keep_held_days: float = DEFAULT_KEEP_HELD_DAYS):
    """The reconcile step that keeps the housekeeping jobs, with the configured retention."""
    return lambda engine, scheduler: ensure_housekeeping(engine, scheduler, keep_held_days)


def ensure_housekeeping(
    _engine: Engine, scheduler: BaseScheduler, keep_held_days: float = DEFAULT_KEEP_HELD_DAYS
) -> None:
    """Keep the recurring housekeeping jobs in the store, without pushing back their next run on
    every restart (a bot restarted more often than once a day would otherwise never purge)."""
    _keep(scheduler, PURGE_OUTBOX_JOB_ID, purge_outbox, hours=6, kwargs={"keep_held_days": keep_held_days})
    _keep(scheduler, RETENTION_JOB_ID, apply_retention, days=1)


def _keep(scheduler: BaseScheduler, job_id: str, func, *, kwargs: dict | None = None, **interval) -> None:
    existing = scheduler.get_job(job_id)
    options = {"next_run_time": existing.next_run_time} if existing and existing.next_run_time else {}
    scheduler.add_job(
        func, trigger="interval", kwargs=kwargs or {}, id=job_id, replace_existing=True, **interval, **options
    )
