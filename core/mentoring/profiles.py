"""Profiles and offers: a person's mentoring profile (from Slack, then theirs to edit), their
offer to mentor (volunteer, pause, leave), and what they see in the Mentor Center."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, select

from core import topics
from core.mentoring.mentorships import MentorshipInfo, mentorship
from core.mentoring.proposals import end_proposal
from core.mentoring.requests import OnOffer, lock_requests, offer, offer_waiting, on_offer
from core.mentoring.shared import (
    MAX_CAPACITY,
    MAX_FIELD_CHARS,
    MAX_NOTE_CHARS,
    MAX_TOPICS,
    MAX_YEARS,
    OPEN_REQUEST,
    TAKES_A_PLACE,
    CandidateOutcome,
    MentorError,
    MentorshipState,
    Offered,
    RequestState,
    TopicInfo,
    clean,
    listed,
    topic_name,
    volunteer_topics,
)
from core.mentoring.topiclist import topic_list
from storage import workspaces
from storage.models import (
    MentorCandidate,
    MentorProfile,
    MentorRequest,
    Mentorship,
    ProtegeToMentor,
    Volunteer,
    VolunteerTopic,
)
from storage.upsert import insert_if_absent


@dataclass(frozen=True)
class SlackPerson:
    """What Slack says of a person (users.info): the profile's defaults."""

    title: str | None = None
    tz: str | None = None
    tz_offset: int = 0
    # The value of the workspace's custom profile field that says where the person is ("Location",
    # "Office"...), and that field's label; None when the workspace has none or they left it empty.
    location: str | None = None
    location_field: str | None = None
    # False when Slack did not say (in time) what the custom fields hold: a location taken from
    # them before is then left as it is.
    fields_read: bool = True


# Where a profile's location came from (MentorProfile.location_source): a custom field of the
# Slack profile ("field:" + its label), the Slack time zone's city, or the person (None).
FROM_TZ = "tz"
FROM_FIELD = "field:"


@dataclass(frozen=True)
class Profile:
    user_id: str
    role: str | None
    location: str | None
    years_in_role: int | None
    tz: str | None
    tz_offset: int
    location_source: str | None = None


def location_from_tz(tz: str | None) -> str | None:
    """ "Europe/London" -> "London", "America/Argentina/Buenos_Aires" -> "Buenos Aires": Slack has
    no standard location field, and the time zone's city is the best default it gives."""
    if not tz or "/" not in tz or tz.startswith("Etc/"):
        return None
    return tz.rsplit("/", 1)[1].replace("_", " ")


def _profile(row: MentorProfile) -> Profile:
    return Profile(row.user_id, row.role, row.location, row.years_in_role, row.tz, row.tz_offset, _source(row))


def _source(row: MentorProfile) -> str | None:
    """Where the row's location came from; a row older than the column whose location is its time
    zone's city took it from there."""
    if row.location_source or not row.location:
        return row.location_source if row.location else None
    return FROM_TZ if row.location == location_from_tz(row.tz) else None


def _slack_location(slack: SlackPerson) -> tuple[str | None, str | None]:
    """The location Slack gives, and where from: the profile's own field first, else the city of
    its time zone (which may be far from where the person is: Asia/Kolkata for Bangalore)."""
    if slack.location and slack.location_field:
        return clean(slack.location, MAX_FIELD_CHARS) or None, FROM_FIELD + slack.location_field[:50]
    city = location_from_tz(slack.tz)
    return city, FROM_TZ if city else None


def get_profile(session: Session, *, team_id: str, user_id: str) -> Profile | None:
    row = session.get(MentorProfile, (team_id, user_id))
    return _profile(row) if row else None


