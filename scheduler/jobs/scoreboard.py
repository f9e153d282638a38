"""The weekly scoreboard: each week's figures stored once it ends, and its post queued."""

from __future__ import annotations

import logging

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.engine import Engine

from core.clock import utcnow
from notify import scoreboard as notify_scoreboard
from scheduler import runtime
from storage import workspaces
from storage.db import session_scope

log = logging.getLogger(__name__)

SCOREBOARD_JOB_ID = "scoreboard:sweep"
SCOREBOARD_EVERY_MINUTES = 5


def sweep_scoreboard(qa_channel: str | None, privacy_threshold: int = 3) -> int:
    """Every five minutes: store each week's figures once it ends (and any week missed while
    Knowhow was down), and queue the latest week's post once. Runs at start too, so a post due
    while Knowhow was down goes out as soon as it is back."""
    # `privacy_threshold` is kept for the jobs stored with it; the post applies it when it is sent.
    with session_scope(runtime.engine()) as session:
        queued = notify_scoreboard.sweep(session, qa_channel=qa_channel, now=utcnow(), skip=workspaces.gone(session))
    if queued:
        log.info("scoreboard: %d weekly post(s) queued", queued)
        runtime.wake_outbox()
    return queued


def ensure_scoreboard(qa_channel: str | None, privacy_threshold: int):
    def ensure(_engine: Engine, scheduler: BaseScheduler) -> None:
        scheduler.add_job(
            sweep_scoreboard,
            trigger="interval",
            minutes=SCOREBOARD_EVERY_MINUTES,
            args=[qa_channel, privacy_threshold],
            id=SCOREBOARD_JOB_ID,
            replace_existing=True,
            next_run_time=utcnow(),
        )

    return ensure
