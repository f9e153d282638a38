"""The life of a session once it is in the calendar: it opens, people ask in its channel, it
closes (on time or early) and its summary counts what was answered, deferred and left open.

Every transition is one conditional UPDATE from the state it leaves (`shared.move`), so a
duplicated job, a second process or a restart can never open or close a session twice.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_
from sqlmodel import Session, select

from core.accepting import NO_POST
from core.sessions.shared import (
    LIVE,
    Change,
    Changed,
    SessionInfo,
    State,
    Transition,
    get,
    info_of,
    may_manage,
    move,
    row_of,
)
from storage import search as search_index
from storage.claims import claim_all
from storage.models import Answer, Deferral, ExpertSession, Question, SessionExpert
from storage.upsert import insert_if_absent

# -- transitions -----------------------------------------------------------------------------


def advance(session: Session, *, team_id: str, session_id: int, now: datetime) -> Transition | None:
    """Bring one session's state up to `now`: open it if its window is running, close it if its
    window is over, mark it missed if the whole window passed before it could open. The one
    entry point of the scheduler's jobs and the start-up reconcile; None when nothing changed."""
    info = get(session, team_id=team_id, session_id=session_id)
    if info is None:
        return None
    if info.state is State.SCHEDULED and now >= info.starts_at:
        if now >= info.ends_at:
            if move(session, info, State.SCHEDULED, State.MISSED, closed_at=now):
                return Transition(State.MISSED, get(session, team_id=team_id, session_id=session_id))
            return None
        if move(session, info, State.SCHEDULED, State.OPEN, opened_at=now):
            return Transition(State.OPEN, get(session, team_id=team_id, session_id=session_id))
        return None
    if (
        info.state is State.OPEN
        and now >= info.ends_at
        and move(session, info, State.OPEN, State.CLOSED, closed_at=now)
    ):
        return Transition(State.CLOSED, get(session, team_id=team_id, session_id=session_id))
    return None


def due(session: Session, *, now: datetime, limit: int = 500, skip: Collection[str] = ()) -> list[tuple[str, int]]:
    """(team, session id) of every session whose state is behind the clock, across workspaces
    (but those in `skip`: workspaces whose installation is gone)."""
    rows = session.exec(
        select(ExpertSession.team_id, ExpertSession.id)
        .where(
            or_(
                (ExpertSession.state == State.SCHEDULED.value) & (ExpertSession.starts_at <= now),
                (ExpertSession.state == State.OPEN.value) & (ExpertSession.ends_at <= now),
            ),
            ExpertSession.team_id.not_in(sorted(skip)),
        )
        .order_by(ExpertSession.starts_at)
        .limit(limit)
        .execution_options(all_workspaces=True)  # the scheduler's sweep serves every workspace
    ).all()
    return [(t, i) for t, i in rows]


def pending(session: Session) -> list[tuple[str, int, datetime, datetime, str]]:
    """(team, id, starts_at, ends_at, state) of scheduled and open sessions: what needs alarms."""
    return [
        (r.team_id, r.id, r.starts_at, r.ends_at, r.state)
        for r in session.exec(
            # the sweep and the start-up reconcile set alarms for every workspace
            select(ExpertSession).where(ExpertSession.state.in_(LIVE)).execution_options(all_workspaces=True)
        )
    ]


def open_in(session: Session, *, team_id: str, channel_id: str) -> SessionInfo | None:
    row = session.exec(
        select(ExpertSession).where(
            ExpertSession.team_id == team_id,
            ExpertSession.channel_id == channel_id,
            ExpertSession.state == State.OPEN.value,
        )
    ).first()
    return info_of(session, row) if row else None


def close_now(
    session: Session, *, team_id: str, channel_id: str, user_id: str, is_admin: bool, now: datetime
) -> Changed | Transition:
    """`/expert close`: close the channel's open session early (its experts, organiser or an admin)."""
    info = open_in(session, team_id=team_id, channel_id=channel_id)
    if info is None:
        return Changed(Change.NOT_FOUND)
    if not may_manage(info, user_id, is_admin):
        return Changed(Change.NOT_ALLOWED, info)
    if not move(session, info, State.OPEN, State.CLOSED, closed_at=now, ends_at=min(now, info.ends_at)):
        return Changed(Change.WRONG_STATE, info)
    return Transition(State.CLOSED, get(session, team_id=team_id, session_id=info.id))


# -- questions in a session ------------------------------------------------------------------


def session_at(session: Session, *, team_id: str, channel_id: str, at: datetime) -> SessionInfo | None:
    """The session (open, or closed since) whose window held the moment `at` in a channel."""
    row = session.exec(
        select(ExpertSession).where(
            ExpertSession.team_id == team_id,
            ExpertSession.channel_id == channel_id,
            ExpertSession.state.in_((State.OPEN.value, State.CLOSED.value)),
            ExpertSession.starts_at <= at,
            ExpertSession.ends_at >= at,
        )
    ).first()
    return info_of(session, row) if row else None


