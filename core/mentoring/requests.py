"""Requests and matching: a protégé asks, candidates are ranked (core.matching) and offered in
rounds, and a request nobody fits waits until someone does.

Matching reads the organisation's pool: every volunteer of every workspace of the organisation
who offers the request's topic (by key: core.topics), with their load counted across the
organisation. A person who volunteers in two workspaces of one organisation (a Grid user id is the
same in each) is one mentor: the offer made in the protégé's workspace counts, else their latest."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, select

from core import matching, topics
from core.mentoring.shared import (
    MAX_FIELD_CHARS,
    MAX_GOAL_CHARS,
    NEVER_AGAIN,
    OPEN_REQUEST,
    TAKES_A_PLACE,
    WORKED_TOGETHER,
    CandidateOutcome,
    MentorError,
    Offered,
    RequestState,
    candidate_row,
    clean,
    listed,
    request_row,
    topic_name,
    volunteer_topics,
)
from storage import tally, workspaces
from storage.claims import claim
from storage.models import MentorCandidate, MentorProfile, MentorRequest, Mentorship, Volunteer, VolunteerTopic


class RequestOutcome(enum.StrEnum):
    OFFERED = "offered"  # candidates are on their way to the protégé
    WAITING = "waiting"  # nobody fits yet: matched as soon as someone does
    ALREADY = "already"  # the protégé has an open request in this topic


@dataclass
class Requested(Offered):
    request_id: int = 0
    outcome: RequestOutcome = RequestOutcome.WAITING
    topic: str = ""
    topic_id: int = 0


def ask_for_mentor(
    session: Session,
    *,
    team_id: str,
    protege_id: str,
    topic_id: int,
    goal: str,
    location_pref: str = "any",
    role_pref: str = "any",
    target_role: str | None = None,
    request_key: str | None = None,
    unlisted_ok: bool = False,
    now: datetime,
) -> Requested:
    """A private request for a mentor. `unlisted_ok`: the topic was named by the protégé
    (request_topic) and need not be on the mentoring list."""
    goal = clean(goal, MAX_GOAL_CHARS, what="What you want to achieve", field="goal")
    if not goal:
        raise MentorError("Say what you want to achieve, so a mentor knows how to help.", "goal")
    if location_pref not in ("any", "same") or role_pref not in ("any", "mine", "target"):
        raise MentorError("Choose one of the preferences offered.", "preferences")
    target_role = clean(target_role, MAX_FIELD_CHARS, what="The role you are moving into", field="target_role") or None
    if role_pref == "target" and not target_role:
        raise MentorError("Say which role you are moving into, or choose another preference.", "target_role")
    if not unlisted_ok:
        listed(session, team_id, [topic_id])
    name = topic_name(session, team_id=team_id, topic_id=topic_id) or ""
    if not name:
        raise MentorError("That topic is not known here; choose another.", "topics")
    if request_key:
        replay = session.exec(
            select(MentorRequest).where(MentorRequest.team_id == team_id, MentorRequest.request_id == request_key)
        ).first()
        if replay is not None:
            return Requested(request_id=replay.id, outcome=_outcome(replay.state), topic=name, topic_id=topic_id)
    existing = session.exec(
        select(MentorRequest).where(
            MentorRequest.team_id == team_id,
            MentorRequest.protege_id == protege_id,
            MentorRequest.topic_id == topic_id,
            MentorRequest.state.in_(OPEN_REQUEST),
        )
    ).first()
    if existing is not None:
        return Requested(request_id=existing.id, outcome=RequestOutcome.ALREADY, topic=name, topic_id=topic_id)
    row = MentorRequest(
        team_id=team_id,
        protege_id=protege_id,
        topic_id=topic_id,
        goal=goal,
        location_pref=location_pref,
        role_pref=role_pref,
        target_role=target_role,
        request_id=request_key,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    tally.stored(session, tally.MENTOR_REQUEST)
    offered = offer(session, team_id=team_id, request_id=row.id, now=now)
    return Requested(
        rounds=offered.rounds,
        request_id=row.id,
        outcome=RequestOutcome.OFFERED if offered.rounds else RequestOutcome.WAITING,
        topic=name,
        topic_id=topic_id,
    )


def _outcome(state: str) -> RequestOutcome:
    return RequestOutcome.WAITING if state == RequestState.WAITING else RequestOutcome.OFFERED


def mentors_for(session: Session, *, team_id: str, topic_id: int) -> list[matching.Mentor]:
    """Everyone in `team_id`'s organisation offering `topic_id` (by key, in any of its workspaces),
    with their room and how often they are on offer, counted across the organisation. Each
    mentor's `team_id` is the workspace of the offer that counts (the request's own first)."""
    pool = workspaces.pool(session, team_id=team_id)
    # Columns, not rows: a topic may have hundreds of volunteers, and each ORM object costs.
    rows = session.exec(
        select(
            Volunteer.user_id,
            Volunteer.team_id,
            Volunteer.joined_at,
            Volunteer.capacity,
            Volunteer.paused,
            MentorProfile.role,
            MentorProfile.years_in_role,
            MentorProfile.location,
            MentorProfile.tz_offset,
        )
        .join(
            VolunteerTopic,
            (VolunteerTopic.team_id == Volunteer.team_id) & (VolunteerTopic.user_id == Volunteer.user_id),
        )
        .outerjoin(
            MentorProfile, (MentorProfile.team_id == Volunteer.team_id) & (MentorProfile.user_id == Volunteer.user_id)
        )
        .where(
            Volunteer.team_id.in_(pool),
            VolunteerTopic.topic_id.in_(topics.pooled(session, team_id=team_id, topic_ids=[topic_id])),
            Volunteer.left_at.is_(None),
        )
    ).all()
    if not rows:
        return []
    # One offer per person: the one in the request's workspace, else the latest made.
    best = {}
    for row in sorted(rows, key=lambda r: (r.team_id == team_id, r.joined_at, r.team_id)):
        best[row.user_id] = row
    users = sorted(best)
    load = dict(
        session.exec(
            select(Mentorship.mentor_id, func.count())
            .where(Mentorship.team_id.in_(pool), Mentorship.mentor_id.in_(users), Mentorship.state.in_(TAKES_A_PLACE))
            .group_by(Mentorship.mentor_id)
        ).all()
    )
    on_offer = dict(
        session.exec(
            select(MentorCandidate.mentor_id, func.count())
            .where(
                MentorCandidate.team_id.in_(pool),
                MentorCandidate.mentor_id.in_(users),
                MentorCandidate.outcome.is_(None),
            )
            .group_by(MentorCandidate.mentor_id)
        ).all()
    )
    return [
        matching.Mentor(
            user_id=r.user_id,
            topics=frozenset({topic_id}),
            capacity=r.capacity,
            load=load.get(r.user_id, 0),
            on_offer=on_offer.get(r.user_id, 0),
            role=r.role,
            years=r.years_in_role,
            location=r.location,
            tz_offset=r.tz_offset or 0,
            paused=r.paused,
            team_id=r.team_id,
        )
        for r in (best[u] for u in users)
    ]


def _as_request(session: Session, row: MentorRequest) -> matching.Request:
    profile = session.get(MentorProfile, (row.team_id, row.protege_id))
    excluded = set(
        session.exec(
            select(MentorCandidate.mentor_id).where(
                MentorCandidate.team_id == row.team_id,
                MentorCandidate.request_id == row.id,
                MentorCandidate.outcome.in_(NEVER_AGAIN),
            )
        )
    )
    # Anyone they already worked with in this topic, in any workspace of the organisation.
    excluded |= set(
        session.exec(
            select(Mentorship.mentor_id).where(
                Mentorship.team_id.in_(workspaces.pool(session, team_id=row.team_id)),
                Mentorship.protege_id == row.protege_id,
                Mentorship.topic_id.in_(topics.pooled(session, team_id=row.team_id, topic_ids=[row.topic_id])),
                Mentorship.state.in_(WORKED_TOGETHER),
            )
        )
    )
    return matching.Request(
        protege_id=row.protege_id,
        topic_id=row.topic_id,
        role=profile.role if profile else None,
        target_role=row.target_role,
        role_pref=row.role_pref,
        location=profile.location if profile else None,
        location_pref=row.location_pref,
        tz_offset=profile.tz_offset if profile else 0,
        excluded=frozenset(excluded),
    )


def offer(session: Session, *, team_id: str, request_id: int, now: datetime) -> Offered:
    """Rank candidates for a request that is waiting or choosing, and offer them (a new round),
    or leave it waiting when nobody fits. Candidates still on offer from an earlier round are
    replaced."""
    row = request_row(session, team_id=team_id, request_id=request_id)
    if row is None:
        return Offered()
    team_id = row.team_id  # the request's own workspace (the caller may be the mentor's)
    # The request's row, for writing and only from waiting or choosing: two offers for one
    # request (a decline and the sweep) take turns, and a request chosen or withdrawn meanwhile
    # is left alone.
    this = (
        MentorRequest.team_id == team_id,
        MentorRequest.id == request_id,
        MentorRequest.state.in_((RequestState.WAITING, RequestState.CHOOSING)),
    )
    if not claim(session, MentorRequest, *this, updated_at=now):
        return Offered()
    session.execute(
        update(MentorCandidate)
        .where(
            MentorCandidate.team_id == team_id,
            MentorCandidate.request_id == request_id,
            MentorCandidate.outcome.is_(None),
        )
        .values(outcome=CandidateOutcome.REPLACED)
    )
    request = _as_request(session, row)
    # Replaced candidates may be offered again (they did nothing wrong); their rows are renewed.
    best = matching.rank(request, mentors_for(session, team_id=team_id, topic_id=row.topic_id))
    if not best:
        session.execute(update(MentorRequest).where(*this).values(state=RequestState.WAITING, updated_at=now))
        return Offered()
    session.execute(
        update(MentorRequest)
        .where(*this)
        .values(round=MentorRequest.round + 1, state=RequestState.CHOOSING, updated_at=now)
    )
    round_ = session.exec(
        select(MentorRequest.round).where(MentorRequest.team_id == team_id, MentorRequest.id == request_id)
    ).one()
    for i, c in enumerate(best, 1):
        existing = candidate_row(session, team_id=team_id, request_id=request_id, mentor_id=c.mentor_id)
        if existing is None:
            session.add(
                MentorCandidate(
                    request_id=request_id,
                    mentor_id=c.mentor_id,
                    team_id=team_id,
                    round=round_,
                    rank=i,
                    reason=c.reason,
                    offered_at=now,
                )
            )
        else:
            existing.round, existing.rank, existing.reason, existing.outcome, existing.offered_at = (
                round_,
                i,
                c.reason,
                None,
                now,
            )
            session.add(existing)
    session.flush()
    return Offered(rounds=[(request_id, round_)])


def offer_waiting(session: Session, *, team_id: str, topic_ids: list[int], now: datetime) -> Offered:
    """Offer candidates to every request waiting in these topics, in any workspace of the
    organisation, oldest first (someone just volunteered, resumed or has room again)."""
    out = Offered()
    for _, team, request_id in sorted(_waiting(session, team_id=team_id, topic_ids=topic_ids)):
        out.rounds += offer(session, team_id=team, request_id=request_id, now=now).rounds
    return out


def _waiting(session: Session, *, team_id: str, topic_ids: list[int]) -> set[tuple[datetime, str, int]]:
    """The requests waiting in these topics across the organisation: (created, workspace, id),
    which sorted is the one order every transaction offers (and so locks) them in."""
    if not topic_ids:
        return set()
    return set(
        session.exec(
            select(MentorRequest.created_at, MentorRequest.team_id, MentorRequest.id).where(
                MentorRequest.team_id.in_(workspaces.pool(session, team_id=team_id)),
                MentorRequest.state == RequestState.WAITING,
                MentorRequest.topic_id.in_(topics.pooled(session, team_id=team_id, topic_ids=topic_ids)),
            )
        ).all()
    )


@dataclass(frozen=True)
class OnOffer:
    request_id: int
    protege_id: str
    topic: str
    goal: str
    round: int
    state: RequestState
    candidates: list[tuple[str, str]]  # (mentor id, reason), best first
    team_id: str = ""  # the protégé's workspace, where the request lives


def on_offer(session: Session, *, team_id: str, request_id: int) -> OnOffer | None:
    row = request_row(session, team_id=team_id, request_id=request_id)
    if row is None:
        return None
    candidates = session.exec(
        select(MentorCandidate.mentor_id, MentorCandidate.reason)
        .where(
            MentorCandidate.team_id == row.team_id,
            MentorCandidate.request_id == request_id,
            MentorCandidate.outcome.is_(None),
        )
        .order_by(MentorCandidate.rank)
    ).all()
    return OnOffer(
        row.id,
        row.protege_id,
        topic_name(session, team_id=team_id, topic_id=row.topic_id) or "",
        row.goal,
        row.round,
        RequestState(row.state),
        [tuple(c) for c in candidates],
        row.team_id,
    )


def place_freed(session: Session, *, team_id: str, mentor_id: str, now: datetime) -> None:
    """One of the mentor's places is free again (a proposal ended, a mentorship finished):
    requests waiting anywhere in the organisation, in any topic they offer, may now find them."""
    places_freed(session, [(team_id, mentor_id)], now=now)


def places_freed(session: Session, freed: Iterable[tuple[str, str]], *, now: datetime) -> None:
    """Places freed for these (workspace, mentor)s: every request waiting for any of them is
    offered candidates, all in one order (oldest first), so that two transactions freeing places
    at once lock the waiting requests in the same order and never each hold what the other waits
    for. The rounds this starts are not returned (callers report their own request's round); the
    edge's safety net queues them."""
    waiting: set[tuple[datetime, str, int]] = set()
    for team_id, mentor_id in set(freed):
        offers = session.exec(
            select(Volunteer).where(
                Volunteer.team_id.in_(workspaces.pool(session, team_id=team_id)),
                Volunteer.user_id == mentor_id,
                Volunteer.left_at.is_(None),
                Volunteer.paused.is_(False),
            )
        ).all()
        for row in offers:
            topic_ids = volunteer_topics(session, team_id=row.team_id, user_id=mentor_id)
            waiting |= _waiting(session, team_id=row.team_id, topic_ids=topic_ids)
    for _, team, request_id in sorted(waiting):
        offer(session, team_id=team, request_id=request_id, now=now)


def lock_requests(session: Session, keys: Iterable[tuple[str, int]]) -> None:
    """Take these requests' rows for writing, in one order (workspace, id), before a transaction
    that ends several proposals touches any of them (a no-op UPDATE locks a row on PostgreSQL and
    takes SQLite's write lock)."""
    for team_id, request_id in sorted(set(keys)):
        session.execute(
            update(MentorRequest)
            .where(MentorRequest.team_id == team_id, MentorRequest.id == request_id)
            .values(updated_at=MentorRequest.updated_at)
        )


@dataclass(frozen=True)
class RequestBrief:
    id: int
    protege_id: str
    topic_id: int
    round: int
    state: RequestState
    team_id: str = ""  # the protégé's workspace, where the request lives


def request_brief(session: Session, *, team_id: str, request_id: int) -> RequestBrief | None:
    """Whose request it is, where, in which topic and round: None when it is not of this
    workspace's organisation."""
    row = request_row(session, team_id=team_id, request_id=request_id)
    if row is None:
        return None
    return RequestBrief(row.id, row.protege_id, row.topic_id, row.round, RequestState(row.state), row.team_id)


def unsent_rounds(session: Session, *, team_id: str | None, since: datetime) -> list[tuple[str, int, int]]:
    """(team, request, round) of every request choosing whose round was offered since `since`,
    in `team_id`'s organisation (a volunteer in one workspace offers rounds to another's).
    `team_id=None` reads every workspace: deliberately, for the sweep's safety net, which runs
    once for all of them."""
    query = select(MentorRequest.team_id, MentorRequest.id, MentorRequest.round).where(
        MentorRequest.state == RequestState.CHOOSING, MentorRequest.updated_at >= since
    )
    if team_id is None:
        query = query.execution_options(all_workspaces=True)  # the sweep's safety net, once for all
    else:
        query = query.where(MentorRequest.team_id.in_(workspaces.pool(session, team_id=team_id)))
    return [tuple(row) for row in session.exec(query.order_by(MentorRequest.id)).all()]
