"""The Mentor Center's rules: profiles, the mentoring topic list, volunteers, requests, the offer
of candidates, consent, the programme's check-ins and the calls for volunteers. No Slack here:
the edge calls these with plain values (text as typed, never escaped) and renders what returns.

A request moves waiting -> choosing -> asking -> matched (or withdrawn); a mentorship moves
proposed -> active -> completed | stopped, or proposed -> declined | expired | withdrawn, and a
proposal that does not become active sends its request back to choosing with fresh candidates.
Every transition is a conditional UPDATE from the state it leaves, so a double click, a retried
request or the sweep running twice changes nothing the second time.

Privacy: nothing here is meant for a channel but `demand` and the call for volunteers, which are
counts; the edge shows them through `privacy.count_text`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, select

from core import matching, topics
from storage.models import (
    MentorCall,
    MentorCandidate,
    MentoringTopic,
    MentorProfile,
    MentorRequest,
    Mentorship,
    ProtegeToMentor,
    Topic,
    Volunteer,
    VolunteerTopic,
)
from storage.upsert import insert_if_absent

DEFAULT_WEEKS = 12
EXTENSION_WEEKS = 4
ANSWER_WITHIN = timedelta(days=3)
# A term whose end-of-term check-in nobody answered is counted as completed this long after.
FINISH_UNANSWERED_AFTER = timedelta(days=14)
MAX_CAPACITY = 5
MAX_TOPICS = 5
MAX_GOAL_CHARS = 2000
MAX_NOTE_CHARS = 1000
MAX_FIELD_CHARS = 100
MAX_YEARS = 60
MAX_CALL_WEEKS = 52
MAX_CALL_HOURS = 40

OPEN_REQUEST = ("waiting", "choosing", "asking")
TAKES_A_PLACE = ("proposed", "active")
WORKED_TOGETHER = ("active", "completed", "stopped")
# A candidate who said no to a request, or let it lapse, is never offered for it again. One who
# left ("withdrawn") may be, once they volunteer again.
NEVER_AGAIN = ("declined", "expired")


class MentorError(ValueError):
    """Input a person must change; `field` names the form input it is about, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# -- profiles ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlackPerson:
    """What Slack says of a person (users.info): the profile's defaults."""

    title: str | None = None
    tz: str | None = None
    tz_offset: int = 0


@dataclass(frozen=True)
class Profile:
    user_id: str
    role: str | None
    location: str | None
    years_in_role: int | None
    tz: str | None
    tz_offset: int


def location_from_tz(tz: str | None) -> str | None:
    """ "Europe/London" -> "London", "America/Argentina/Buenos_Aires" -> "Buenos Aires": Slack has
    no standard location field, and the time zone's city is the best default it gives."""
    if not tz or "/" not in tz or tz.startswith("Etc/"):
        return None
    return tz.rsplit("/", 1)[1].replace("_", " ")


def _profile(row: MentorProfile) -> Profile:
    return Profile(row.user_id, row.role, row.location, row.years_in_role, row.tz, row.tz_offset)


def get_profile(session: Session, *, team_id: str, user_id: str) -> Profile | None:
    row = session.get(MentorProfile, (team_id, user_id))
    return _profile(row) if row else None


def ensure_profile(
    session: Session, *, team_id: str, user_id: str, slack: SlackPerson | None, now: datetime
) -> Profile:
    """The person's profile, created from Slack's title and time zone the first time. The time
    zone always follows Slack (people travel and move); role and location are theirs to edit."""
    row = session.get(MentorProfile, (team_id, user_id))
    if row is None:
        slack = slack or SlackPerson()
        insert_if_absent(
            session,
            MentorProfile,
            dict(
                team_id=team_id,
                user_id=user_id,
                role=_clean(slack.title, MAX_FIELD_CHARS) or None,
                location=location_from_tz(slack.tz),
                tz=slack.tz,
                tz_offset=slack.tz_offset,
                updated_at=now,
            ),
        )
        row = session.get(MentorProfile, (team_id, user_id))
    elif slack is not None and slack.tz and (row.tz, row.tz_offset) != (slack.tz, slack.tz_offset):
        row.tz, row.tz_offset = slack.tz, slack.tz_offset
        session.add(row)
        session.flush()
    return _profile(row)


