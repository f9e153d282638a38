"""The scoreboard's figures for one week, each computed by an SQL aggregate, on SQLite and
PostgreSQL alike. Plain values out (a JSON-able dict); what to show is core's job.

Whose figures: one workspace's, or an organisation's (`pool`: every workspace of it, the
posting workspace first; core.scoreboard decides which). Across an organisation, mentoring topics
are counted by key (a topic written in several workspaces is one: core.topics), each person once
(a Grid user id is the same in every workspace), and a topic is named and listed as the posting
workspace has it.

"The week" is [start, end). Figures about what happened (asked, resolved, completed, held)
count events in the week; figures about where things stand (people seeking a mentor, volunteers
with a place free, active pairs, the oldest unanswered question, overdue deferrals) are as of
`end` when computed at `end` (the weekly job computes each week once, as it closes).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, case, exists, func, or_, select
from sqlmodel import Session

from storage import qa
from storage.models import (
    Answer,
    Channel,
    Deferral,
    ExpertSession,
    HelperPreference,
    HelpThread,
    MentoringTopic,
    MentorRequest,
    Mentorship,
    ProtegeToMentor,
    Question,
    QuestionTopic,
    Topic,
    Volunteer,
    VolunteerTopic,
)

OPEN_REQUEST = ("waiting", "choosing", "asking")
DAY_SECONDS = 86400
THANKED = 3  # helpers thanked by name, at most


def _seconds(session: Session, column):
    """A UTC timestamp column as seconds since the epoch, in the database's own arithmetic."""
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(column) * DAY_SECONDS
    return func.extract("epoch", column)


def _live_answer(question=Question):
    """An answer that counts: not deleted, not by the asker."""
    return and_(Answer.question_id == question.id, Answer.deleted_at.is_(None), Answer.author_id != question.asker_id)


def _teams(team_id: str, pool: Sequence[str] | None) -> list[str]:
    return list(pool) if pool else [team_id]