def record_question(
    session: Session, *, team_id: str, channel_id: str, message_ts: str, user_id: str, text: str, at: datetime
) -> tuple[int, SessionInfo] | None:
    """A top-level message in a channel: a session question when it was posted in a session's
    window (even if its event is handled after the close, or is a retry) and its author is not
    one of the experts. Returns the question id and its session when it was recorded now."""
    info = session_at(session, team_id=team_id, channel_id=channel_id, at=at)
    if info is None or user_id in info.experts:
        return None
    created = insert_if_absent(
        session,
        Question,
        dict(
            team_id=team_id,
            asker_id=user_id,
            text=text,
            channel_id=channel_id,
            message_ts=message_ts,
            status="posted",
            posted_at=at,
            created_at=at,
            session_id=info.id,
            followed_up_at=at,  # the session's own answer-or-defer rule applies, not the 24 h follow-up
            shown_state=NO_POST,  # the person's own message: Knowhow has no post to update
        ),
    )
    if not created:
        return None
    question = session.exec(
        select(Question).where(
            Question.team_id == team_id, Question.channel_id == channel_id, Question.message_ts == message_ts
        )
    ).one()
    search_index.reindex_question(session, team_id=team_id, question_id=question.id)
    return question.id, info


@dataclass(frozen=True)
class SessionQuestion:
    id: int
    text: str
    asker_id: str
    message_ts: str
    answered: bool  # by one of the session's experts
    answered_in_window: bool
    deferred_to: date | None
    deferred_by: str | None  # the one expert who owes it now
    overdue: bool
    taken_from: str | None = None  # the expert it was taken over from
    permalink: str | None = None
    answered_at: datetime | None = None  # its first answer by one of the session's experts
    deferred_at: datetime | None = None  # when it was first deferred


def questions(session: Session, *, team_id: str, session_id: int, now: datetime) -> list[SessionQuestion]:
    info = get(session, team_id=team_id, session_id=session_id)
    if info is None:
        return []
    rows = list(
        session.exec(
            select(Question)
            .where(Question.team_id == team_id, Question.session_id == session_id)
            .order_by(Question.message_ts)
        )
    )
    ids = [q.id for q in rows]
    first_expert_answer: dict[int, datetime] = {}
    if ids:
        for question_id, answered_at in session.exec(
            select(Answer.question_id, Answer.answered_at)
            .join(SessionExpert, (SessionExpert.session_id == session_id) & (SessionExpert.user_id == Answer.author_id))
            .where(Answer.team_id == team_id, Answer.question_id.in_(ids), Answer.deleted_at.is_(None))
            .order_by(Answer.answered_at)
        ):
            first_expert_answer.setdefault(question_id, answered_at)
    deferrals = {
        d.question_id: d
        for d in session.exec(
            select(Deferral)
            .where(Deferral.team_id == team_id, Deferral.question_id.in_(ids or [-1]))
            .execution_options(populate_existing=True)  # as it stands after a claim in this transaction
        )
    }
    closed_at = info.ends_at
    out = []
    for q in rows:
        answered_at = first_expert_answer.get(q.id)
        deferral = deferrals.get(q.id)
        out.append(
            SessionQuestion(
                id=q.id,
                text=q.text,
                asker_id=q.asker_id,
                message_ts=q.message_ts,
                answered=answered_at is not None,
                answered_in_window=answered_at is not None and answered_at <= closed_at,
                deferred_to=deferral.due_date if deferral else None,
                deferred_by=deferral.expert_id if deferral else None,
                overdue=bool(deferral and answered_at is None and now >= deferral.overdue_at),
                taken_from=deferral.taken_from if deferral else None,
                permalink=q.permalink,
                answered_at=answered_at,
                deferred_at=deferral.created_at if deferral else None,
            )
        )
    return out


@dataclass(frozen=True)
class Summary:
    session: SessionInfo
    asked: int
    answered_in_window: int
    answered_later: int
    deferred: list[SessionQuestion] = field(default_factory=list)  # deferred and not answered yet
    open: list[SessionQuestion] = field(default_factory=list)  # neither answered nor deferred
    chased: bool = False  # the last call went out: open questions are "left open"


def summary(session: Session, *, team_id: str, session_id: int, now: datetime) -> Summary | None:
    info = get(session, team_id=team_id, session_id=session_id)
    if info is None:
        return None
    row = row_of(session, team_id, session_id)
    qs = questions(session, team_id=team_id, session_id=session_id, now=now)
    return Summary(
        session=info,
        asked=len(qs),
        answered_in_window=sum(q.answered_in_window for q in qs),
        answered_later=sum(q.answered and not q.answered_in_window for q in qs),
        deferred=[q for q in qs if not q.answered and q.deferred_to],
        open=[q for q in qs if not q.answered and not q.deferred_to],
        chased=row.chased_at is not None,
    )


def bump_summary(session: Session, *, team_id: str, session_id: int) -> int | None:
    """The closing summary must change (an answer or deferral came in): its new version, or None
    when the session has no summary (not closed yet)."""
    versions = claim_all(
        session,
        ExpertSession,
        ExpertSession.team_id == team_id,
        ExpertSession.id == session_id,
        ExpertSession.state == State.CLOSED.value,
        returning=ExpertSession.summary_version,
        summary_version=ExpertSession.summary_version + 1,
    )
    return versions[0] if versions else None


def session_of_question(session: Session, *, team_id: str, channel_id: str, thread_ts: str) -> int | None:
    """The session a thread's question belongs to (for answers arriving in it)."""
    return session.exec(
        select(Question.session_id).where(
            Question.team_id == team_id, Question.channel_id == channel_id, Question.message_ts == thread_ts
        )
    ).first()
