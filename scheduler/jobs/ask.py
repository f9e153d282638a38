"""Asking: the follow-up of questions nobody answered, and held questions nobody chose for."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.engine import Engine

from core import asking, followup
from core.clock import utcnow
from notify import ask as notify_ask
from scheduler import runtime
from storage import workspaces
from storage.db import session_scope

log = logging.getLogger(__name__)


FOLLOW_UP_JOB_ID = "ask:follow-up-unanswered"
FOLLOW_UP_EVERY_MINUTES = 10
EXPIRE_HELD_JOB_ID = "ask:expire-held"
EXPIRE_HELD_EVERY_MINUTES = 10


def follow_up_questions(after_hours: float) -> int:
    """Raise, once, each question unanswered for `after_hours`: queue a reply in its thread
    (shown in the channel too) and a private note to the asker. Idempotent: a question is
    claimed before anything is queued, and each message is queued once per question."""

    now = utcnow()
    raised = 0
    with session_scope(runtime.engine()) as session:
        gone = workspaces.gone(session)  # nothing is raised where Knowhow is no longer installed
        for team_id, question_id in followup.due_followups(
            session, now=now, after=timedelta(hours=after_hours), skip=gone
        ):
            if not followup.mark_followed_up(session, team_id=team_id, question_id=question_id, now=now):
                continue
            notify_ask.queue_follow_ups(session, team_id=team_id, question_id=question_id)
            raised += 1
    if raised:
        log.info("follow-up: raised %d unanswered question(s)", raised)
    return raised


def follow_ups(after_hours: float):
    """The reconcile step that keeps the periodic follow-up job, with the configured delay.

    One periodic job rather than a job per question: the database says which questions are due,
    so a restart, a missed run or a replica that queued a question cannot lose a follow-up."""

    def ensure(_engine: Engine, scheduler: BaseScheduler) -> None:
        existing = scheduler.get_job(FOLLOW_UP_JOB_ID)
        options = {"next_run_time": existing.next_run_time} if existing and existing.next_run_time else {}
        scheduler.add_job(
            follow_up_questions,
            trigger="interval",
            minutes=FOLLOW_UP_EVERY_MINUTES,
            args=[after_hours],
            id=FOLLOW_UP_JOB_ID,
            replace_existing=True,
            **options,
        )

    return ensure


def expire_held_questions() -> int:
    """Held questions whose asker has not chosen in `asking.HELD_EXPIRES_AFTER`: expired, and the
    asker told once. Idempotent: each is claimed before its note is queued, so a run twice over or
    a run after a restart (catching up on what was missed) tells nobody twice."""
    with session_scope(runtime.engine()) as session:
        expired = asking.expire_held(session, now=utcnow())
        for team_id, question_id in expired:
            notify_ask.held_expired(session, team_id=team_id, question_id=question_id)
    if expired:
        log.info("expired %d held question(s) nobody chose for", len(expired))
        runtime.wake_outbox()
    return len(expired)


def ensure_expire_held(_engine: Engine, scheduler: BaseScheduler) -> None:
    scheduler.add_job(
        expire_held_questions,
        trigger="interval",
        minutes=EXPIRE_HELD_EVERY_MINUTES,
        id=EXPIRE_HELD_JOB_ID,
        replace_existing=True,
        next_run_time=utcnow(),
    )
