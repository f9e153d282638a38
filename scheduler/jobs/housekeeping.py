"""Housekeeping: forget delivered outbox rows after a week."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.engine import Engine

from core.clock import utcnow
from scheduler import runtime
from storage import outbox
from storage.db import session_scope

log = logging.getLogger(__name__)


PURGE_OUTBOX_JOB_ID = "housekeeping:purge-outbox"
KEEP_SENT_FOR = timedelta(days=7)


def purge_outbox() -> int:
    """Forget outbox rows delivered more than a week ago (failed rows stay for inspection)."""
    with session_scope(runtime.engine()) as session:
        removed = outbox.purge_sent(session, before=utcnow() - KEEP_SENT_FOR)
    if removed:
        log.info("housekeeping: removed %d delivered outbox rows", removed)
    return removed


def ensure_housekeeping(_engine: Engine, scheduler: BaseScheduler) -> None:
    """Keep the recurring housekeeping job in the store, without pushing back its next run on
    every restart (a bot restarted more often than every 6 hours would otherwise never purge)."""
    existing = scheduler.get_job(PURGE_OUTBOX_JOB_ID)
    options = {"next_run_time": existing.next_run_time} if existing and existing.next_run_time else {}
    scheduler.add_job(
        purge_outbox,
        trigger="interval",
        hours=6,
        id=PURGE_OUTBOX_JOB_ID,
        replace_existing=True,
        **options,
    )
