"""Putting sessions in the calendar: the channels that host them, scheduling (one session at a
time per channel), starting one now (who may: the workspace's `StartRule`), cancelling one that
has not opened."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from core import expertise
from core.sessions.lifecycle import advance
from core.sessions.shared import (
    DEFAULT_MINUTES,
    DEFAULT_START_RULE,
    LIVE,
    MAX_EXPERTS,
    MAX_MINUTES,
    MAX_TOPIC_CHARS,
    START_SLACK,
    Change,
    Changed,
    Refusal,
    Refused,
    SessionInfo,
    StartRule,
    State,
    Transition,
    get,
    info_of,
    may_manage,
    move,
)
from storage import workspaces
from storage.claims import claim
from storage.models import DesignatedChannel, ExpertSession, SessionExpert
from storage.upsert import insert_if_absent

# -- designated channels -------------------------------------------------------------------


MAX_NAME_CHARS = 80  # Slack's longest channel name


@dataclass(frozen=True)
class HostChannel:
    """A channel that hosts sessions, and its name as Slack last gave it (None: not known yet)."""

    channel_id: str
    name: str | None


def designate(session: Session, *, team_id: str, channel_id: str, user_id: str, name: str | None = None) -> bool:
    """Make a channel host sessions. False when it already did (its name is updated all the same)."""
    name = (name or "").strip()[:MAX_NAME_CHARS] or None
    added = insert_if_absent(
        session, DesignatedChannel, dict(team_id=team_id, channel_id=channel_id, added_by=user_id, name=name)
    )
    if not added and name:
        name_channel(session, team_id=team_id, channel_id=channel_id, name=name)
    return added


def name_channel(session: Session, *, team_id: str, channel_id: str, name: str) -> None:
    """Remember a hosting channel's name, as Slack gave it."""
    session.execute(
        update(DesignatedChannel)
        .where(DesignatedChannel.team_id == team_id, DesignatedChannel.channel_id == channel_id)
        .values(name=name.strip()[:MAX_NAME_CHARS])
    )


def undesignate(session: Session, *, team_id: str, channel_id: str) -> bool:
    row = session.get(DesignatedChannel, (team_id, channel_id))
    if row is None:
        return False
    session.delete(row)
    return True


def designated(session: Session, *, team_id: str) -> list[str]:
    return list(
        session.exec(
            select(DesignatedChannel.channel_id)
            .where(DesignatedChannel.team_id == team_id)
            .order_by(DesignatedChannel.added_at)
        )
    )


def hosts(session: Session, *, team_id: str) -> list[HostChannel]:
    """The channels that host sessions, with their names, in the order they were added."""
    rows = session.exec(
        select(DesignatedChannel.channel_id, DesignatedChannel.name)
        .where(DesignatedChannel.team_id == team_id)
        .order_by(DesignatedChannel.added_at)
    )
    return [HostChannel(channel_id, name) for channel_id, name in rows]


def _hosts_sessions(session: Session, *, team_id: str, channel_id: str) -> bool:
    return session.get(DesignatedChannel, (team_id, channel_id)) is not None


# -- who may start a session on the spot -------------------------------------------------------


def start_rule(session: Session, *, team_id: str) -> StartRule:
    """The workspace's rule for `/expert start` (the default until an admin chooses)."""
    stored = workspaces.session_start_rule(session, team_id=team_id)
    try:
        return StartRule(stored) if stored else DEFAULT_START_RULE
    except ValueError:
        return DEFAULT_START_RULE


def set_start_rule(session: Session, *, team_id: str, rule: StartRule) -> bool:
    """Choose who may open sessions on the spot (kept even when it is the default, so a later
    change of default does not change it). False when that was already the rule."""
    changed = start_rule(session, team_id=team_id) is not rule
    workspaces.set_session_start_rule(session, team_id=team_id, rule=rule.value)
    return changed


def may_start(session: Session, *, team_id: str, user_id: str, topic: str, is_admin: bool) -> bool:
    """May this person open a session on `topic` now, with themselves as its expert?"""
    rule = start_rule(session, team_id=team_id)
    if is_admin or rule is StartRule.EVERYONE:
        return True
    if rule is StartRule.EXPERTS:  # a topic is stored as Slack escapes text: matched as typed
        return expertise.lists_topic_in(session, team_id=team_id, user_id=user_id, text=html.unescape(topic))
    return False


# -- the calendar ----------------------------------------------------------------------------


def upcoming(session: Session, *, team_id: str) -> list[SessionInfo]:
    """Scheduled and open sessions, soonest first."""
    query = select(ExpertSession).where(ExpertSession.team_id == team_id, ExpertSession.state.in_(LIVE))
    return [info_of(session, row) for row in session.exec(query.order_by(ExpertSession.starts_at))]


