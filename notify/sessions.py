"""Ask the Expert sessions: what must be said when a session is scheduled, opens, closes, is
missed or cancelled, when a question comes in its channel, and when an expert defers one.
Both the /expert listeners and the scheduler's alarms queue through here."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from core import sessions
from core.clock import utcnow
from core.sessions import State
from notify import home, kinds, queue
from storage import outbox, qa


def list_key(session_id: int, expert_id: str, *, last_call: bool) -> str:
    """The outbox key of one expert's list of a session's questions (at the close, or the last call)."""
    return f"session:{session_id}:{'last-call' if last_call else 'list'}:{expert_id}"


def note_key(question_id: int) -> str:
    """The outbox key of the one note in a deferred question's thread (later changes update it)."""
    return f"question:{question_id}:deferred-note"


def queue_announcement(session: Session, *, team_id: str, session_id: int) -> None:
    """A session was scheduled: announce it in its channel."""
    queue(session, team_id, f"session:{session_id}:announce", kinds.OUTBOX_SESSION_ANNOUNCE, session_id=session_id)


def queue_cancelled(session: Session, *, team_id: str, session_id: int) -> None:
    """A session was cancelled: its announcement says so."""
    queue(
        session,
        team_id,
        f"session:{session_id}:announce-cancelled",
        kinds.OUTBOX_SESSION_ANNOUNCE_UPDATE,
        session_id=session_id,
    )


def queue_transition(session: Session, transition: sessions.Transition) -> bool:
    """A session opened, closed or was missed: what each of those says. Whether anything was queued."""
    info = transition.session
    if transition.new_state is State.OPEN:
        queue(session, info.team_id, f"session:{info.id}:opened", kinds.OUTBOX_SESSION_OPENED, session_id=info.id)
    elif transition.new_state is State.CLOSED:
        queue(session, info.team_id, f"session:{info.id}:summary", kinds.OUTBOX_SESSION_SUMMARY, session_id=info.id)
        for expert in info.experts:
            queue(
                session,
                info.team_id,
                list_key(info.id, expert, last_call=False),
                kinds.OUTBOX_SESSION_EXPERT_LIST,
                session_id=info.id,
                expert_id=expert,
                last_call=False,
            )
    elif transition.new_state is State.MISSED:
        queue(session, info.team_id, f"session:{info.id}:missed", kinds.OUTBOX_SESSION_MISSED, session_id=info.id)
        queue(
            session,
            info.team_id,
            f"session:{info.id}:announce-missed",
            kinds.OUTBOX_SESSION_ANNOUNCE_UPDATE,
            session_id=info.id,
        )
    else:
        return False
    return True


def queue_last_call(session: Session, *, team_id: str, session_id: int) -> bool:
    """An hour after the close: each expert gets the questions still neither answered nor deferred."""
    info = sessions.get(session, team_id=team_id, session_id=session_id)
    for expert in info.experts:
        queue(
            session,
            team_id,
            list_key(session_id, expert, last_call=True),
            kinds.OUTBOX_SESSION_EXPERT_LIST,
            session_id=session_id,
            expert_id=expert,
            last_call=True,
        )
    queue_summary_refresh(session, team_id=team_id, session_id=session_id, bump=False)
    return True


def queue_summary_refresh(session: Session, *, team_id: str, session_id: int, bump: bool = True) -> bool:
    """The closing summary shows something new: one update per summary version, and the experts'
    lists (which show the same questions from each expert's side) follow with it."""
    version = (
        sessions.bump_summary(session, team_id=team_id, session_id=session_id)
        if bump
        else (sessions.get(session, team_id=team_id, session_id=session_id).summary_version)
    )
    if version is None:
        return False
    queue(
        session,
        team_id,
        f"session:{session_id}:summary-v{version}",
        kinds.OUTBOX_SESSION_SUMMARY_REFRESH,
        session_id=session_id,
    )
    queue(
        session,
        team_id,
        f"session:{session_id}:lists-v{version}",
        kinds.OUTBOX_SESSION_LISTS_REFRESH,
        session_id=session_id,
    )
    return True