def ensure_profile(
    session: Session, *, team_id: str, user_id: str, slack: SlackPerson | None, now: datetime
) -> Profile:
    """The person's profile, created from Slack's title, location and time zone the first time.
    The time zone always follows Slack (people travel and move); role and location are theirs to
    edit. A location Knowhow took from Slack (not one the person typed) follows Slack too, and
    one from the time zone's city gives way to the profile's own location field."""
    row = session.get(MentorProfile, (team_id, user_id))
    if row is None:
        slack = slack or SlackPerson()
        location, source = _slack_location(slack)
        insert_if_absent(
            session,
            MentorProfile,
            dict(
                team_id=team_id,
                user_id=user_id,
                role=clean(slack.title, MAX_FIELD_CHARS) or None,
                location=location,
                location_source=source,
                tz=slack.tz,
                tz_offset=slack.tz_offset,
                updated_at=now,
            ),
        )
        row = session.get(MentorProfile, (team_id, user_id))
    elif slack is not None:
        changed = False
        if slack.tz and (row.tz, row.tz_offset) != (slack.tz, slack.tz_offset):
            row.tz, row.tz_offset = slack.tz, slack.tz_offset
            changed = True
        if slack.fields_read and _source(row) is not None:  # taken from Slack, never typed: it follows Slack
            location, source = _slack_location(slack)
            if location and (location, source) != (row.location, row.location_source):
                row.location, row.location_source = location, source
                changed = True
        if changed:
            session.add(row)
            session.flush()
    return _profile(row)


def save_profile(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    role: str | None,
    location: str | None,
    years_in_role: int | None,
    now: datetime,
) -> Profile:
    role = clean(role, MAX_FIELD_CHARS, what="Your role", field="role")
    location = clean(location, MAX_FIELD_CHARS, what="Your location", field="location")
    if years_in_role is not None and not 0 <= years_in_role <= MAX_YEARS:
        raise MentorError(f"Years in your role should be a whole number from 0 to {MAX_YEARS}.", "years")
    row = session.get(MentorProfile, (team_id, user_id))
    if row is None:
        ensure_profile(session, team_id=team_id, user_id=user_id, slack=None, now=now)
        row = session.get(MentorProfile, (team_id, user_id))
    if (location or None) != row.location:  # typed by the person now: theirs
        row.location_source = None
    row.role, row.location, row.years_in_role, row.updated_at = role or None, location or None, years_in_role, now
    session.add(row)
    session.flush()
    return _profile(row)


@dataclass
class Volunteered(Offered):
    new: bool = False
    topics: list[str] = field(default_factory=list)
    protege_to_mentor: list[str] = field(default_factory=list)
    # The topics offered now, and those the offer no longer has: the demand in each changed.
    topic_ids: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)


def volunteer(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    topic_ids: list[int],
    capacity: int,
    note: str | None,
    now: datetime,
) -> Volunteered:
    """Offer (or change an offer) to mentor in exactly these topics."""
    topic_ids = list(dict.fromkeys(topic_ids))
    if not topic_ids:
        raise MentorError("Choose at least one topic.", "topics")
    if len(topic_ids) > MAX_TOPICS:
        raise MentorError(f"Choose at most {MAX_TOPICS} topics.", "topics")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise MentorError(f"Take between 1 and {MAX_CAPACITY} protégés at once.", "capacity")
    note = clean(note, MAX_NOTE_CHARS, what="The note", field="note") or None
    listed(session, team_id, topic_ids)
    row = session.get(Volunteer, (team_id, user_id))
    new = row is None or row.left_at is not None
    if row is None:
        insert_if_absent(
            session, Volunteer, dict(team_id=team_id, user_id=user_id, capacity=capacity, note=note, joined_at=now)
        )
    else:
        row.capacity, row.note, row.left_at = capacity, note, None
        if new:
            row.joined_at, row.paused = now, False
        session.add(row)
    before = set(volunteer_topics(session, team_id=team_id, user_id=user_id))
    session.execute(
        delete(VolunteerTopic).where(
            VolunteerTopic.team_id == team_id,
            VolunteerTopic.user_id == user_id,
            VolunteerTopic.topic_id.not_in(topic_ids),
        )
    )
    out = Volunteered(new=new, topic_ids=topic_ids, dropped=sorted(before - set(topic_ids)))
    for topic_id in topic_ids:
        if topic_id not in before:
            insert_if_absent(
                session, VolunteerTopic, dict(team_id=team_id, user_id=user_id, topic_id=topic_id, added_at=now)
            )
        if _completed_as_protege(session, team_id, user_id, topic_id) and insert_if_absent(
            session, ProtegeToMentor, dict(team_id=team_id, user_id=user_id, topic_id=topic_id, at=now)
        ):
            out.protege_to_mentor.append(topic_name(session, team_id=team_id, topic_id=topic_id))
        out.topics.append(topic_name(session, team_id=team_id, topic_id=topic_id))
    session.flush()
    out.rounds = offer_waiting(session, team_id=team_id, topic_ids=topic_ids, now=now).rounds
    return out


