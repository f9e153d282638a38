"""Proposals and consent: the protégé chooses a candidate, that mentor is asked privately and
accepts (the mentorship starts) or declines; a proposal that lapses, or whose request or mentor
goes, ends, and the request goes back to choosing."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from core.mentoring.requests import lock_requests, mentors_for, offer, place_freed, places_freed
from core.mentoring.shared import (
    ANSWER_WITHIN,
    OPEN_REQUEST,
    CandidateOutcome,
    MentorshipState,
    Offered,
    RequestState,
    candidate_row,
    mentorship_row,
    request_row,
)
from storage import tally, workspaces
from storage.claims import claim
from storage.models import MentorCandidate, MentorRequest, Mentorship, Volunteer


class ChooseOutcome(enum.StrEnum):
    ASKED = "asked"
    GONE = "gone"  # that candidate is no longer available: fresh candidates follow
    STALE = "stale"  # the request has moved on (already chosen, matched or withdrawn)


@dataclass
class Chosen(Offered):
    outcome: ChooseOutcome = ChooseOutcome.STALE
    mentorship_id: int | None = None


def choose(
    session: Session, *, team_id: str, request_id: int, protege_id: str, mentor_id: str, now: datetime
) -> Chosen:
    """The protégé picks a candidate: that mentor is asked (they have ANSWER_WITHIN to answer).
    The mentor may volunteer in another workspace of the organisation: the mentorship lives in
    the request's workspace and records the mentor's (`mentor_team_id`)."""
    # The mentor's rows first (their offers in every workspace of the organisation), for writing:
    # two protégés picking the same mentor with one place left take turns, wherever each asked (a
    # no-op UPDATE locks the rows on PostgreSQL and takes SQLite's write lock).
    session.execute(
        update(Volunteer)
        .where(Volunteer.team_id.in_(workspaces.pool(session, team_id=team_id)), Volunteer.user_id == mentor_id)
        .values(capacity=Volunteer.capacity)
    )
    row = request_row(session, team_id=team_id, request_id=request_id)
    if row is None or row.protege_id != protege_id or row.state != RequestState.CHOOSING:
        return Chosen()
    team_id = row.team_id  # the request's own workspace
    candidate = candidate_row(session, team_id=team_id, request_id=request_id, mentor_id=mentor_id)
    if candidate is None or candidate.round != row.round:
        return Chosen()
    still = [m for m in mentors_for(session, team_id=team_id, topic_id=row.topic_id) if m.user_id == mentor_id]
    if candidate.outcome is not None or not still or still[0].room <= 0:
        if candidate.outcome is None:
            candidate.outcome = CandidateOutcome.REPLACED
            session.add(candidate)
        return Chosen(
            outcome=ChooseOutcome.GONE, rounds=offer(session, team_id=team_id, request_id=request_id, now=now).rounds
        )
    # The request, from the round it was offered in to asking: of two choices at once (two
    # clicks, two devices) one claims it, and the other is told the list is out of date.
    if not claim(
        session,
        MentorRequest,
        MentorRequest.team_id == team_id,
        MentorRequest.id == request_id,
        MentorRequest.state == RequestState.CHOOSING,
        MentorRequest.round == candidate.round,
        state=RequestState.ASKING,
        updated_at=now,
    ):
        return Chosen()
    this_request = (MentorCandidate.team_id == team_id, MentorCandidate.request_id == request_id)
    session.execute(
        update(MentorCandidate)
        .where(*this_request, MentorCandidate.outcome.is_(None))
        .values(outcome=CandidateOutcome.REPLACED)
    )
    session.execute(
        update(MentorCandidate)
        .where(*this_request, MentorCandidate.mentor_id == mentor_id)
        .values(outcome=CandidateOutcome.CHOSEN)
    )
    m = Mentorship(
        team_id=team_id,
        request_id=request_id,
        mentor_id=mentor_id,
        mentor_team_id=still[0].team_id or team_id,
        protege_id=protege_id,
        topic_id=row.topic_id,
        proposed_at=now,
        answer_by=now + ANSWER_WITHIN,
    )
    session.add(m)
    session.flush()
    return Chosen(outcome=ChooseOutcome.ASKED, mentorship_id=m.id)


class AnswerOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    STALE = "stale"  # already answered, lapsed or withdrawn


@dataclass
class Answered(Offered):
    outcome: AnswerOutcome = AnswerOutcome.STALE


def answer(
    session: Session, *, team_id: str, mentorship_id: int, mentor_id: str, accept: bool, now: datetime
) -> Answered:
    """The asked mentor accepts (the mentorship starts now) or declines (no reason needed; the
    protégé is offered other candidates, never this mentor again for this request). The mentor
    answers from their own workspace; the mentorship lives in the protégé's."""
    m = mentorship_row(session, team_id=team_id, mentorship_id=mentorship_id)
    if m is None or m.mentor_id != mentor_id:
        return Answered()
    team_id = m.team_id
    if accept:
        # The request first (as withdraw_request and _end_proposal take it): of an accept and a
        # withdrawal at once, exactly one wins.
        if m.state != MentorshipState.PROPOSED or not claim(
            session,
            MentorRequest,
            MentorRequest.team_id == team_id,
            MentorRequest.id == m.request_id,
            MentorRequest.state == RequestState.ASKING,
            state=RequestState.MATCHED,
            updated_at=now,
        ):
            return Answered()
        started = claim(
            session,
            Mentorship,
            Mentorship.team_id == team_id,
            Mentorship.id == mentorship_id,
            Mentorship.state == MentorshipState.PROPOSED,
            state=MentorshipState.ACTIVE,
            started_at=now,
            halfway_at=now + timedelta(weeks=m.weeks) / 2,
            ends_at=now + timedelta(weeks=m.weeks),
        )
        if started:
            tally.stored(session, tally.MENTORSHIP)
        if not started:  # the request is asking another mentor: leave it so
            session.execute(
                update(MentorRequest)
                .where(
                    MentorRequest.team_id == team_id,
                    MentorRequest.id == m.request_id,
                    MentorRequest.state == RequestState.MATCHED,
                )
                .values(state=RequestState.ASKING)
            )
            return Answered()
        session.refresh(m)
        return Answered(outcome=AnswerOutcome.ACCEPTED)
    if not end_proposal(session, m, MentorshipState.DECLINED, now):
        return Answered()
    return Answered(
        outcome=AnswerOutcome.DECLINED, rounds=offer(session, team_id=team_id, request_id=m.request_id, now=now).rounds
    )


