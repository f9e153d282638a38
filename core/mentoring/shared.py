"""What every stage of the Mentor Center shares: its limits, its states, its one error, and a few
small reads (a row by its id within an organisation, a topic's name, whether topics are listed,
what a volunteer offers).

The Mentor Center is one pool per organisation (every workspace of an Enterprise Grid
organisation; outside Grid, the workspace): a protégé in one workspace is matched with a mentor
in another. Each row keeps the workspace it lives in: a request, its candidates and its
mentorship live in the protégé's workspace (`team_id`), an offer to mentor in the mentor's
(`Volunteer.team_id`, and `Mentorship.mentor_team_id`); topics match across workspaces by key
(core.topics). A rule reached from a button finds a row by its id within the organisation of
the workspace the click came from, and then works on the row in its own workspace."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, select

from core import topics
from storage import workspaces
from storage.models import MentorCall, MentorCandidate, MentoringTopic, MentorRequest, Mentorship, VolunteerTopic

Row = TypeVar("Row", bound=SQLModel)


class RequestState(enum.StrEnum):
    """A request: waiting -> choosing -> asking -> matched, or withdrawn before a match."""

    WAITING = "waiting"  # nobody fits yet
    CHOOSING = "choosing"  # candidates are on offer to the protégé
    ASKING = "asking"  # the protégé chose; that mentor is asked
    MATCHED = "matched"
    WITHDRAWN = "withdrawn"


class MentorshipState(enum.StrEnum):
    """A mentorship: proposed -> active -> completed | stopped, or proposed -> declined | expired | withdrawn."""

    PROPOSED = "proposed"
    ACTIVE = "active"
    COMPLETED = "completed"
    STOPPED = "stopped"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class CandidateOutcome(enum.StrEnum):
    """What became of a candidate on offer (none yet: still on offer)."""

    REPLACED = "replaced"  # a later round, or the protégé chose another
    CHOSEN = "chosen"
    WITHDRAWN = "withdrawn"
    DECLINED = "declined"
    EXPIRED = "expired"


class Met(enum.StrEnum):
    """The halfway check-in's answers."""

    YES = "yes"
    NOT_YET = "not_yet"
    STOPPED = "stopped"


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

OPEN_REQUEST = (RequestState.WAITING, RequestState.CHOOSING, RequestState.ASKING)
TAKES_A_PLACE = (MentorshipState.PROPOSED, MentorshipState.ACTIVE)
WORKED_TOGETHER = (MentorshipState.ACTIVE, MentorshipState.COMPLETED, MentorshipState.STOPPED)
# A candidate who said no to a request, or let it lapse, is never offered for it again. One who
# left ("withdrawn") may be, once they volunteer again.
NEVER_AGAIN = (CandidateOutcome.DECLINED, CandidateOutcome.EXPIRED)
MET = tuple(Met)


class MentorError(ValueError):
    """Input a person must change; `field` names the form input it is about, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class Offered:
    """Requests that got (new) candidates: the edge tells each protégé privately."""

    rounds: list[tuple[int, int]] = field(default_factory=list)  # (request id, round)


@dataclass(frozen=True)
class TopicInfo:
    id: int
    name: str
    curated: bool


# -- rows by id, within one organisation -------------------------------------------------------
# Ids come from buttons and forms: a row of another organisation is "not found", so every read by
# id names the workspaces it may come from (never `session.get` by the id alone).


def _scoped(session: Session, model: type[Row], team_id: str, *where: Any) -> Row | None:
    return session.exec(
        select(model).where(model.team_id.in_(workspaces.pool(session, team_id=team_id)), *where)
    ).first()


def request_row(session: Session, *, team_id: str, request_id: int) -> MentorRequest | None:
    return _scoped(session, MentorRequest, team_id, MentorRequest.id == request_id)


def candidate_row(session: Session, *, team_id: str, request_id: int, mentor_id: str) -> MentorCandidate | None:
    return _scoped(
        session,
        MentorCandidate,
        team_id,
        MentorCandidate.request_id == request_id,
        MentorCandidate.mentor_id == mentor_id,
    )


def mentorship_row(session: Session, *, team_id: str, mentorship_id: int) -> Mentorship | None:
    return _scoped(session, Mentorship, team_id, Mentorship.id == mentorship_id)


def call_row(session: Session, *, team_id: str, call_id: int) -> MentorCall | None:
    """A call for volunteers lives in its channel's workspace: read within that workspace."""
    return session.exec(select(MentorCall).where(MentorCall.team_id == team_id, MentorCall.id == call_id)).first()


def topic_name(session: Session, *, team_id: str, topic_id: int) -> str | None:
    """A topic's name; the topic may be another workspace's of the organisation."""
    return topics.name_in_pool(session, team_id=team_id, topic_id=topic_id)


def clean(text: str | None, limit: int, *, what: str = "", field: str | None = None) -> str:
    text = " ".join((text or "").split()) if limit <= MAX_FIELD_CHARS else (text or "").strip()
    if len(text) > limit:
        if not what:
            return text[:limit]
        raise MentorError(f"{what} can be at most {limit} characters (it has {len(text)}).", field)
    return text


def listed(session: Session, team_id: str, topic_ids: list[int]) -> list[int]:
    """The topics, all on the mentoring list; else a MentorError."""
    on_list = set(
        session.exec(
            select(MentoringTopic.topic_id).where(
                MentoringTopic.team_id == team_id, MentoringTopic.topic_id.in_(topic_ids)
            )
        )
    )
    missing = [t for t in topic_ids if t not in on_list]
    if missing:
        raise MentorError("That topic is no longer on the mentoring list; choose another.", "topics")
    return topic_ids


def volunteer_topics(session: Session, *, team_id: str, user_id: str) -> list[int]:
    """The topics a person offers to mentor in (kept while they are paused or have left)."""
    return list(
        session.exec(
            select(VolunteerTopic.topic_id).where(VolunteerTopic.team_id == team_id, VolunteerTopic.user_id == user_id)
        )
    )