def _completed_as_protege(session: Session, team_id: str, user_id: str, topic_id: int) -> bool:
    """Did they complete a mentorship as a protégé in this topic, anywhere in the organisation?"""
    return (
        session.exec(
            select(Mentorship.id)
            .where(
                Mentorship.team_id.in_(workspaces.pool(session, team_id=team_id)),
                Mentorship.protege_id == user_id,
                Mentorship.topic_id.in_(topics.pooled(session, team_id=team_id, topic_ids=[topic_id])),
                Mentorship.state == MentorshipState.COMPLETED,
            )
            .limit(1)
        ).first()
        is not None
    )


def set_paused(session: Session, *, team_id: str, user_id: str, paused: bool, now: datetime) -> bool | None:
    """Stop or restart new matches. None when the person does not volunteer; else whether it
    changed. Resuming offers the person to requests that were waiting."""
    row = session.get(Volunteer, (team_id, user_id))
    if row is None or row.left_at is not None:
        return None
    if row.paused == paused:
        return False
    row.paused = paused
    session.add(row)
    session.flush()
    if not paused:
        offer_waiting(
            session, team_id=team_id, topic_ids=volunteer_topics(session, team_id=team_id, user_id=user_id), now=now
        )
    return True


@dataclass
class Left(Offered):
    running: int = 0
    was_volunteer: bool = True
    # Proposals to this mentor that ended, each with its request's new offer (none: it waits).
    proposals: list[tuple[int, Offered]] = field(default_factory=list)
    # Requests whose list of candidates had nobody left but this mentor: offered again, each
    # with its new offer (none: it waits).
    emptied: list[tuple[int, Offered]] = field(default_factory=list)


def leave(session: Session, *, team_id: str, user_id: str, now: datetime) -> Left:
    """Withdraw the offer. Mentorships already running go on (the person is told how to end one);
    proposals not yet answered are withdrawn and their protégés, in any workspace of the
    organisation, offered other candidates. (Someone with an offer in another workspace of the
    organisation too stays a candidate through that one.)"""
    row = session.get(Volunteer, (team_id, user_id))
    if row is None or row.left_at is not None:
        return Left(was_volunteer=False)
    row.left_at = now
    session.add(row)
    session.flush()
    pool = workspaces.pool(session, team_id=team_id)
    out = Left(running=_count(session, pool, user_id, (MentorshipState.ACTIVE,)))
    still_offering = (
        session.exec(
            select(Volunteer.team_id).where(
                Volunteer.team_id.in_(pool), Volunteer.user_id == user_id, Volunteer.left_at.is_(None)
            )
        ).first()
        is not None
    )
    if still_offering:
        return out
    proposals = session.exec(
        select(Mentorship).where(
            Mentorship.team_id.in_(pool), Mentorship.mentor_id == user_id, Mentorship.state == MentorshipState.PROPOSED
        )
    ).all()
    # Their proposals' requests first, in one order, as the sweep takes them (no place is freed:
    # the mentor has left).
    lock_requests(session, ((m.team_id, m.request_id) for m in proposals))
    for m in sorted(proposals, key=lambda m: (m.team_id, m.request_id, m.id)):
        if end_proposal(session, m, MentorshipState.WITHDRAWN, now, free_place=False):
            offered = offer(session, team_id=m.team_id, request_id=m.request_id, now=now)
            out.proposals.append((m.id, offered))
            out.rounds += offered.rounds
    # Candidates on offer elsewhere are withdrawn too: a protégé who picks them is told so.
    on_lists = (
        MentorCandidate.team_id.in_(pool),
        MentorCandidate.mentor_id == user_id,
        MentorCandidate.outcome.is_(None),
    )
    listed_in = session.exec(
        select(MentorCandidate.team_id, MentorCandidate.request_id)
        .where(*on_lists)
        .order_by(MentorCandidate.request_id)
    ).all()
    session.execute(update(MentorCandidate).where(*on_lists).values(outcome=CandidateOutcome.WITHDRAWN))
    # A list with nobody left on it would leave its protégé nobody to choose: offered again.
    for request_team, request_id in listed_in:
        left_on_list = session.exec(
            select(func.count())
            .select_from(MentorCandidate)
            .where(
                MentorCandidate.team_id == request_team,
                MentorCandidate.request_id == request_id,
                MentorCandidate.outcome.is_(None),
            )
        ).one()
        if left_on_list == 0 and (
            session.exec(
                select(MentorRequest.state).where(MentorRequest.team_id == request_team, MentorRequest.id == request_id)
            ).one()
            == RequestState.CHOOSING
        ):
            offered = offer(session, team_id=request_team, request_id=request_id, now=now)
            out.emptied.append((request_id, offered))
            out.rounds += offered.rounds
    return out


