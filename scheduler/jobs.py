"""Scheduled jobs. Module-level functions with plain arguments, as APScheduler's job store needs.

Renaming a function here makes the job store drop its stored jobs on load: add a new function
and leave the old name as an alias instead.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.engine import Engine

from core import followup
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


FOLLOW_UP_JOB_ID = "ask:follow-up-unanswered"
FOLLOW_UP_EVERY_MINUTES = 10


def follow_up_questions(after_hours: float) -> int:
    """Raise, once, each question unanswered for `after_hours`: queue a reply in its thread
    (shown in the channel too) and a private note to the asker. Idempotent: a question is
    claimed before anything is queued, and each message is queued once per question."""
    from bot import ids

    now = utcnow()
    raised = 0
    with session_scope(runtime.engine()) as session:
        for team_id, question_id in followup.due_followups(session, now=now, after=timedelta(hours=after_hours)):
            if not followup.mark_followed_up(session, team_id=team_id, question_id=question_id, now=now):
                continue
            for kind, key in (
                (ids.OUTBOX_FOLLOW_UP_THREAD, "followup-thread"),
                (ids.OUTBOX_FOLLOW_UP_ASKER, "followup-asker"),
            ):
                outbox.enqueue(
                    session,
                    team_id=team_id,
                    dedupe_key=f"question:{question_id}:{key}",
                    kind=kind,
                    payload={"question_id": question_id},
                )
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


# -- Ask the Expert sessions --------------------------------------------------------------------

SESSION_SWEEP_JOB_ID = "sessions:sweep"
SESSION_SWEEP_SECONDS = 30


def _session_alarm_id(session_id: int, which: str) -> str:
    return f"session:{session_id}:{which}"


def session_alarm(team_id: str, session_id: int) -> bool:
    """At a session's start or end: bring its state up to now and queue what to say. Idempotent:
    a second run, or a run of the sweep at the same moment, finds nothing to do."""
    from bot.listeners import sessions as edge
    from core import sessions

    with session_scope(runtime.engine()) as session:
        transition = sessions.advance(session, team_id=team_id, session_id=session_id, now=utcnow())
        if transition is not None:
            edge.queue_transition(session, transition)
    if transition is not None:
        log.info("session %s: %s", session_id, transition.new_state.value)
        runtime.wake_outbox()
    return transition is not None


def set_session_alarms(scheduler: BaseScheduler, team_id: str, session_id: int, starts_at, ends_at, state: str) -> None:
    """One date job at the start (while scheduled) and one at the end, replacing any earlier ones.
    A time already past fires at once (no misfire limit)."""
    if state == "scheduled":
        scheduler.add_job(
            session_alarm,
            trigger="date",
            run_date=starts_at,
            args=[team_id, session_id],
            id=_session_alarm_id(session_id, "start"),
            replace_existing=True,
        )
    scheduler.add_job(
        session_alarm,
        trigger="date",
        run_date=ends_at,
        args=[team_id, session_id],
        id=_session_alarm_id(session_id, "end"),
        replace_existing=True,
    )


def sweep_sessions() -> int:
    """The safety net behind the alarms, every 30 s: sessions whose state is behind the clock
    (a lost job, a session scheduled by a replica), the last call to experts an hour after close,
    deferral reminders and overdue deferrals. Then make sure every pending session has alarms."""
    from bot.listeners import sessions as edge
    from core import sessions

    now = utcnow()
    changed = 0
    with session_scope(runtime.engine()) as session:
        for team_id, session_id in sessions.due(session, now=now):
            transition = sessions.advance(session, team_id=team_id, session_id=session_id, now=now)
            if transition is not None:
                edge.queue_transition(session, transition)
                changed += 1
        for team_id, session_id in sessions.due_chases(session, now=now):
            if sessions.mark_chased(session, team_id=team_id, session_id=session_id, now=now):
                edge.queue_last_call(session, team_id=team_id, session_id=session_id)
                changed += 1
        for team_id, question_id in sessions.due_reminders(session, now=now):
            if sessions.mark_reminded(session, team_id=team_id, question_id=question_id, now=now):
                edge.queue_reminder(session, team_id=team_id, question_id=question_id)
                changed += 1
        for team_id, session_id in sessions.note_overdue(session, now=now):
            edge.queue_summary_refresh(session, team_id=team_id, session_id=session_id)
            changed += 1
        pending = sessions.pending(session)
    scheduler = runtime.current()
    if scheduler is not None:
        for team_id, session_id, starts_at, ends_at, state in pending:
            if scheduler.get_job(_session_alarm_id(session_id, "end")) is None:
                set_session_alarms(scheduler, team_id, session_id, starts_at, ends_at, state)
    if changed:
        runtime.wake_outbox()
    return changed


def ensure_sessions(_engine: Engine, scheduler: BaseScheduler) -> None:
    """At start: the sweep job, and alarms for every scheduled or open session (a restart, or
    alarms lost with a job store that was reset). The sweep's first run catches up at once on
    whatever happened while Knowhow was down."""
    from core import sessions

    with session_scope(_engine) as session:
        pending = sessions.pending(session)
    for team_id, session_id, starts_at, ends_at, state in pending:
        set_session_alarms(scheduler, team_id, session_id, starts_at, ends_at, state)
    scheduler.add_job(
        sweep_sessions,
        trigger="interval",
        seconds=SESSION_SWEEP_SECONDS,
        id=SESSION_SWEEP_JOB_ID,
        replace_existing=True,
        next_run_time=utcnow(),
    )


# -- the Mentor Center ----------------------------------------------------------------------------

MENTORING_SWEEP_JOB_ID = "mentoring:sweep"
MENTORING_SWEEP_SECONDS = 60


def sweep_mentoring() -> int:
    """Every minute: proposals with no answer in 3 days lapse (the protégé chooses again),
    halfway and end-of-term check-ins go out, terms nobody answered are completed, and any round
    of candidates not yet queued is queued. Each is claimed in the database, so a run twice over
    (or after a restart, catching up on what was missed) sends nothing twice."""
    from bot.listeners import mentor as edge

    with session_scope(runtime.engine()) as session:
        changed = edge.sweep(session, utcnow())
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


# -- the weekly scoreboard ----------------------------------------------------------------------

SCOREBOARD_JOB_ID = "scoreboard:sweep"
SCOREBOARD_EVERY_MINUTES = 5


def sweep_scoreboard(qa_channel: str | None, privacy_threshold: int = 3) -> int:
    """Every five minutes: store each week's figures once it ends (and any week missed while
    Knowhow was down), and queue the latest week's post once. Runs at start too, so a post due
    while Knowhow was down goes out as soon as it is back."""
    from bot.config import Settings
    from bot.listeners import scoreboard as edge

    settings = Settings(qa_channel=qa_channel, privacy_threshold=privacy_threshold)
    with session_scope(runtime.engine()) as session:
        queued = edge.sweep(session, settings, utcnow())
    if queued:
        log.info("scoreboard: %d weekly post(s) queued", queued)
        runtime.wake_outbox()
    return queued


def scoreboard(qa_channel: str | None, privacy_threshold: int):
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


RECONCILERS = (ensure_housekeeping, ensure_sessions, ensure_mentoring)
