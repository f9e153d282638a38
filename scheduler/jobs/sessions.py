"""Ask the Expert sessions: alarms at each session's start and end, and the sweep behind them."""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.engine import Engine

from core import sessions
from core.clock import utcnow
from notify import sessions as notify_sessions
from scheduler import runtime
from storage import workspaces
from storage.db import session_scope

log = logging.getLogger(__name__)

SESSION_SWEEP_JOB_ID = "sessions:sweep"
SESSION_SWEEP_SECONDS = 30


def _session_alarm_id(session_id: int, which: str) -> str:
    return f"session:{session_id}:{which}"


def session_alarm(team_id: str, session_id: int) -> bool:
    """At a session's start or end: bring its state up to now and queue what to say. Idempotent:
    a second run, or a run of the sweep at the same moment, finds nothing to do."""
    now = utcnow()
    with session_scope(runtime.engine()) as session:
        if workspaces.is_gone(session, team_id=team_id):  # uninstalled: the session waits for its return
            return False
        transition = sessions.advance(session, team_id=team_id, session_id=session_id, now=now)
        if transition is not None:
            notify_sessions.queue_transition(session, transition)
    if transition is not None:
        log.info(
            "session %s: %s",
            session_id,
            transition.new_state.value,
            extra={"team": team_id, "session_id": session_id},
        )
        _observe_lag(transition, now)
        runtime.wake_outbox()
    return transition is not None


def _observe_lag(transition: sessions.Transition, now: datetime) -> None:
    """How late the session was opened or closed, against the time it was due: opened (or missed,
    its whole window passed before it could open) against its start, closed against its end."""
    info = transition.session
    if transition.new_state is sessions.State.CLOSED:
        runtime.observe_lag("close", (now - info.ends_at).total_seconds())
    elif transition.new_state in (sessions.State.OPEN, sessions.State.MISSED):
        runtime.observe_lag("open", (now - info.starts_at).total_seconds())


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
    now = utcnow()
    changed = 0
    transitions: list[sessions.Transition] = []
    with session_scope(runtime.engine()) as session:
        # A workspace whose installation is gone is passed over: its sessions are neither opened
        # nor closed until it installs Knowhow again (then a window that passed counts as missed).
        gone = workspaces.gone(session)
        for team_id, session_id in sessions.due(session, now=now, skip=gone):
            transition = sessions.advance(session, team_id=team_id, session_id=session_id, now=now)
            if transition is not None:
                notify_sessions.queue_transition(session, transition)
                transitions.append(transition)
                changed += 1
        for team_id, session_id in sessions.due_chases(session, now=now):
            if team_id in gone:
                continue
            if sessions.mark_chased(session, team_id=team_id, session_id=session_id, now=now):
                notify_sessions.queue_last_call(session, team_id=team_id, session_id=session_id)
                changed += 1
        for team_id, question_id in sessions.due_reminders(session, now=now):
            if team_id in gone:
                continue
            if sessions.mark_reminded(session, team_id=team_id, question_id=question_id, now=now):
                notify_sessions.queue_reminder(session, team_id=team_id, question_id=question_id)
                changed += 1
        for team_id, session_id in sessions.note_overdue(session, now=now):
            if team_id in gone:
                continue
            notify_sessions.queue_summary_refresh(session, team_id=team_id, session_id=session_id)
            changed += 1
        pending = sessions.pending(session)
    for transition in transitions:  # committed
        _observe_lag(transition, now)
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