def _count(session: Session, pool: list[str], mentor_id: str, states: tuple[str, ...]) -> int:
    return session.exec(
        select(func.count())
        .select_from(Mentorship)
        .where(Mentorship.team_id.in_(pool), Mentorship.mentor_id == mentor_id, Mentorship.state.in_(states))
    ).one()


@dataclass(frozen=True)
class Offer:
    capacity: int
    note: str | None
    paused: bool


@dataclass
class Status:
    profile: Profile
    volunteer: Offer | None
    volunteer_topics: list[TopicInfo]
    requests: list[OnOffer]
    mentoring: list[MentorshipInfo]  # as mentor, proposed or active
    mentored: list[MentorshipInfo]  # as protégé, active


def status(session: Session, *, team_id: str, user_id: str, profile: Profile) -> Status:
    row = session.get(Volunteer, (team_id, user_id))
    v = Offer(row.capacity, row.note, row.paused) if row is not None and row.left_at is None else None
    mine = set(volunteer_topics(session, team_id=team_id, user_id=user_id)) if v else set()
    on_list = {t.id: t for t in topic_list(session, team_id=team_id)}
    vtopics = [
        on_list.get(t) or TopicInfo(t, topic_name(session, team_id=team_id, topic_id=t) or "", False)
        for t in sorted(mine)
    ]
    # Their requests and mentorships in any workspace of the organisation (a Grid user id is the
    # same in each): a mentor sees the protégés of other workspaces they mentor.
    pool = workspaces.pool(session, team_id=team_id)
    requests = [
        on_offer(session, team_id=team_id, request_id=r)
        for r in session.exec(
            select(MentorRequest.id)
            .where(
                MentorRequest.team_id.in_(pool),
                MentorRequest.protege_id == user_id,
                MentorRequest.state.in_(OPEN_REQUEST),
            )
            .order_by(MentorRequest.id)
        )
    ]
    ships = session.exec(
        select(Mentorship.id)
        .where(
            Mentorship.team_id.in_(pool),
            or_(Mentorship.mentor_id == user_id, Mentorship.protege_id == user_id),
            Mentorship.state.in_(TAKES_A_PLACE),
        )
        .order_by(Mentorship.id)
    ).all()
    infos = [mentorship(session, team_id=team_id, mentorship_id=i) for i in ships]
    return Status(
        profile=profile,
        volunteer=v,
        volunteer_topics=vtopics,
        requests=requests,
        mentoring=[i for i in infos if i.mentor_id == user_id],
        mentored=[i for i in infos if i.protege_id == user_id and i.state == MentorshipState.ACTIVE],
    )