def queue_lists_refresh(session: Session, *, team_id: str, session_id: int) -> None:
    """Every expert's list shown again as it stands, nothing having changed: after a refused
    date, so the picker no longer shows the day that was refused."""
    queue(
        session,
        team_id,
        f"session:{session_id}:lists-again:{uuid.uuid4().hex}",
        kinds.OUTBOX_SESSION_LISTS_REFRESH,
        session_id=session_id,
    )


def queue_reminder(session: Session, *, team_id: str, question_id: int) -> bool:
    """The day an expert promised to answer a deferred question: remind them (once a day at most)."""
    queue(
        session,
        team_id,
        f"question:{question_id}:reminder:{utcnow():%Y%m%d}",
        kinds.OUTBOX_SESSION_REMINDER,
        question_id=question_id,
    )
    return True


def queue_deferred(session: Session, *, team_id: str, result: sessions.Deferred) -> bool:
    """A question was deferred, its date moved, or another expert took it over: the one note in
    its thread says who answers it by when (posted once, then updated in place), the summary and
    every expert's list follow, the expert it was taken from is told privately, and the Homes
    that show it are refreshed."""
    if result.outcome not in (sessions.DeferOutcome.DEFERRED, sessions.DeferOutcome.TAKEN_OVER):
        return False
    question_id = result.question_id
    first_note = queue(
        session, team_id, note_key(question_id), kinds.OUTBOX_SESSION_DEFERRED_NOTE, question_id=question_id
    )
    # The note is rendered when sent: an update still waiting covers this change too.
    if not first_note and not outbox.waiting(
        session, team_id=team_id, dedupe_prefix=f"question:{question_id}:note-update:"
    ):
        queue(
            session,
            team_id,
            f"question:{question_id}:note-update:{uuid.uuid4().hex}",
            kinds.OUTBOX_SESSION_DEFERRED_NOTE,
            question_id=question_id,
            update=True,
        )
    if result.outcome is sessions.DeferOutcome.TAKEN_OVER:
        queue(
            session,
            team_id,
            f"question:{question_id}:taken-from:{result.previous}:{uuid.uuid4().hex}",
            kinds.OUTBOX_SESSION_TAKEN_OVER,
            question_id=question_id,
            expert_id=result.holder,
            previous_id=result.previous,
            due=result.due_date.isoformat(),
        )
    queue_summary_refresh(session, team_id=team_id, session_id=result.session_id)
    home.queue_refresh(session, team_id, result.holder, result.previous, result.asker_id)
    return True


def top_level_message(
    session: Session, *, team_id: str, channel_id: str, message_ts: str, user_id: str, text: str, at: datetime
) -> bool:
    """A person's top-level message: a session question if a session is open in that channel."""
    recorded = sessions.record_question(
        session, team_id=team_id, channel_id=channel_id, message_ts=message_ts, user_id=user_id, text=text, at=at
    )
    if recorded is None:
        return False
    question_id, info = recorded
    queue(session, team_id, f"question:{question_id}:ack", kinds.OUTBOX_SESSION_ACK, question_id=question_id)
    if info.state is State.CLOSED:  # asked just before the close, handled after it
        queue_summary_refresh(session, team_id=team_id, session_id=info.id)
    return True


def answer_changed(session: Session, *, team_id: str, channel_id: str, thread_ts: str) -> bool:
    """An answer came, changed or went in a question's thread: a closed session's summary follows."""
    session_id = sessions.session_of_question(session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)
    if session_id is None:
        return False
    # The asker's Home shows the question answered (or not), the expert's what they still owe.
    question = qa.find_question_by_post(session, team_id=team_id, channel_id=channel_id, message_ts=thread_ts)
    if question is not None:
        deferral = qa.get_deferral(session, team_id=team_id, question_id=question.id)
        home.queue_refresh(session, team_id, question.asker_id, deferral.expert_id if deferral else "")
    info = sessions.get(session, team_id=team_id, session_id=session_id)
    if info is None or info.state is not State.CLOSED:
        return False
    return queue_summary_refresh(session, team_id=team_id, session_id=session_id)