def schedule(
    session: Session,
    *,
    team_id: str,
    organiser_id: str,
    channel_id: str,
    topic: str,
    experts: list[str],
    starts_at: datetime,
    minutes: int = DEFAULT_MINUTES,
    is_admin: bool,
    now: datetime,
    request_id: str | None = None,
) -> SessionInfo | Refused:
    """Schedule a session. Admins and the session's own experts may."""
    topic = " ".join((topic or "").split())
    experts = list(dict.fromkeys(experts))
    if not topic or len(topic) > MAX_TOPIC_CHARS:
        return Refused(Refusal.NO_TOPIC)
    if not experts:
        return Refused(Refusal.NO_EXPERTS)
    if len(experts) > MAX_EXPERTS:
        return Refused(Refusal.TOO_MANY_EXPERTS)
    if not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
        return Refused(Refusal.BAD_DURATION)
    if starts_at < now - START_SLACK:
        return Refused(Refusal.IN_PAST)
    if not (is_admin or organiser_id in experts):
        return Refused(Refusal.NOT_ALLOWED)
    # Take the channel's row for writing before looking for clashes, so two organisers cannot book
    # one window at once: a no-op UPDATE locks the row on PostgreSQL and takes SQLite's write lock
    # (a plain SELECT would let both read "free" and both write).
    locked = claim(
        session,
        DesignatedChannel,
        DesignatedChannel.team_id == team_id,
        DesignatedChannel.channel_id == channel_id,
        added_by=DesignatedChannel.added_by,
    )
    if not locked:
        return Refused(Refusal.NOT_DESIGNATED)
    if request_id:
        existing = session.exec(
            select(ExpertSession).where(ExpertSession.team_id == team_id, ExpertSession.request_id == request_id)
        ).first()
        if existing is not None:
            return info_of(session, existing)
    starts_at = max(starts_at, now)
    ends_at = starts_at + timedelta(minutes=minutes)
    clash = _overlap(session, team_id=team_id, channel_id=channel_id, starts_at=starts_at, ends_at=ends_at)
    if clash is not None:
        return Refused(Refusal.OVERLAP, info_of(session, clash))
    row = ExpertSession(
        team_id=team_id,
        channel_id=channel_id,
        topic=topic,
        organiser_id=organiser_id,
        starts_at=starts_at,
        ends_at=ends_at,
        request_id=request_id,
    )
    session.add(row)
    session.flush()
    for user_id in experts:
        session.add(SessionExpert(session_id=row.id, user_id=user_id, team_id=team_id))
    session.flush()
    return info_of(session, row)


def _overlap(
    session: Session, *, team_id: str, channel_id: str, starts_at: datetime, ends_at: datetime
) -> ExpertSession | None:
    """A scheduled or open session in the channel whose window meets [starts_at, ends_at)."""
    return session.exec(
        select(ExpertSession).where(
            ExpertSession.team_id == team_id,
            ExpertSession.channel_id == channel_id,
            ExpertSession.state.in_(LIVE),
            ExpertSession.starts_at < ends_at,
            ExpertSession.ends_at > starts_at,
        )
    ).first()


def set_post(
    session: Session,
    *,
    team_id: str,
    session_id: int,
    announcement_ts: str | None = None,
    summary_ts: str | None = None,
) -> None:
    """Remember where a session's announcement or summary was posted."""
    values = {k: v for k, v in (("announcement_ts", announcement_ts), ("summary_ts", summary_ts)) if v}
    if values:
        session.execute(
            update(ExpertSession)
            .where(ExpertSession.team_id == team_id, ExpertSession.id == session_id)
            .values(**values)
        )


def cancel(session: Session, *, team_id: str, session_id: int, user_id: str, is_admin: bool, now: datetime) -> Changed:
    info = get(session, team_id=team_id, session_id=session_id)
    if info is None:
        return Changed(Change.NOT_FOUND)
    if not may_manage(info, user_id, is_admin):
        return Changed(Change.NOT_ALLOWED, info)
    if not move(session, info, State.SCHEDULED, State.CANCELLED, cancelled_at=now):
        return Changed(Change.WRONG_STATE, get(session, team_id=team_id, session_id=session_id))
    return Changed(Change.DONE, get(session, team_id=team_id, session_id=session_id))


def start_now(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    channel_id: str,
    topic: str,
    now: datetime,
    is_admin: bool,
    request_id: str | None = None,
) -> Transition | Refused:
    """`/expert start <topic>`: a session now, for the default duration, with its starter as its
    expert, in a channel that hosts sessions and has none at that time. Who may: the workspace's
    `StartRule` (admins always). A refusal changes nothing."""
    if not " ".join((topic or "").split()):
        return Refused(Refusal.NO_TOPIC)
    if not _hosts_sessions(session, team_id=team_id, channel_id=channel_id):
        return Refused(Refusal.NOT_DESIGNATED)
    if not may_start(session, team_id=team_id, user_id=user_id, topic=topic, is_admin=is_admin):
        return Refused(Refusal.MAY_NOT_START, rule=start_rule(session, team_id=team_id))
    info = schedule(
        session,
        team_id=team_id,
        organiser_id=user_id,
        channel_id=channel_id,
        topic=topic,
        experts=[user_id],
        starts_at=now,
        is_admin=is_admin,
        now=now,
        request_id=request_id,
    )
    if isinstance(info, Refused):
        return info
    return advance(session, team_id=team_id, session_id=info.id, now=now) or Transition(info.state, info)