def end_proposal(
    session: Session, m: Mentorship, state: MentorshipState, now: datetime, *, free_place: bool = True
) -> bool:
    """A proposal that will not become a mentorship: the request goes back to choosing. A caller
    that ends several at once frees the mentors' places itself, afterwards (`places_freed`)."""
    request = (MentorRequest.team_id == m.team_id, MentorRequest.id == m.request_id)
    # The request's row first, as everything that ends or accepts a proposal takes it.
    session.execute(update(MentorRequest).where(*request).values(updated_at=MentorRequest.updated_at))
    if not claim(
        session,
        Mentorship,
        Mentorship.team_id == m.team_id,
        Mentorship.id == m.id,
        Mentorship.state == MentorshipState.PROPOSED,
        state=state,
        finished_at=now,
    ):
        return False
    session.execute(
        update(MentorCandidate)
        .where(
            MentorCandidate.team_id == m.team_id,
            MentorCandidate.request_id == m.request_id,
            MentorCandidate.mentor_id == m.mentor_id,
        )
        .values(outcome=CandidateOutcome(state))
    )
    session.execute(
        update(MentorRequest)
        .where(*request, MentorRequest.state == RequestState.ASKING)
        .values(state=RequestState.CHOOSING, updated_at=now)
    )
    session.flush()
    if free_place:
        place_freed(session, team_id=m.team_id, mentor_id=m.mentor_id, now=now)
    return True


def expire_proposals(session: Session, *, now: datetime) -> list[tuple[str, int, Offered]]:
    """Proposals nobody answered in time, in every workspace: (team, mentorship, new offer).

    Locks in one order, as a decline or an accept at the same moment does: first every lapsed
    proposal's request (by workspace and id), then the requests waiting for the freed places
    (oldest first). Ending them one by one instead, each freeing its place as it went, held the
    waiting requests while it reached for the next proposal's request, which a decline of that
    proposal held while it waited for the same waiting requests: a deadlock on PostgreSQL."""
    due = session.exec(
        select(Mentorship)
        .where(Mentorship.state == MentorshipState.PROPOSED, Mentorship.answer_by <= now)
        .order_by(Mentorship.team_id, Mentorship.request_id, Mentorship.id)
        .execution_options(all_workspaces=True)  # the sweep runs once for every workspace
    ).all()
    lock_requests(session, ((m.team_id, m.request_id) for m in due))
    out, freed = [], []
    for m in due:
        if end_proposal(session, m, MentorshipState.EXPIRED, now, free_place=False):
            freed.append((m.team_id, m.mentor_id))
            out.append((m.team_id, m.id, offer(session, team_id=m.team_id, request_id=m.request_id, now=now)))
    places_freed(session, freed, now=now)
    return out


def withdraw_request(session: Session, *, team_id: str, request_id: int, protege_id: str, now: datetime) -> bool:
    """The protégé no longer wants a mentor for this request (before a match)."""
    row = request_row(session, team_id=team_id, request_id=request_id)
    if row is None or row.protege_id != protege_id:
        return False
    team_id = row.team_id
    # Conditional, and before the proposal: an accept at the same moment either finds the
    # request withdrawn, or matched it first and this finds nothing to withdraw.
    if not claim(
        session,
        MentorRequest,
        MentorRequest.team_id == team_id,
        MentorRequest.id == request_id,
        MentorRequest.state.in_(OPEN_REQUEST),
        state=RequestState.WITHDRAWN,
        updated_at=now,
    ):
        return False
    for m in session.exec(
        select(Mentorship).where(
            Mentorship.team_id == team_id,
            Mentorship.request_id == request_id,
            Mentorship.state == MentorshipState.PROPOSED,
        )
    ).all():
        end_proposal(session, m, MentorshipState.WITHDRAWN, now)
    session.execute(
        update(MentorCandidate)
        .where(
            MentorCandidate.team_id == team_id,
            MentorCandidate.request_id == request_id,
            MentorCandidate.outcome.is_(None),
        )
        .values(outcome=CandidateOutcome.WITHDRAWN)
    )
    session.flush()
    return True
