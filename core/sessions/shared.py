"""What every part of the session rules shares: the states, a session as plain data, the
outcomes callers branch on, and the one conditional UPDATE every transition is."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlmodel import Session, select

from storage.claims import claim
from storage.models import ExpertSession, SessionExpert

DEFAULT_MINUTES = 60
MAX_MINUTES = 240
MAX_TOPIC_CHARS = 150
MAX_EXPERTS = 10
# A session may start "now": a start up to this far in the past is accepted as now.
START_SLACK = timedelta(minutes=5)
CHASE_AFTER = timedelta(hours=1)
REMIND_AT = time(9, 0)


class State(enum.StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    MISSED = "missed"


LIVE = (State.SCHEDULED.value, State.OPEN.value)  # the states that still need alarms


class StartRule(enum.StrEnum):
    """Who may open a session on the spot (`/expert start`), a workspace's choice. Planning one
    ahead (`/expert schedule`) is for admins and the session's own experts, whatever this says."""

    ADMINS = "admins"
    EXPERTS = "experts"  # admins, and people who list the session's topic among theirs
    EVERYONE = "everyone"


DEFAULT_START_RULE = StartRule.EXPERTS


@dataclass(frozen=True)
class SessionInfo:
    """A session as plain data (safe to use after its database session closed)."""

    id: int
    team_id: str
    channel_id: str
    topic: str
    organiser_id: str
    experts: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    state: State
    announcement_ts: str | None
    summary_ts: str | None
    summary_version: int


def info_of(session: Session, row: ExpertSession) -> SessionInfo:
    experts = tuple(
        session.exec(
            select(SessionExpert.user_id)
            .where(SessionExpert.team_id == row.team_id, SessionExpert.session_id == row.id)
            .order_by(SessionExpert.user_id)
        )
    )
    return SessionInfo(
        id=row.id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        topic=row.topic,
        organiser_id=row.organiser_id,
        experts=experts,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        state=State(row.state),
        announcement_ts=row.announcement_ts,
        summary_ts=row.summary_ts,
        summary_version=row.summary_version,
    )


def row_of(session: Session, team_id: str, session_id: int) -> ExpertSession | None:
    session.expire_all()  # read what is committed now, not what this session saw earlier
    return session.exec(
        select(ExpertSession).where(ExpertSession.team_id == team_id, ExpertSession.id == session_id)
    ).first()


def get(session: Session, *, team_id: str, session_id: int) -> SessionInfo | None:
    row = row_of(session, team_id, session_id)
    return info_of(session, row) if row else None


def move(session: Session, info: SessionInfo, old: State, new: State, **values) -> bool:
    """The one transition: from `old` to `new`, won by exactly one caller."""
    return claim(
        session,
        ExpertSession,
        ExpertSession.team_id == info.team_id,
        ExpertSession.id == info.id,
        ExpertSession.state == old.value,
        state=new.value,
        **values,
    )


def may_manage(info: SessionInfo, user_id: str, is_admin: bool) -> bool:
    return is_admin or user_id == info.organiser_id or user_id in info.experts


class Refusal(enum.Enum):
    NO_TOPIC = "no_topic"
    NO_EXPERTS = "no_experts"
    TOO_MANY_EXPERTS = "too_many_experts"
    BAD_DURATION = "bad_duration"
    IN_PAST = "in_past"
    NOT_DESIGNATED = "not_designated"
    NOT_ALLOWED = "not_allowed"
    OVERLAP = "overlap"
    MAY_NOT_START = "may_not_start"  # on the spot: the workspace's StartRule says no


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    other: SessionInfo | None = None  # the session it overlaps
    rule: StartRule | None = None  # the rule that refused MAY_NOT_START


class Change(enum.Enum):
    DONE = "done"
    NOT_ALLOWED = "not_allowed"
    NOT_FOUND = "not_found"
    WRONG_STATE = "wrong_state"  # e.g. cancelling a session that already opened


@dataclass(frozen=True)
class Changed:
    outcome: Change
    session: SessionInfo | None = None


@dataclass(frozen=True)
class Transition:
    """What happened to a session; exactly one caller gets each."""

    new_state: State
    session: SessionInfo