def questions(
    session: Session, *, team_id: str, start: datetime, end: datetime, pool: Sequence[str] | None = None
) -> dict:
    teams = _teams(team_id, pool)
    asked = session.execute(
        select(func.count(), func.coalesce(func.sum(case((Question.status == "deflected", 1), else_=0)), 0)).where(
            Question.team_id.in_(teams),
            Question.created_at >= start,
            Question.created_at < end,
            Question.status.in_(("posted", "deflected", "pending")),
            Question.saved_by.is_(None),  # a lesson saved from a thread counts as saved, not asked
        )
    ).one()
    # Per question posted this week: its first answer, and whether one was accepted.
    firsts = (
        select(
            Question.id.label("id"),
            (_seconds(session, func.min(Answer.answered_at)) - _seconds(session, Question.posted_at)).label("wait"),
            func.count(Answer.accepted_at).label("accepted"),
        )
        .select_from(Question)
        .outerjoin(Answer, _live_answer())
        .where(
            Question.team_id.in_(teams),
            Question.created_at >= start,
            Question.created_at < end,
            Question.status == "posted",
            Question.saved_by.is_(None),
        )
        .group_by(Question.id, Question.posted_at)
        .cte("firsts")
    )
    # The median wait: the middle one (or the mean of the middle two) in order, in the same
    # statement, so the per-question join runs once (the CTE is read twice, materialised once).
    ranked = (
        select(
            firsts.c.wait, func.row_number().over(order_by=firsts.c.wait).label("rn"), func.count().over().label("n")
        )
        .where(firsts.c.wait.is_not(None))
        .subquery()
    )
    middle = (
        select(func.avg(ranked.c.wait))
        .where(or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2))
        .scalar_subquery()
    )
    answered, resolved, within_day, median = session.execute(
        select(
            func.count(firsts.c.wait),
            func.coalesce(func.sum(case((firsts.c.accepted > 0, 1), else_=0)), 0),
            func.coalesce(func.sum(case((firsts.c.wait <= DAY_SECONDS, 1), else_=0)), 0),
            middle,
        ).select_from(firsts)
    ).one()
    median = round(float(median)) if answered else None
    oldest = session.execute(
        select(Question.id, Question.posted_at)
        .where(
            Question.team_id.in_(teams),
            Question.shown_state == "open",
            Question.status == "posted",
            Question.posted_at.is_not(None),
            Question.posted_at < end,
        )
        .order_by(Question.posted_at, Question.id)
        .limit(1)
    ).first()
    return {
        "asked": asked[0],
        "deflected": int(asked[1]),
        "answered": answered,
        "resolved": int(resolved),
        "answered_within_day": int(within_day),
        "median_first_answer_seconds": max(median, 0) if median is not None else None,
        "oldest_open_id": oldest[0] if oldest else None,
        "oldest_open_days": int((end - oldest[1]).total_seconds() // DAY_SECONDS) if oldest else None,
    }


def sessions(
    session: Session, *, team_id: str, start: datetime, end: datetime, pool: Sequence[str] | None = None
) -> dict:
    teams = _teams(team_id, pool)
    # A session counts in the week it closed: one that spans the posting time is counted once,
    # complete, the week after (by its start it would be counted before it was over, or never).
    held = select(ExpertSession.id).where(
        ExpertSession.team_id.in_(teams),
        ExpertSession.state == "closed",
        ExpertSession.closed_at >= start,
        ExpertSession.closed_at < end,
    )
    # As in core.sessions: a session question is answered by one of its session's experts.
    by_expert = qa.by_session_expert()
    answered = exists().where(_live_answer(), by_expert)
    deferred = exists().where(Deferral.question_id == Question.id)
    handled = session.execute(
        select(func.count(), func.coalesce(func.sum(case((or_(answered, deferred), 1), else_=0)), 0)).where(
            Question.team_id.in_(teams), Question.session_id.in_(held)
        )
    ).one()
    # A deferral was kept when one of the session's experts answered before the due date ended.
    deferred_answer = and_(Question.id == Deferral.question_id, _live_answer(), by_expert)
    answered_in_time = exists().where(deferred_answer, Answer.answered_at <= Deferral.overdue_at)
    answered_at_all = exists().where(deferred_answer)
    kept = session.execute(
        select(func.count())
        .select_from(Deferral)
        .where(Deferral.team_id.in_(teams), Deferral.overdue_at >= start, Deferral.overdue_at < end, answered_in_time)
    ).scalar_one()
    overdue = session.execute(
        select(func.count())
        .select_from(Deferral)
        .where(Deferral.team_id.in_(teams), Deferral.overdue_at < end, ~answered_at_all)
    ).scalar_one()
    return {
        "held": session.execute(select(func.count()).select_from(held.subquery())).scalar_one(),
        "questions": handled[0],
        "handled": int(handled[1]),
        "deferrals_kept": kept,
        "deferrals_overdue": overdue,
    }


def mentoring(
    session: Session, *, team_id: str, start: datetime, end: datetime, pool: Sequence[str] | None = None
) -> dict:
    teams = _teams(team_id, pool)
    seeking = dict(
        session.execute(
            select(Topic.key, func.count())
            .select_from(MentorRequest)
            .join(Topic, Topic.id == MentorRequest.topic_id)
            .where(
                MentorRequest.team_id.in_(teams), MentorRequest.state.in_(OPEN_REQUEST), MentorRequest.created_at < end
            )
            .group_by(Topic.key)
        ).all()
    )
    # Places taken, per person across the pool's workspaces.
    load = (
        select(Mentorship.mentor_id, func.count().label("taken"))
        .where(Mentorship.team_id.in_(teams), Mentorship.state.in_(("proposed", "active")))
        .group_by(Mentorship.mentor_id)
        .subquery()
    )
    with_room = and_(
        Volunteer.left_at.is_(None),
        Volunteer.paused.is_(False),
        func.coalesce(load.c.taken, 0) < Volunteer.capacity,
    )
    offering = and_(Volunteer.team_id == VolunteerTopic.team_id, Volunteer.user_id == VolunteerTopic.user_id)
    volunteers = dict(
        session.execute(
            select(Topic.key, func.count(func.distinct(Volunteer.user_id)))
            .select_from(VolunteerTopic)
            .join(Volunteer, offering)
            .join(Topic, Topic.id == VolunteerTopic.topic_id)
            .outerjoin(load, load.c.mentor_id == Volunteer.user_id)
            .where(VolunteerTopic.team_id.in_(teams), with_room)
            .group_by(Topic.key)
        ).all()
    )
    active = dict(
        session.execute(
            select(Topic.key, func.count())
            .select_from(Mentorship)
            .join(Topic, Topic.id == Mentorship.topic_id)
            .where(Mentorship.team_id.in_(teams), Mentorship.state == "active")
            .group_by(Topic.key)
        ).all()
    )
    completed = dict(
        session.execute(
            select(Topic.key, func.count())
            .select_from(Mentorship)
            .join(Topic, Topic.id == Mentorship.topic_id)
            .where(
                Mentorship.team_id.in_(teams),
                Mentorship.state == "completed",
                Mentorship.finished_at >= start,
                Mentorship.finished_at < end,
            )
            .group_by(Topic.key)
        ).all()
    )
    p2m_total, p2m_week = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((and_(ProtegeToMentor.at >= start, ProtegeToMentor.at < end), 1), else_=0)), 0),
        ).where(ProtegeToMentor.team_id.in_(teams), ProtegeToMentor.at < end)
    ).one()
    p2m_topics = dict(
        session.execute(
            select(Topic.key, func.count())
            .select_from(ProtegeToMentor)
            .join(Topic, Topic.id == ProtegeToMentor.topic_id)
            .where(ProtegeToMentor.team_id.in_(teams), ProtegeToMentor.at < end)
            .group_by(Topic.key)
        ).all()
    )
    # The list shown is the posting workspace's own (its admins curate it).
    curated = set(
        session.execute(
            select(Topic.key)
            .join(MentoringTopic, MentoringTopic.topic_id == Topic.id)
            .where(MentoringTopic.team_id == team_id, MentoringTopic.curated.is_(True))
        ).scalars()
    )
    keys = set(seeking) | set(volunteers) | set(active) | set(completed) | set(p2m_topics) | curated
    # Each key's topic as the posting workspace has it (else as the workspace that wrote it first).
    named: dict[str, tuple[int, str, str]] = {}
    if keys:
        for topic_team, topic_id, key, name in session.execute(
            select(Topic.team_id, Topic.id, Topic.key, Topic.name)
            .where(Topic.team_id.in_(teams), Topic.key.in_(sorted(keys)))
            .order_by(Topic.id)
        ).all():
            if key not in named or (topic_team == team_id and named[key][2] != team_id):
                named[key] = (topic_id, name, topic_team)
    # Every topic with something in it, and every curated one (zeros included); which of them may
    # be shown, and how, is core's decision.
    topics = [
        {
            "topic_id": named[k][0],
            "topic": named[k][1],
            "curated": k in curated,
            "seeking": seeking.get(k, 0),
            "volunteers": volunteers.get(k, 0),
            "active": active.get(k, 0),
            "completed": completed.get(k, 0),
            "protege_to_mentor": p2m_topics.get(k, 0),
        }
        for k in keys
        if k in named
    ]
    topics.sort(key=lambda row: row["topic"].casefold())
    return {
        "topics": topics,
        "seeking": sum(seeking.values()),
        "volunteers": session.execute(
            select(func.count(func.distinct(Volunteer.user_id)))
            .select_from(Volunteer)
            .join(VolunteerTopic, offering)
            .outerjoin(load, load.c.mentor_id == Volunteer.user_id)
            .where(Volunteer.team_id.in_(teams), with_room)
        ).scalar_one(),
        "active": sum(active.values()),
        "completed": sum(completed.values()),
        "protege_to_mentor_total": p2m_total,
        "protege_to_mentor_week": int(p2m_week),
    }