def _clean(text: str | None, limit: int, *, what: str = "", field: str | None = None) -> str:
    text = " ".join((text or "").split()) if limit <= MAX_FIELD_CHARS else (text or "").strip()
    if len(text) > limit:
        if not what:
            return text[:limit]
        raise MentorError(f"{what} can be at most {limit} characters (it has {len(text)}).", field)
    return text


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
    role = _clean(role, MAX_FIELD_CHARS, what="Your role", field="role")
    location = _clean(location, MAX_FIELD_CHARS, what="Your location", field="location")
    if years_in_role is not None and not 0 <= years_in_role <= MAX_YEARS:
        raise MentorError(f"Years in your role should be a whole number from 0 to {MAX_YEARS}.", "years")
    row = session.get(MentorProfile, (team_id, user_id))
    if row is None:
        ensure_profile(session, team_id=team_id, user_id=user_id, slack=None, now=now)
        row = session.get(MentorProfile, (team_id, user_id))
    row.role, row.location, row.years_in_role, row.updated_at = role or None, location or None, years_in_role, now
    session.add(row)
    session.flush()
    return _profile(row)


# -- the mentoring topic list ------------------------------------------------------------------


@dataclass(frozen=True)
class TopicInfo:
    id: int
    name: str
    curated: bool


def topic_list(session: Session, *, team_id: str) -> list[TopicInfo]:
    """The topics people can volunteer and ask in: curated ones first, then suggestions."""
    rows = session.exec(
        select(Topic.id, Topic.name, MentoringTopic.curated)
        .join(MentoringTopic, (MentoringTopic.topic_id == Topic.id) & (MentoringTopic.team_id == Topic.team_id))
        .where(MentoringTopic.team_id == team_id)
        .order_by(MentoringTopic.curated.desc(), Topic.key)
    )
    return [TopicInfo(*row) for row in rows]


def topic_name(session: Session, *, team_id: str, topic_id: int) -> str | None:
    topic = session.get(Topic, topic_id)
    return topic.name if topic is not None and topic.team_id == team_id else None


def add_topic(session: Session, *, team_id: str, raw: str, user_id: str, curated: bool) -> tuple[TopicInfo, bool]:
    """Put a topic on the list (an admin curates; anyone may suggest). Returns the topic and
    whether anything changed. Raises topics.TopicError for a name that cannot be a topic."""
    topic = topics.resolve(session, team_id=team_id, raw=raw, created_by=user_id)
    row = session.get(MentoringTopic, (team_id, topic.id))
    if row is None:
        insert_if_absent(
            session, MentoringTopic, dict(team_id=team_id, topic_id=topic.id, curated=curated, added_by=user_id)
        )
        return TopicInfo(topic.id, topic.name, curated), True
    if curated and not row.curated:
        row.curated = True
        session.add(row)
        return TopicInfo(topic.id, topic.name, True), True
    return TopicInfo(topic.id, topic.name, row.curated), False


def request_topic(session: Session, *, team_id: str, raw: str, user_id: str) -> TopicInfo:
    """A topic a protégé names while asking for a mentor. It is NOT put on the mentoring list (a
    request is private, and its topic could say more than the person wants): the request can
    use it (`ask_for_mentor(..., unlisted_ok=True)`), and a volunteer who suggests the same
    topic is matched to it, but it appears in the topic list, the volunteer form and the calls
    for volunteers only once an admin adds it (or a volunteer suggests it). Raises
    topics.TopicError for a name that cannot be a topic."""
    topic = topics.resolve(session, team_id=team_id, raw=raw, created_by=user_id)
    row = session.get(MentoringTopic, (team_id, topic.id))
    return TopicInfo(topic.id, topic.name, bool(row and row.curated))


def unlisted_requested(session: Session, *, team_id: str) -> list[str]:
    """Topics of open requests that are not on the mentoring list (named by protégés): for an
    admin to curate. Names only, never who asked."""
    listed = select(MentoringTopic.topic_id).where(MentoringTopic.team_id == team_id)
    return list(
        session.exec(
            select(Topic.name)
            .join(MentorRequest, MentorRequest.topic_id == Topic.id)
            .where(MentorRequest.team_id == team_id, MentorRequest.state.in_(OPEN_REQUEST), Topic.id.not_in(listed))
            .group_by(Topic.name, Topic.key)
            .order_by(Topic.key)
        )
    )


def remove_topic(session: Session, *, team_id: str, raw: str) -> str | None:
    """Take a topic off the list (offers and requests already in it carry on). The topic's name,
    or None when it was not on the list."""
    topic = topics.find(session, team_id=team_id, raw=raw)
    if topic is None:
        return None
    gone = session.execute(
        delete(MentoringTopic).where(MentoringTopic.team_id == team_id, MentoringTopic.topic_id == topic.id)
    ).rowcount
    return topic.name if gone else None


def _listed(session: Session, team_id: str, topic_ids: list[int]) -> list[int]:
    listed = set(
        session.exec(
            select(MentoringTopic.topic_id).where(
                MentoringTopic.team_id == team_id, MentoringTopic.topic_id.in_(topic_ids)
            )
        )
    )
    missing = [t for t in topic_ids if t not in listed]
    if missing:
        raise MentorError("That topic is no longer on the mentoring list; choose another.", "topics")
    return topic_ids


