"""Calls for volunteers: an admin's post in a channel asking colleagues to mentor in a topic,
with the topic's demand kept current. What the post says of the demand is what the scoreboard
shows (core.scoreboard.topic_demand, core.privacy's rule); `demand` is the raw counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, select

from core import topics
from core.mentoring.requests import mentors_for
from core.mentoring.shared import (
    MAX_CALL_HOURS,
    MAX_CALL_WEEKS,
    MAX_GOAL_CHARS,
    OPEN_REQUEST,
    MentorError,
    call_row,
    clean,
    listed,
    topic_name,
)
from storage import workspaces
from storage.claims import claim_all
from storage.models import MentorCall, MentorRequest

# -- demand, and the calls for volunteers -------------------------------------------------------


@dataclass(frozen=True)
class Demand:
    """A topic's raw demand, for the rules (never shown as it is: core.scoreboard.topic_demand)."""

    topic: str
    seeking: int  # open requests
    volunteers: int  # volunteers offering the topic with a place free (not paused)


def demand(session: Session, *, team_id: str, topic_id: int) -> Demand:
    """The topic's demand across the organisation: people looking for a mentor in it in any of its
    workspaces, and volunteers (each person once) with a place free."""
    seeking = session.exec(
        select(func.count())
        .select_from(MentorRequest)
        .where(
            MentorRequest.team_id.in_(workspaces.pool(session, team_id=team_id)),
            MentorRequest.topic_id.in_(topics.pooled(session, team_id=team_id, topic_ids=[topic_id])),
            MentorRequest.state.in_(OPEN_REQUEST),
        )
    ).one()
    volunteers = sum(1 for m in mentors_for(session, team_id=team_id, topic_id=topic_id) if m.room > 0)
    return Demand(topic_name(session, team_id=team_id, topic_id=topic_id) or "", seeking, volunteers)


def create_call(
    session: Session,
    *,
    team_id: str,
    topic_id: int,
    goals: str,
    weeks: int,
    hours_per_month: int,
    channel_id: str,
    created_by: str,
    request_key: str | None,
    now: datetime,
) -> int:
    goals = clean(goals, MAX_GOAL_CHARS, what="The programme's goals", field="goals")
    if not goals:
        raise MentorError("Say what the programme is for: people volunteer for a purpose.", "goals")
    if not 1 <= weeks <= MAX_CALL_WEEKS:
        raise MentorError(f"The commitment is between 1 and {MAX_CALL_WEEKS} weeks.", "weeks")
    if not 1 <= hours_per_month <= MAX_CALL_HOURS:
        raise MentorError(f"Hours a month should be between 1 and {MAX_CALL_HOURS}.", "hours")
    listed(session, team_id, [topic_id])
    if request_key:
        existing = session.exec(
            select(MentorCall.id).where(MentorCall.team_id == team_id, MentorCall.request_id == request_key)
        ).first()
        if existing is not None:
            return existing
    row = MentorCall(
        team_id=team_id,
        topic_id=topic_id,
        goals=goals,
        weeks=weeks,
        hours_per_month=hours_per_month,
        channel_id=channel_id,
        created_by=created_by,
        request_id=request_key,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


@dataclass(frozen=True)
class CallInfo:
    id: int
    team_id: str
    topic_id: int
    goals: str
    weeks: int
    hours_per_month: int
    channel_id: str
    created_by: str
    message_ts: str | None
    version: int


def get_call(session: Session, *, team_id: str, call_id: int) -> CallInfo | None:
    row = call_row(session, team_id=team_id, call_id=call_id)
    if row is None:
        return None
    return CallInfo(
        row.id,
        row.team_id,
        row.topic_id,
        row.goals,
        row.weeks,
        row.hours_per_month,
        row.channel_id,
        row.created_by,
        row.message_ts,
        row.version,
    )


def set_call_post(session: Session, *, team_id: str, call_id: int, ts: str) -> None:
    session.execute(
        update(MentorCall)
        .where(MentorCall.id == call_id, MentorCall.team_id == team_id, MentorCall.message_ts.is_(None))
        .values(message_ts=ts)
    )


def bump_calls(session: Session, *, team_id: str, topic_ids: list[int]) -> list[tuple[str, int, int]]:
    """The demand in these topics changed: every call for volunteers in the organisation gets a
    new version to show (the call's workspace, call, version). Every call, not only those about
    these topics: a topic's count is shown as the scoreboard shows it, and whether the scoreboard
    may show it depends on the other topics' counts (core.scoreboard.complementary)."""
    if not [t for t in topic_ids if t is not None]:
        return []
    where = (MentorCall.team_id.in_(workspaces.pool(session, team_id=team_id)),)
    if not claim_all(session, MentorCall, *where, version=MentorCall.version + 1):
        return []
    # Read back under the rows' write locks: two bumps at once get two versions.
    return [
        tuple(r)
        for r in session.exec(
            select(MentorCall.team_id, MentorCall.id, MentorCall.version).where(*where).order_by(MentorCall.id)
        ).all()
    ]