def helpers(
    session: Session,
    *,
    team_id: str,
    start: datetime,
    end: datetime,
    limit: int = THANKED,
    pool: Sequence[str] | None = None,
) -> list[dict]:
    """Who had the most answers accepted this week, among those who agreed to be thanked by name
    (in the workspace they answered in)."""
    teams = _teams(team_id, pool)
    rows = session.execute(
        select(Answer.author_id, func.count().label("accepted"))
        .join(
            HelperPreference,
            and_(HelperPreference.team_id == Answer.team_id, HelperPreference.user_id == Answer.author_id),
        )
        .where(
            Answer.team_id.in_(teams),
            Answer.accepted_at >= start,
            Answer.accepted_at < end,
            Answer.deleted_at.is_(None),
            HelperPreference.thank_publicly.is_(True),
        )
        .group_by(Answer.author_id)
        .order_by(func.count().desc(), Answer.author_id)
        .limit(limit)
    ).all()
    return [{"user_id": user, "accepted": n} for user, n in rows]


LESSON_TOPICS = 10  # topics named in "lessons saved", at most


def lessons(
    session: Session, *, team_id: str, start: datetime, end: datetime, pool: Sequence[str] | None = None
) -> dict:
    """Threads saved as lessons (core.saving) in the week, and in how many of them each topic was
    tagged. Topics are counted by key across an organisation and named as the posting workspace
    has them; only lessons everyone may find (from a known public channel, or shared beyond their
    DM) name their topics: a private conversation's lesson counts in the total, its topics stay
    unsaid."""
    teams = _teams(team_id, pool)
    in_week = (
        Question.team_id.in_(teams),
        Question.saved_by.is_not(None),
        Question.saved_at >= start,
        Question.saved_at < end,
    )
    saved = session.execute(select(func.count()).select_from(Question).where(*in_week)).scalar_one()
    public = or_(
        Question.channel_id == "",
        exists().where(
            Channel.team_id == Question.team_id, Channel.channel_id == Question.channel_id, Channel.private.is_(False)
        ),
    )
    rows = session.execute(
        select(Topic.key, func.count(func.distinct(Question.id)))
        .select_from(Question)
        .join(QuestionTopic, QuestionTopic.question_id == Question.id)
        .join(Topic, Topic.id == QuestionTopic.topic_id)
        .where(*in_week, public, QuestionTopic.team_id.in_(teams), Topic.team_id.in_(teams))
        .group_by(Topic.key)
        .order_by(func.count(func.distinct(Question.id)).desc(), Topic.key)
        .limit(LESSON_TOPICS)
    ).all()
    names: dict[str, str] = {}
    for key, name, team in session.execute(
        select(Topic.key, Topic.name, Topic.team_id).where(
            Topic.team_id.in_(teams), Topic.key.in_([k for k, _ in rows])
        )
    ):
        if key not in names or team == team_id:
            names[key] = name
    return {"saved": saved, "topics": [{"topic": names.get(key, key), "saved": n} for key, n in rows]}