# -- volunteers -------------------------------------------------------------------------------


@dataclass
class Offered:
    """Requests that got (new) candidates: the edge tells each protégé privately."""

    rounds: list[tuple[int, int]] = field(default_factory=list)  # (request id, round)


@dataclass
class Volunteered(Offered):
    new: bool = False
    topics: list[str] = field(default_factory=list)
    protege_to_mentor: list[str] = field(default_factory=list)


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
    note = _clean(note, MAX_NOTE_CHARS, what="The note", field="note") or None
    _listed(session, team_id, topic_ids)
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
    before = set(
        session.exec(
            select(VolunteerTopic.topic_id).where(VolunteerTopic.team_id == team_id, VolunteerTopic.user_id == user_id)
        )
    )
    session.execute(
        delete(VolunteerTopic).where(
            VolunteerTopic.team_id == team_id,
            VolunteerTopic.user_id == user_id,
            VolunteerTopic.topic_id.not_in(topic_ids),
        )
    )
    out = Volunteered(new=new)
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
    return (
        session.exec(
            select(Mentorship.id)
            .where(
                Mentorship.team_id == team_id,
                Mentorship.protege_id == user_id,
                Mentorship.topic_id == topic_id,
                Mentorship.state == "completed",
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
        offer_waiting(session, team_id=team_id, topic_ids=_volunteer_topics(session, team_id, user_id), now=now)
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
    proposals not yet answered are withdrawn and their protégés offered other candidates."""
    row = session.get(Volunteer, (team_id, user_id))
    if row is None or row.left_at is not None:
        return Left(was_volunteer=False)
    row.left_at = now
    session.add(row)
    out = Left(running=_count(session, team_id, user_id, ("active",)))
    proposals = session.exec(
        select(Mentorship).where(
            Mentorship.team_id == team_id, Mentorship.mentor_id == user_id, Mentorship.state == "proposed"
        )
    ).all()
    for m in proposals:
        if _end_proposal(session, m, "withdrawn", now):
            offered = offer(session, team_id=team_id, request_id=m.request_id, now=now)
            out.proposals.append((m.id, offered))
            out.rounds += offered.rounds
    # Candidates on offer elsewhere are withdrawn too: a protégé who picks them is told so.
    listed_in = session.exec(
        select(MentorCandidate.request_id)
        .where(
            MentorCandidate.team_id == team_id, MentorCandidate.mentor_id == user_id, MentorCandidate.outcome.is_(None)
        )
        .order_by(MentorCandidate.request_id)
    ).all()
    session.execute(
        update(MentorCandidate)
        .where(
            MentorCandidate.team_id == team_id, MentorCandidate.mentor_id == user_id, MentorCandidate.outcome.is_(None)
        )
        .values(outcome="withdrawn")
    )
    # A list with nobody left on it would leave its protégé nobody to choose: offered again.
    for request_id in listed_in:
        left_on_list = session.exec(
            select(func.count())
            .select_from(MentorCandidate)
            .where(MentorCandidate.request_id == request_id, MentorCandidate.outcome.is_(None))
        ).one()
        if (
            left_on_list == 0
            and session.exec(select(MentorRequest.state).where(MentorRequest.id == request_id)).one() == "choosing"
        ):
            offered = offer(session, team_id=team_id, request_id=request_id, now=now)
            out.emptied.append((request_id, offered))
            out.rounds += offered.rounds
    return out


def _count(session: Session, team_id: str, mentor_id: str, states: tuple[str, ...]) -> int:
    return session.exec(
        select(func.count())
        .select_from(Mentorship)
        .where(Mentorship.team_id == team_id, Mentorship.mentor_id == mentor_id, Mentorship.state.in_(states))
    ).one()


def _volunteer_topics(session: Session, team_id: str, user_id: str) -> list[int]:
    return list(
        session.exec(
            select(VolunteerTopic.topic_id).where(VolunteerTopic.team_id == team_id, VolunteerTopic.user_id == user_id)
        )
    )


# -- requests and the offer of candidates -----------------------------------------------------


class RequestOutcome(enum.StrEnum):
    OFFERED = "offered"  # candidates are on their way to the protégé
    WAITING = "waiting"  # nobody fits yet: matched as soon as someone does
    ALREADY = "already"  # the protégé has an open request in this topic


@dataclass
class Requested(Offered):
    request_id: int = 0
    outcome: RequestOutcome = RequestOutcome.WAITING
    topic: str = ""


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
    goal = _clean(goal, MAX_GOAL_CHARS, what="What you want to achieve", field="goal")
    if not goal:
        raise MentorError("Say what you want to achieve, so a mentor knows how to help.", "goal")
    if location_pref not in ("any", "same") or role_pref not in ("any", "mine", "target"):
        raise MentorError("Choose one of the preferences offered.", "preferences")
    target_role = _clean(target_role, MAX_FIELD_CHARS, what="The role you are moving into", field="target_role") or None
    if role_pref == "target" and not target_role:
        raise MentorError("Say which role you are moving into, or choose another preference.", "target_role")
    if not unlisted_ok:
        _listed(session, team_id, [topic_id])
    name = topic_name(session, team_id=team_id, topic_id=topic_id) or ""
    if not name:
        raise MentorError("That topic is not known here; choose another.", "topics")
    if request_key:
        replay = session.exec(
            select(MentorRequest).where(MentorRequest.team_id == team_id, MentorRequest.request_id == request_key)
        ).first()
        if replay is not None:
            return Requested(request_id=replay.id, outcome=_outcome(replay.state), topic=name)
    existing = session.exec(
        select(MentorRequest).where(
            MentorRequest.team_id == team_id,
            MentorRequest.protege_id == protege_id,
            MentorRequest.topic_id == topic_id,
            MentorRequest.state.in_(OPEN_REQUEST),
        )
    ).first()
    if existing is not None:
        return Requested(request_id=existing.id, outcome=RequestOutcome.ALREADY, topic=name)
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
    offered = offer(session, team_id=team_id, request_id=row.id, now=now)
    return Requested(
        rounds=offered.rounds,
        request_id=row.id,
        outcome=RequestOutcome.OFFERED if offered.rounds else RequestOutcome.WAITING,
        topic=name,
    )


def _outcome(state: str) -> RequestOutcome:
    return RequestOutcome.WAITING if state == "waiting" else RequestOutcome.OFFERED


def _mentors_for(session: Session, team_id: str, topic_id: int) -> list[matching.Mentor]:
    """Everyone offering `topic_id`, with their room and how often they are on offer."""
    rows = session.exec(
        select(Volunteer, MentorProfile)
        .join(
            VolunteerTopic,
            (VolunteerTopic.team_id == Volunteer.team_id) & (VolunteerTopic.user_id == Volunteer.user_id),
        )
        .outerjoin(
            MentorProfile, (MentorProfile.team_id == Volunteer.team_id) & (MentorProfile.user_id == Volunteer.user_id)
        )
        .where(Volunteer.team_id == team_id, VolunteerTopic.topic_id == topic_id, Volunteer.left_at.is_(None))
    ).all()
    if not rows:
        return []
    users = [v.user_id for v, _ in rows]
    load = dict(
        session.exec(
            select(Mentorship.mentor_id, func.count())
            .where(Mentorship.team_id == team_id, Mentorship.mentor_id.in_(users), Mentorship.state.in_(TAKES_A_PLACE))
            .group_by(Mentorship.mentor_id)
        ).all()
    )
    on_offer = dict(
        session.exec(
            select(MentorCandidate.mentor_id, func.count())
            .where(
                MentorCandidate.team_id == team_id,
                MentorCandidate.mentor_id.in_(users),
                MentorCandidate.outcome.is_(None),
            )
            .group_by(MentorCandidate.mentor_id)
        ).all()
    )
    return [
        matching.Mentor(
            user_id=v.user_id,
            topics=frozenset({topic_id}),
            capacity=v.capacity,
            load=load.get(v.user_id, 0),
            on_offer=on_offer.get(v.user_id, 0),
            role=p.role if p else None,
            years=p.years_in_role if p else None,
            location=p.location if p else None,
            tz_offset=p.tz_offset if p else 0,
            paused=v.paused,
        )
        for v, p in rows
    ]


def _as_request(session: Session, row: MentorRequest) -> matching.Request:
    profile = session.get(MentorProfile, (row.team_id, row.protege_id))
    excluded = set(
        session.exec(
            select(MentorCandidate.mentor_id).where(
                MentorCandidate.request_id == row.id, MentorCandidate.outcome.in_(NEVER_AGAIN)
            )
        )
    )
    excluded |= set(
        session.exec(
            select(Mentorship.mentor_id).where(
                Mentorship.team_id == row.team_id,
                Mentorship.protege_id == row.protege_id,
                Mentorship.topic_id == row.topic_id,
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
    row = session.get(MentorRequest, request_id)
    if row is None or row.team_id != team_id:
        return Offered()
    # The request's row, for writing and only from waiting or choosing: two offers for one
    # request (a decline and the sweep) take turns, and a request chosen or withdrawn meanwhile
    # is left alone.
    this = (MentorRequest.id == request_id, MentorRequest.state.in_(("waiting", "choosing")))
    if not session.execute(update(MentorRequest).where(*this).values(updated_at=now)).rowcount:
        return Offered()
    session.execute(
        update(MentorCandidate)
        .where(MentorCandidate.request_id == request_id, MentorCandidate.outcome.is_(None))
        .values(outcome="replaced")
    )
    request = _as_request(session, row)
    # Replaced candidates may be offered again (they did nothing wrong); their rows are renewed.
    best = matching.rank(request, _mentors_for(session, team_id, row.topic_id))
    if not best:
        session.execute(update(MentorRequest).where(*this).values(state="waiting", updated_at=now))
        return Offered()
    session.execute(
        update(MentorRequest).where(*this).values(round=MentorRequest.round + 1, state="choosing", updated_at=now)
    )
    round_ = session.exec(select(MentorRequest.round).where(MentorRequest.id == request_id)).one()
    for i, c in enumerate(best, 1):
        existing = session.get(MentorCandidate, (request_id, c.mentor_id))
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
    """Offer candidates to every request waiting in these topics, oldest first (someone just
    volunteered, resumed or has room again)."""
    waiting = session.exec(
        select(MentorRequest.id)
        .where(
            MentorRequest.team_id == team_id, MentorRequest.state == "waiting", MentorRequest.topic_id.in_(topic_ids)
        )
        .order_by(MentorRequest.created_at, MentorRequest.id)
    ).all()
    out = Offered()
    for request_id in waiting:
        out.rounds += offer(session, team_id=team_id, request_id=request_id, now=now).rounds
    return out


@dataclass(frozen=True)
class OnOffer:
    request_id: int
    protege_id: str
    topic: str
    goal: str
    round: int
    state: str
    candidates: list[tuple[str, str]]  # (mentor id, reason), best first


def on_offer(session: Session, *, team_id: str, request_id: int) -> OnOffer | None:
    row = session.get(MentorRequest, request_id)
    if row is None or row.team_id != team_id:
        return None
    candidates = session.exec(
        select(MentorCandidate.mentor_id, MentorCandidate.reason)
        .where(MentorCandidate.request_id == request_id, MentorCandidate.outcome.is_(None))
        .order_by(MentorCandidate.rank)
    ).all()
    return OnOffer(
        row.id,
        row.protege_id,
        topic_name(session, team_id=team_id, topic_id=row.topic_id) or "",
        row.goal,
        row.round,
        row.state,
        [tuple(c) for c in candidates],
    )


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
    """The protégé picks a candidate: that mentor is asked (they have ANSWER_WITHIN to answer)."""
    # The mentor's row first, for writing: two protégés picking the same mentor with one place
    # left take turns (a no-op UPDATE locks the row on PostgreSQL and takes SQLite's write lock).
    session.execute(
        update(Volunteer)
        .where(Volunteer.team_id == team_id, Volunteer.user_id == mentor_id)
        .values(capacity=Volunteer.capacity)
    )
    row = session.get(MentorRequest, request_id)
    if row is None or row.team_id != team_id or row.protege_id != protege_id or row.state != "choosing":
        return Chosen()
    candidate = session.get(MentorCandidate, (request_id, mentor_id))
    if candidate is None or candidate.round != row.round:
        return Chosen()
    still = [m for m in _mentors_for(session, team_id, row.topic_id) if m.user_id == mentor_id]
    if candidate.outcome is not None or not still or still[0].room <= 0:
        if candidate.outcome is None:
            candidate.outcome = "replaced"
            session.add(candidate)
        return Chosen(
            outcome=ChooseOutcome.GONE, rounds=offer(session, team_id=team_id, request_id=request_id, now=now).rounds
        )
    # The request, from the round it was offered in to asking: of two choices at once (two
    # clicks, two devices) one claims it, and the other is told the list is out of date.
    claimed = session.execute(
        update(MentorRequest)
        .where(
            MentorRequest.id == request_id, MentorRequest.state == "choosing", MentorRequest.round == candidate.round
        )
        .values(state="asking", updated_at=now)
    ).rowcount
    if not claimed:
        return Chosen()
    session.execute(
        update(MentorCandidate)
        .where(MentorCandidate.request_id == request_id, MentorCandidate.outcome.is_(None))
        .values(outcome="replaced")
    )
    session.execute(
        update(MentorCandidate)
        .where(MentorCandidate.request_id == request_id, MentorCandidate.mentor_id == mentor_id)
        .values(outcome="chosen")
    )
    m = Mentorship(
        team_id=team_id,
        request_id=request_id,
        mentor_id=mentor_id,
        protege_id=protege_id,
        topic_id=row.topic_id,
        proposed_at=now,
        answer_by=now + ANSWER_WITHIN,
    )
    session.add(m)
    session.flush()
    return Chosen(outcome=ChooseOutcome.ASKED, mentorship_id=m.id)


@dataclass(frozen=True)
class MentorshipInfo:
    id: int
    team_id: str
    mentor_id: str
    protege_id: str
    topic: str
    goal: str
    state: str
    weeks: int
    answer_by: datetime
    started_at: datetime | None
    ends_at: datetime | None
    group_channel: str | None
    note: str | None  # the mentor's note from their offer


def mentorship(session: Session, *, team_id: str, mentorship_id: int) -> MentorshipInfo | None:
    m = session.get(Mentorship, mentorship_id)
    if m is None or m.team_id != team_id:
        return None
    request = session.get(MentorRequest, m.request_id)
    volunteer = session.get(Volunteer, (team_id, m.mentor_id))
    return MentorshipInfo(
        m.id,
        m.team_id,
        m.mentor_id,
        m.protege_id,
        topic_name(session, team_id=team_id, topic_id=m.topic_id) or "",
        request.goal if request else "",
        m.state,
        m.weeks,
        m.answer_by,
        m.started_at,
        m.ends_at,
        m.group_channel,
        volunteer.note if volunteer else None,
    )


def set_group_channel(session: Session, *, team_id: str, mentorship_id: int, channel_id: str) -> None:
    session.execute(
        update(Mentorship)
        .where(Mentorship.id == mentorship_id, Mentorship.team_id == team_id)
        .values(group_channel=channel_id)
    )


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
    protégé is offered other candidates, never this mentor again for this request)."""
    m = session.get(Mentorship, mentorship_id)
    if m is None or m.team_id != team_id or m.mentor_id != mentor_id:
        return Answered()
    if accept:
        # The request first (as withdraw_request and _end_proposal take it): of an accept and a
        # withdrawal at once, exactly one wins.
        if (
            m.state != "proposed"
            or not session.execute(
                update(MentorRequest)
                .where(MentorRequest.id == m.request_id, MentorRequest.state == "asking")
                .values(state="matched", updated_at=now)
            ).rowcount
        ):
            return Answered()
        started = session.execute(
            update(Mentorship)
            .where(Mentorship.id == mentorship_id, Mentorship.state == "proposed")
            .values(
                state="active",
                started_at=now,
                halfway_at=now + timedelta(weeks=m.weeks) / 2,
                ends_at=now + timedelta(weeks=m.weeks),
            )
        ).rowcount
        if not started:  # the request is asking another mentor: leave it so
            session.execute(
                update(MentorRequest)
                .where(MentorRequest.id == m.request_id, MentorRequest.state == "matched")
                .values(state="asking")
            )
            return Answered()
        session.refresh(m)
        return Answered(outcome=AnswerOutcome.ACCEPTED)
    if not _end_proposal(session, m, "declined", now):
        return Answered()
    return Answered(
        outcome=AnswerOutcome.DECLINED, rounds=offer(session, team_id=team_id, request_id=m.request_id, now=now).rounds
    )


def _end_proposal(session: Session, m: Mentorship, state: str, now: datetime) -> bool:
    """A proposal that will not become a mentorship: the request goes back to choosing."""
    # The request's row first, as everything that ends or accepts a proposal takes it.
    session.execute(
        update(MentorRequest).where(MentorRequest.id == m.request_id).values(updated_at=MentorRequest.updated_at)
    )
    done = session.execute(
        update(Mentorship)
        .where(Mentorship.id == m.id, Mentorship.state == "proposed")
        .values(state=state, finished_at=now)
    ).rowcount
    if not done:
        return False
    session.execute(
        update(MentorCandidate)
        .where(MentorCandidate.request_id == m.request_id, MentorCandidate.mentor_id == m.mentor_id)
        .values(outcome="withdrawn" if state == "withdrawn" else state)
    )
    session.execute(
        update(MentorRequest)
        .where(MentorRequest.id == m.request_id, MentorRequest.state == "asking")
        .values(state="choosing", updated_at=now)
    )
    session.flush()
    _place_freed(session, m.team_id, m.mentor_id, now)
    return True


def _place_freed(session: Session, team_id: str, mentor_id: str, now: datetime) -> None:
    """One of the mentor's places is free again (a proposal ended, a mentorship finished):
    requests waiting in any topic they offer may now find them. The rounds this starts are not
    returned (callers report their own request's round); the edge's safety net queues them."""
    row = session.get(Volunteer, (team_id, mentor_id))
    if row is None or row.left_at is not None or row.paused:
        return
    offer_waiting(session, team_id=team_id, topic_ids=_volunteer_topics(session, team_id, mentor_id), now=now)


def expire_proposals(session: Session, *, now: datetime) -> list[tuple[str, int, Offered]]:
    """Proposals nobody answered in time, in every workspace: (team, mentorship, new offer)."""
    due = session.exec(select(Mentorship).where(Mentorship.state == "proposed", Mentorship.answer_by <= now)).all()
    out = []
    for m in due:
        if _end_proposal(session, m, "expired", now):
            out.append((m.team_id, m.id, offer(session, team_id=m.team_id, request_id=m.request_id, now=now)))
    return out


def withdraw_request(session: Session, *, team_id: str, request_id: int, protege_id: str, now: datetime) -> bool:
    """The protégé no longer wants a mentor for this request (before a match)."""
    row = session.get(MentorRequest, request_id)
    if row is None or row.team_id != team_id or row.protege_id != protege_id:
        return False
    # Conditional, and before the proposal: an accept at the same moment either finds the
    # request withdrawn, or matched it first and this finds nothing to withdraw.
    if not session.execute(
        update(MentorRequest)
        .where(MentorRequest.id == request_id, MentorRequest.state.in_(OPEN_REQUEST))
        .values(state="withdrawn", updated_at=now)
    ).rowcount:
        return False
    for m in session.exec(
        select(Mentorship).where(Mentorship.request_id == request_id, Mentorship.state == "proposed")
    ).all():
        _end_proposal(session, m, "withdrawn", now)
    session.execute(
        update(MentorCandidate)
        .where(MentorCandidate.request_id == request_id, MentorCandidate.outcome.is_(None))
        .values(outcome="withdrawn")
    )
    session.flush()
    return True


# -- the programme ------------------------------------------------------------------------------


def due_halfway(session: Session, *, now: datetime) -> list[tuple[str, int]]:
    """Active mentorships at half their term whose check-in is not yet sent; marked sent."""
    return _claim(session, now, Mentorship.halfway_at, Mentorship.halfway_sent_at)


def due_end(session: Session, *, now: datetime) -> list[tuple[str, int]]:
    return _claim(session, now, Mentorship.ends_at, Mentorship.end_sent_at)


def _claim(session: Session, now: datetime, when, sent) -> list[tuple[str, int]]:
    rows = session.exec(
        select(Mentorship.team_id, Mentorship.id).where(Mentorship.state == "active", when <= now, sent.is_(None))
    ).all()
    claimed = []
    for team_id, mentorship_id in rows:
        if session.execute(
            update(Mentorship).where(Mentorship.id == mentorship_id, sent.is_(None)).values({sent.key: now})
        ).rowcount:
            claimed.append((team_id, mentorship_id))
    return claimed


def finish_unanswered(session: Session, *, now: datetime) -> list[tuple[str, int]]:
    """Terms that ended FINISH_UNANSWERED_AFTER ago with nobody choosing to extend: completed."""
    rows = session.exec(
        select(Mentorship).where(
            Mentorship.state == "active",
            Mentorship.end_sent_at.is_not(None),
            Mentorship.ends_at <= now - FINISH_UNANSWERED_AFTER,
        )
    ).all()
    return [(m.team_id, m.id) for m in rows if _finish(session, m, "completed", now)]


def _finish(session: Session, m: Mentorship, state: str, now: datetime) -> bool:
    done = session.execute(
        update(Mentorship)
        .where(Mentorship.id == m.id, Mentorship.state == "active")
        .values(state=state, finished_at=now)
    ).rowcount
    if done:
        _place_freed(session, m.team_id, m.mentor_id, now)
    return bool(done)


def _side(m: Mentorship, user_id: str) -> str | None:
    return "mentor" if user_id == m.mentor_id else "protege" if user_id == m.protege_id else None


MET = ("yes", "not_yet", "stopped")


def check_in(
    session: Session, *, team_id: str, mentorship_id: int, user_id: str, met: str, now: datetime
) -> str | None:
    """A halfway answer; "stopped" ends the mentorship early for both. The state after, or None
    when the person is not in it or it is over."""
    m = session.get(Mentorship, mentorship_id)
    side = _side(m, user_id) if m is not None and m.team_id == team_id else None
    if side is None or met not in MET or m.state != "active":
        return None
    setattr(m, f"{side}_met", met)
    session.add(m)
    session.flush()
    if met == "stopped":
        _finish(session, m, "stopped", now)
    session.refresh(m)
    return m.state


def wrap_up(
    session: Session,
    *,
    team_id: str,
    mentorship_id: int,
    user_id: str,
    rating: int | None,
    word: str | None,
    extend: bool,
    now: datetime,
) -> str | None:
    """The end-of-term answer: a private rating (1 to 5) and word, and "extend" (EXTENSION_WEEKS
    more, a new end check-in then) or "finish" (completed for both). The state after, or None."""
    m = session.get(Mentorship, mentorship_id)
    side = _side(m, user_id) if m is not None and m.team_id == team_id else None
    if side is None or m.state not in ("active", "completed"):
        return None
    if rating is not None and not 1 <= rating <= 5:
        raise MentorError("Rate from 1 to 5.", "rating")
    word = _clean(word, MAX_NOTE_CHARS, what="Your words", field="word") or None
    if rating is not None:
        setattr(m, f"{side}_rating", rating)
    if word is not None:
        setattr(m, f"{side}_word", word)
    session.add(m)
    session.flush()
    if m.state == "active":
        if extend:
            # Once per end-of-term check-in: a second click, or the other person also choosing
            # to extend, finds the check-in answered (end_sent_at cleared, ends_at moved).
            session.execute(
                update(Mentorship)
                .where(
                    Mentorship.id == m.id,
                    Mentorship.state == "active",
                    Mentorship.end_sent_at.is_not(None),
                    Mentorship.ends_at == m.ends_at,
                )
                .values(
                    weeks=Mentorship.weeks + EXTENSION_WEEKS,
                    ends_at=m.ends_at + timedelta(weeks=EXTENSION_WEEKS),
                    end_sent_at=None,
                )
            )
        else:
            _finish(session, m, "completed", now)
    session.refresh(m)
    return m.state


# -- what a person sees in the Mentor Center ----------------------------------------------------


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
    mine = set(_volunteer_topics(session, team_id, user_id)) if v else set()
    listed = {t.id: t for t in topic_list(session, team_id=team_id)}
    vtopics = [
        listed.get(t) or TopicInfo(t, topic_name(session, team_id=team_id, topic_id=t) or "", False)
        for t in sorted(mine)
    ]
    requests = [
        on_offer(session, team_id=team_id, request_id=r)
        for r in session.exec(
            select(MentorRequest.id)
            .where(
                MentorRequest.team_id == team_id,
                MentorRequest.protege_id == user_id,
                MentorRequest.state.in_(OPEN_REQUEST),
            )
            .order_by(MentorRequest.id)
        )
    ]
    ships = session.exec(
        select(Mentorship.id)
        .where(
            Mentorship.team_id == team_id,
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
        mentored=[i for i in infos if i.protege_id == user_id and i.state == "active"],
    )


# -- demand, and the calls for volunteers -------------------------------------------------------


@dataclass(frozen=True)
class Demand:
    topic: str
    seeking: int  # open requests
    volunteers: int  # volunteers offering the topic with a place free (not paused)


def demand(session: Session, *, team_id: str, topic_id: int) -> Demand:
    seeking = session.exec(
        select(func.count())
        .select_from(MentorRequest)
        .where(
            MentorRequest.team_id == team_id, MentorRequest.topic_id == topic_id, MentorRequest.state.in_(OPEN_REQUEST)
        )
    ).one()
    volunteers = sum(1 for m in _mentors_for(session, team_id, topic_id) if m.room > 0)
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
    goals = _clean(goals, MAX_GOAL_CHARS, what="The programme's goals", field="goals")
    if not goals:
        raise MentorError("Say what the programme is for: people volunteer for a purpose.", "goals")
    if not 1 <= weeks <= MAX_CALL_WEEKS:
        raise MentorError(f"The commitment is between 1 and {MAX_CALL_WEEKS} weeks.", "weeks")
    if not 1 <= hours_per_month <= MAX_CALL_HOURS:
        raise MentorError(f"Hours a month should be between 1 and {MAX_CALL_HOURS}.", "hours")
    _listed(session, team_id, [topic_id])
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


def get_call(session: Session, *, team_id: str, call_id: int) -> MentorCall | None:
    row = session.get(MentorCall, call_id)
    return row if row is not None and row.team_id == team_id else None


def set_call_post(session: Session, *, team_id: str, call_id: int, ts: str) -> None:
    session.execute(
        update(MentorCall)
        .where(MentorCall.id == call_id, MentorCall.team_id == team_id, MentorCall.message_ts.is_(None))
        .values(message_ts=ts)
    )


def bump_calls(session: Session, *, team_id: str, topic_ids: list[int]) -> list[tuple[int, int]]:
    """The topic's demand changed: each call about it gets a new version to show. (call, version)"""
    where = (MentorCall.team_id == team_id, MentorCall.topic_id.in_(topic_ids))
    if not session.execute(update(MentorCall).where(*where).values(version=MentorCall.version + 1)).rowcount:
        return []
    # Read back under the rows' write locks: two bumps at once get two versions.
    return [
        tuple(r)
        for r in session.exec(select(MentorCall.id, MentorCall.version).where(*where).order_by(MentorCall.id)).all()
    ]


def topic_of_request(session: Session, *, team_id: str, request_id: int) -> int | None:
    row = session.get(MentorRequest, request_id)
    return row.topic_id if row is not None and row.team_id == team_id else None