def help_channels(
    session: Session, *, team_id: str, start: datetime, end: datetime, pool: Sequence[str] | None = None
) -> dict:
    """Questions asked in help channels that an earlier lesson answered (the asker clicked *This
    answers it*: core.helpchannels), in all and per topic of the lessons that answered them (a
    lesson with two topics counts in both; topics by key across the organisation, named as the
    posting workspace has them, else as first written)."""
    teams = _teams(team_id, pool)
    period = (HelpThread.team_id.in_(teams), HelpThread.answered_at >= start, HelpThread.answered_at < end)
    total = session.execute(select(func.count()).select_from(HelpThread).where(*period)).scalar_one()
    topics = []
    if total:
        named_here = func.max(case((Topic.team_id == team_id, Topic.name)))
        rows = session.execute(
            select(Topic.key, func.coalesce(named_here, func.min(Topic.name)), func.count())
            .select_from(HelpThread)
            .join(QuestionTopic, QuestionTopic.question_id == HelpThread.answered_by_id)
            .join(Topic, Topic.id == QuestionTopic.topic_id)
            .where(*period, Topic.team_id.in_(teams), QuestionTopic.team_id.in_(teams))
            .group_by(Topic.key)
        ).all()
        topics = sorted(({"topic": name, "deflected": n} for _, name, n in rows), key=lambda t: t["topic"].casefold())
    return {"deflected": total, "topics": topics}


def week(session: Session, *, team_id: str, start: datetime, end: datetime, pool: Sequence[str] | None = None) -> dict:
    """The week's figures for `team_id`'s post: of its `pool` (the organisation's workspaces, it
    first) when given, else of the workspace alone. `pool` says whose figures they are."""
    teams = _teams(team_id, pool)
    return {
        "pool": sorted(teams),
        "questions": questions(session, team_id=team_id, start=start, end=end, pool=teams),
        "sessions": sessions(session, team_id=team_id, start=start, end=end, pool=teams),
        "mentoring": mentoring(session, team_id=team_id, start=start, end=end, pool=teams),
        "helpers": helpers(session, team_id=team_id, start=start, end=end, pool=teams),
        "lessons": lessons(session, team_id=team_id, start=start, end=end, pool=teams),
        "help": help_channels(session, team_id=team_id, start=start, end=end, pool=teams),
    }


def teams(session: Session) -> list[str]:
    """Every workspace with something to report."""
    found = set()
    for model in (Question, MentorRequest, Volunteer, ExpertSession):
        # the weekly post's job visits every workspace
        found |= set(session.execute(select(model.team_id).distinct().execution_options(all_workspaces=True)).scalars())
    return sorted(found)
