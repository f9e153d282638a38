"""The scoreboard's SQL aggregates (storage.scoreboard) on SQLite and PostgreSQL, against hand-built
data sets whose answers are worked out by hand in each test."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from storage import scoreboard
from storage.db import session_scope
from storage.models import (
    Answer,
    Deferral,
    ExpertSession,
    HelperPreference,
    HelpThread,
    MentoringTopic,
    MentorRequest,
    Mentorship,
    ProtegeToMentor,
    Question,
    SessionExpert,
    Topic,
    Volunteer,
    VolunteerTopic,
)

TEAM = "T0SCORE"
OTHER = "T0OTHER"
START = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday
END = START + timedelta(days=7)
DAY = timedelta(days=1)
S = timedelta(seconds=1)

_seq = itertools.count(1)


def _question(
    s, *, team=TEAM, status="posted", created=START, posted=..., shown="open", asker="UASKER", session_id=None
):
    n = next(_seq)
    q = Question(
        team_id=team,
        asker_id=asker,
        text=f"q{n}?",
        channel_id="CQ",
        status=status,
        shown_state=shown,
        message_ts=f"{n}.0" if status == "posted" else None,
        request_id=f"r{n}",
        created_at=created,
        posted_at=(created if status == "posted" else None) if posted is ... else posted,
        session_id=session_id,
    )
    s.add(q)
    s.flush()
    return q


def _answer(s, q, *, author="UHELP", at, deleted=None, accepted=None):
    n = next(_seq)
    a = Answer(
        team_id=q.team_id,
        question_id=q.id,
        message_ts=f"{n}.1",
        author_id=author,
        text="a",
        answered_at=at,
        deleted_at=deleted,
        accepted_at=accepted,
        accepted_by=q.asker_id if accepted else None,
    )
    s.add(a)
    s.flush()
    return a


def _week(engine, part, team=TEAM):
    with session_scope(engine) as s:
        return getattr(scoreboard, part)(s, team_id=team, start=START, end=END)


# --- questions -----------------------------------------------------------------------------------


def test_question_figures(engine):
    with session_scope(engine) as s:
        # Answered exactly 24h after posting (counts as within a day) and resolved; the asker's own
        # reply and a deleted reply, both earlier, are not its first answer.
        q1 = _question(s, created=START)  # the first instant of the week counts
        _answer(s, q1, author="UASKER", at=START + timedelta(minutes=1))
        _answer(s, q1, at=START + timedelta(minutes=2), deleted=START + timedelta(minutes=3))
        _answer(s, q1, author="UB", at=START + DAY, accepted=START + DAY + timedelta(hours=1))
        # Answered 24h and one second after posting: answered, not within a day.
        q2 = _question(s, created=START + timedelta(hours=1))
        _answer(s, q2, at=START + timedelta(hours=1) + DAY + S)
        # Two answers: the first came after 30 minutes. An accepted answer by the asker and a
        # deleted accepted answer would not resolve anything: only one may be accepted, so the
        # deleted one is tested on q4.
        q3 = _question(s, created=START + timedelta(hours=2), shown="answered")
        _answer(s, q3, at=START + timedelta(hours=3))
        _answer(s, q3, author="UC", at=START + timedelta(hours=2, minutes=30))
        # Only the asker's reply and a deleted (accepted) reply: not answered, not resolved.
        q4 = _question(s, created=START + timedelta(hours=3))
        _answer(s, q4, author="UASKER", at=START + timedelta(hours=4))
        _answer(
            s,
            q4,
            at=START + timedelta(hours=5),
            deleted=START + timedelta(hours=6),
            accepted=START + timedelta(hours=5, minutes=1),
        )
        # Asked: deflected and pending count; failed and held do not.
        _question(s, status="deflected", created=START + timedelta(days=2))
        _question(s, status="pending", created=START + timedelta(days=3))
        _question(s, status="failed", created=START + timedelta(days=3))
        _question(s, status="held", created=START + timedelta(days=3))
        # Outside the week: at its end (exclusive) and a second before its start, both answered.
        late = _question(s, created=END)
        _answer(s, late, at=END + S, accepted=END + 2 * S)
        early = _question(s, created=START - S, shown="resolved")
        _answer(s, early, at=START, accepted=START + S)
        _question(s, status="deflected", created=END - timedelta(days=8))
        # The oldest open question: posted ten days before the week, still open. Older ones that
        # are answered or resolved, or in another workspace, do not count.
        old = _question(s, created=START - timedelta(days=10), posted=START - timedelta(days=10, hours=-5))
        _question(s, created=START - timedelta(days=20), shown="answered")
        _question(s, created=START - timedelta(days=30), shown="resolved")
        _question(s, team=OTHER, created=START - timedelta(days=40))
        # Another workspace's week never counts.
        for i in range(3):
            other = _question(s, team=OTHER, created=START + timedelta(hours=i))
            _answer(s, other, at=START + timedelta(hours=i, minutes=1), accepted=START + timedelta(hours=i, minutes=2))
        _question(s, team=OTHER, status="deflected", created=START)
        old_id = old.id

    assert _week(engine, "questions") == {
        "asked": 6,  # q1-q4, deflected, pending
        "deflected": 1,
        "answered": 3,  # q1, q2, q3
        "resolved": 1,  # q1
        "answered_within_day": 2,  # q1 (exactly 24h), q3 (30 min)
        # Waits 86400, 86401, 1800: the middle one.
        "median_first_answer_seconds": 86400,
        "oldest_open_id": old_id,
        # Posted 16 days 19 hours before the week ended.
        "oldest_open_days": 16,
    }


def test_median_of_an_even_count_is_the_mean_of_the_middle_two(engine):
    with session_scope(engine) as s:
        for i, wait in enumerate((1000, 100, 300, 200)):
            q = _question(s, created=START + timedelta(hours=i), shown="answered")
            _answer(s, q, at=START + timedelta(hours=i, seconds=wait))
        # An answer on another workspace's question, or outside the week, moves nothing.
        other = _question(s, team=OTHER, created=START)
        _answer(s, other, at=START + timedelta(seconds=5))
        outside = _question(s, created=END)
        _answer(s, outside, at=END + timedelta(seconds=5))
    figures = _week(engine, "questions")
    assert figures["answered"] == 4
    assert figures["answered_within_day"] == 4
    assert figures["median_first_answer_seconds"] == 250
    assert figures["oldest_open_id"] is None and figures["oldest_open_days"] is None


def test_median_of_an_odd_count_is_the_middle_one(engine):
    with session_scope(engine) as s:
        for i, wait in enumerate((7, 3 * 86400, 60)):
            q = _question(s, created=START + timedelta(days=i), shown="answered")
            _answer(s, q, at=START + timedelta(days=i, seconds=wait))
    figures = _week(engine, "questions")
    assert (figures["answered"], figures["answered_within_day"], figures["median_first_answer_seconds"]) == (3, 2, 60)


def test_nothing_answered_has_no_median(engine):
    with session_scope(engine) as s:
        q = _question(s, created=START + DAY)
        _answer(s, q, author="UASKER", at=START + 2 * DAY)
        _question(s, created=START + 2 * DAY)
        # Posted at the week's end: not open "as of" the end.
        _question(s, created=END)
        q_id = q.id
    assert _week(engine, "questions") == {
        "asked": 2,
        "deflected": 0,
        "answered": 0,
        "resolved": 0,
        "answered_within_day": 0,
        "median_first_answer_seconds": None,
        "oldest_open_id": q_id,
        "oldest_open_days": 6,
    }


def test_oldest_open_is_posted_before_the_end_and_counted_in_whole_days(engine):
    with session_scope(engine) as s:
        _question(s, created=END)  # at the end: not yet
        q = _question(s, created=END - 3 * DAY + S)  # 2 days 23:59:59 before the end
        # Stored but never posted: not open in the channel.
        _question(s, status="pending", created=START - 5 * DAY)
        _question(s, status="failed", created=START - 5 * DAY, posted=None)
        q_id = q.id
    figures = _week(engine, "questions")
    assert (figures["oldest_open_id"], figures["oldest_open_days"]) == (q_id, 2)


# --- expert sessions -----------------------------------------------------------------------------


def _session(s, *, team=TEAM, state="closed", starts=START, expert="UEXP"):
    n = next(_seq)
    es = ExpertSession(
        team_id=team,
        channel_id="CS",
        topic="t",
        organiser_id="UORG",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        state=state,
        request_id=f"s{n}",
        closed_at=starts + timedelta(hours=1) if state == "closed" else None,
    )
    s.add(es)
    s.flush()
    s.add(SessionExpert(session_id=es.id, user_id=expert, team_id=team))
    s.flush()
    return es


def _deferral(s, q, *, overdue):
    s.add(
        Deferral(
            question_id=q.id,
            team_id=q.team_id,
            expert_id="UEXP",
            due_date=(overdue - DAY).date(),
            remind_at=overdue - timedelta(hours=15),
            overdue_at=overdue,
        )
    )
    s.flush()


def test_session_figures(engine):
    with session_scope(engine) as s:
        # Sessions count in the week they closed: this one spans the week's start and closes in it.
        held = _session(s, starts=START - timedelta(minutes=30))
        for state in ("open", "scheduled", "cancelled", "missed"):
            _session(s, state=state, starts=START + DAY)
        at_end = _session(s, starts=END - timedelta(minutes=30))  # closes after the week's end
        before = _session(s, starts=START - timedelta(hours=1) - S)  # closed just before it
        theirs = _session(s, team=OTHER, starts=START + DAY)
        # In the held session: answered by its expert; deferred (not yet due); answered only by the
        # asker; no reply at all; answered only by a deleted reply; answered only by a colleague.
        answered = _question(s, session_id=held.id, created=START + timedelta(minutes=5))
        _answer(s, answered, author="UEXP", at=START + timedelta(minutes=10))
        deferred = _question(s, session_id=held.id, created=START + timedelta(minutes=6))
        _deferral(s, deferred, overdue=END + 3 * DAY)
        by_asker = _question(s, session_id=held.id, created=START + timedelta(minutes=7))
        _answer(s, by_asker, author="UASKER", at=START + timedelta(minutes=8))
        _question(s, session_id=held.id, created=START + timedelta(minutes=9))
        deleted = _question(s, session_id=held.id, created=START + timedelta(minutes=11))
        _answer(s, deleted, at=START + timedelta(minutes=12), deleted=START + timedelta(minutes=13))
        community = _question(s, session_id=held.id, created=START + timedelta(minutes=14))
        _answer(s, community, author="UHELP", at=START + timedelta(minutes=15))
        # Answered by someone who is the expert of another session (with questions of its own),
        # not of this one: not handled.
        elsewhere = _session(s, starts=START - 3 * DAY, expert="UOTHEREXP")
        _question(s, session_id=elsewhere.id, created=START - 3 * DAY)
        other_expert = _question(s, session_id=held.id, created=START + timedelta(minutes=16))
        _answer(s, other_expert, author="UOTHEREXP", at=START + timedelta(minutes=17))
        # Questions of sessions not held this week, or another workspace's.
        for other in (at_end, before):
            q = _question(s, session_id=other.id, created=other.starts_at)
            _answer(s, q, at=other.starts_at + S)
        q = _question(s, team=OTHER, session_id=theirs.id, created=START + DAY)
        _answer(s, q, at=START + DAY + S)
    assert _week(engine, "sessions") == {
        "held": 1,
        "questions": 7,
        "handled": 2,
        "deferrals_kept": 0,
        "deferrals_overdue": 0,
    }


def test_deferrals_kept_and_overdue(engine):
    due = START + 3 * DAY
    with session_scope(engine) as s:
        sessions = {team: _session(s, team=team, starts=START - 7 * DAY) for team in (TEAM, OTHER)}

        def deferred(overdue, *answers, team=TEAM):
            q = _question(s, team=team, created=START - 7 * DAY, session_id=sessions[team].id)
            for kwargs in answers:
                _answer(s, q, **{"author": "UEXP", **kwargs})
            _deferral(s, q, overdue=overdue)

        deferred(due, {"at": due - DAY})  # kept
        deferred(due, {"at": due})  # kept: answered at the very end of the due date
        deferred(START, {"at": START - S})  # kept: due at the week's first instant
        deferred(due, {"at": due + S})  # answered late: neither kept nor overdue
        deferred(due)  # overdue
        deferred(START - 5 * DAY)  # overdue since before the week: still overdue
        deferred(due, {"at": due - DAY, "deleted": due - DAY + S})  # only a deleted answer: overdue
        deferred(due, {"at": due - DAY, "author": "UASKER"})  # only the asker's own reply: overdue
        deferred(due, {"at": due - DAY, "author": "UHELP"})  # only a colleague's reply, not an expert's: overdue
        deferred(END)  # due at the end: not yet overdue
        deferred(END, {"at": START + DAY})  # answered early, due next week: kept next week
        deferred(due, team=OTHER)
        deferred(due, {"at": due - DAY}, team=OTHER)
    figures = _week(engine, "sessions")
    assert (figures["deferrals_kept"], figures["deferrals_overdue"]) == (3, 5)


# --- mentoring -----------------------------------------------------------------------------------


def test_mentoring_figures(engine):
    with session_scope(engine) as s:
        topics = {}
        for team, name in ((TEAM, "Leadership"), (TEAM, "Kubernetes"), (TEAM, "Rust"), (OTHER, "Leadership")):
            t = Topic(team_id=team, key=name.lower(), name=name, created_at=START - 90 * DAY)
            s.add(t)
            s.flush()
            topics[team, name] = t.id
        lead, kube, rust, theirs = (
            topics[TEAM, "Leadership"],
            topics[TEAM, "Kubernetes"],
            topics[TEAM, "Rust"],
            topics[OTHER, "Leadership"],
        )
        # Leadership and Rust are on the curated list; Kubernetes was only suggested; another
        # workspace's curated topic is not this one's.
        for team, t, curated in ((TEAM, lead, True), (TEAM, rust, True), (TEAM, kube, False), (OTHER, theirs, True)):
            s.add(MentoringTopic(team_id=team, topic_id=t, curated=curated, added_by="UADMIN"))

        def request(topic, state="waiting", team=TEAM, created=START - DAY, protege=None):
            n = next(_seq)
            r = MentorRequest(
                team_id=team,
                protege_id=protege or f"UP{n}",
                topic_id=topic,
                goal="g",
                state=state,
                request_id=f"m{n}",
                created_at=created,
                updated_at=created,
            )
            s.add(r)
            s.flush()
            return r

        def pair(mentor, topic, state, team=TEAM, finished=None):
            r = request(topic, "matched", team=team)
            s.add(
                Mentorship(
                    team_id=team,
                    request_id=r.id,
                    mentor_id=mentor,
                    protege_id=r.protege_id,
                    topic_id=topic,
                    state=state,
                    proposed_at=START - 30 * DAY,
                    answer_by=START - 27 * DAY,
                    finished_at=finished,
                )
            )

        def volunteer(user, topic_ids, capacity=1, paused=False, left=None, team=TEAM):
            s.add(
                Volunteer(
                    team_id=team,
                    user_id=user,
                    capacity=capacity,
                    paused=paused,
                    joined_at=START - 60 * DAY,
                    left_at=left,
                )
            )
            for t in topic_ids:
                s.add(VolunteerTopic(team_id=team, user_id=user, topic_id=t))

        # Seeking: waiting, choosing and asking requests made before the end.
        for state in ("waiting", "choosing", "asking", "matched", "withdrawn"):
            request(lead, state)
        request(lead, created=END)
        request(lead, created=END - S)
        request(kube)
        request(theirs, team=OTHER)
        request(theirs, "choosing", team=OTHER)

        volunteer("UV1", [lead, kube], capacity=2)
        pair("UV1", lead, "active")  # one of two places taken
        volunteer("UV2", [lead])
        pair("UV2", lead, "proposed")  # full: a proposal holds the place
        volunteer("UV3", [lead], paused=True)
        volunteer("UV4", [lead], left=START - DAY)
        volunteer("UV5", [lead])
        pair("UV5", lead, "completed", finished=START + DAY)  # places freed by finished pairs
        pair("UV5", lead, "stopped", finished=START + DAY)
        pair("UV5", lead, "declined")
        volunteer("UV6", [])  # no topic: listed nowhere
        volunteer("UV7", [kube])
        pair("UV7", theirs, "active", team=OTHER)  # another workspace's pair takes no place here
        volunteer("UV8", [kube], capacity=2)
        pair("UV8", kube, "active")
        pair("UV8", kube, "proposed")
        volunteer("UV9", [theirs], team=OTHER)

        pair("UM1", kube, "active")
        pair("UM2", kube, "completed", finished=START)  # the week's first instant
        pair("UM2", kube, "completed", finished=END)
        pair("UM2", kube, "completed", finished=START - S)
        pair("UM3", theirs, "completed", finished=START + DAY, team=OTHER)

        for user, topic, at, team in (
            ("UX1", lead, START - 30 * DAY, TEAM),
            ("UX2", lead, START, TEAM),
            ("UX3", lead, END, TEAM),
            ("UX4", kube, END - S, TEAM),
            ("UX5", theirs, START + DAY, OTHER),
        ):
            s.add(ProtegeToMentor(team_id=team, user_id=user, topic_id=topic, at=at))

    figures = _week(engine, "mentoring")
    # In name order; the curated topic with nothing in it is there too, with zeros.
    assert figures["topics"] == [
        {
            "topic_id": kube,
            "topic": "Kubernetes",
            "curated": False,
            "seeking": 1,
            "volunteers": 2,
            "active": 2,
            "completed": 1,
            "protege_to_mentor": 1,
        },
        {
            "topic_id": lead,
            "topic": "Leadership",
            "curated": True,
            "seeking": 4,
            "volunteers": 2,
            "active": 1,
            "completed": 1,
            "protege_to_mentor": 2,
        },
        {
            "topic_id": rust,
            "topic": "Rust",
            "curated": True,
            "seeking": 0,
            "volunteers": 0,
            "active": 0,
            "completed": 0,
            "protege_to_mentor": 0,
        },
    ]
    assert {k: v for k, v in figures.items() if k != "topics"} == {
        "seeking": 5,
        "volunteers": 3,  # UV1, UV5, UV7
        "active": 3,
        "completed": 2,
        "protege_to_mentor_total": 3,
        "protege_to_mentor_week": 2,
    }


# --- helpers -------------------------------------------------------------------------------------


def test_helpers_thanked_are_opted_in_ordered_and_at_most_three(engine):
    with session_scope(engine) as s:
        for user, thank in (("UH1", True), ("UH2", True), ("UH3", True), ("UH4", True), ("UH5", False)):
            s.add(HelperPreference(team_id=TEAM, user_id=user, thank_publicly=thank))
        s.add(HelperPreference(team_id=OTHER, user_id="UH9", thank_publicly=True))

        def accepted(author, at, team=TEAM, deleted=None):
            q = _question(s, team=team, created=START - 10 * DAY)
            _answer(s, q, author=author, at=at - S, accepted=at, deleted=deleted)

        for i in range(3):
            accepted("UH1", START + i * DAY)
        accepted("UH2", START + DAY)
        accepted("UH2", END - S)
        accepted("UH2", START + DAY, deleted=START + 2 * DAY)  # deleted: not counted
        accepted("UH3", START + 2 * DAY)
        accepted("UH4", START + 2 * DAY)
        for _ in range(5):
            accepted("UH5", START + DAY)  # the most, but not opted in
            accepted("UH6", START + DAY)  # no preference at all
            accepted("UH4", START - S)  # before the week
            accepted("UH4", END)  # after it
            accepted("UH9", START + DAY, team=OTHER)  # opted in elsewhere
            accepted("UH4", START + DAY, team=OTHER)  # UH4's answers in another workspace
    assert _week(engine, "helpers") == [
        {"user_id": "UH1", "accepted": 3},
        {"user_id": "UH2", "accepted": 2},
        {"user_id": "UH3", "accepted": 1},  # ties with UH4, first by id
    ]
    with session_scope(engine) as s:
        assert scoreboard.helpers(s, team_id=OTHER, start=START, end=END) == [{"user_id": "UH9", "accepted": 5}]


# --- the whole week, and workspaces --------------------------------------------------------------


def test_another_workspaces_rows_never_count(engine):
    with session_scope(engine) as s:
        t = Topic(team_id=OTHER, key="rust", name="Rust")
        s.add(t)
        s.flush()
        es = _session(s, team=OTHER, starts=START + DAY)
        s.add(SessionExpert(session_id=es.id, user_id="UH", team_id=OTHER))  # UH answers as the session's expert
        q = _question(s, team=OTHER, created=START + DAY, session_id=es.id)
        _answer(s, q, author="UH", at=START + DAY + S, accepted=START + DAY + 2 * S)
        _question(s, team=OTHER, status="deflected", created=START + DAY)
        old = _question(s, team=OTHER, created=START - 9 * DAY)
        _deferral(s, old, overdue=START + DAY)
        s.add(HelperPreference(team_id=OTHER, user_id="UH", thank_publicly=True))
        # The same person opted in here changes nothing: their answers are in the other workspace.
        s.add(HelperPreference(team_id=TEAM, user_id="UH", thank_publicly=True))
        r = MentorRequest(
            team_id=OTHER, protege_id="UP", topic_id=t.id, goal="g", request_id="m", created_at=START, updated_at=START
        )
        s.add(r)
        s.flush()
        s.add(
            Mentorship(
                team_id=OTHER,
                request_id=r.id,
                mentor_id="UV",
                protege_id="UP",
                topic_id=t.id,
                state="completed",
                proposed_at=START,
                answer_by=START,
                finished_at=START + DAY,
            )
        )
        s.add(
            Mentorship(
                team_id=OTHER,
                request_id=r.id,
                mentor_id="UV",
                protege_id="UQ",
                topic_id=t.id,
                state="active",
                proposed_at=START,
                answer_by=START,
            )
        )
        s.add(Volunteer(team_id=OTHER, user_id="UV", capacity=3))
        s.add(VolunteerTopic(team_id=OTHER, user_id="UV", topic_id=t.id))
        # A help-channel question an earlier lesson answered (core.helpchannels).
        s.add(
            HelpThread(
                team_id=OTHER,
                channel_id="C0HELP",
                thread_ts="1.0",
                asker_id="UQ",
                state="suggested",
                answered_by_id=old.id,
                answered_at=START + DAY,
            )
        )
        s.add(ProtegeToMentor(team_id=OTHER, user_id="UP", topic_id=t.id, at=START + DAY))
        s.add(
            MentorRequest(
                team_id=OTHER,
                protege_id="UR",
                topic_id=t.id,
                goal="g",
                request_id="m2",
                created_at=START,
                updated_at=START,
            )
        )

        # A thread saved as a lesson there: counted as saved, not as asked.
        s.add(
            Question(
                team_id=OTHER,
                asker_id="UA",
                text="A lesson",
                channel_id="",
                status="posted",
                shown_state="none",
                request_id="lesson:C0HELP:1",
                created_at=START + DAY,
                posted_at=START + DAY,
                saved_by="US",
                saved_at=START + DAY,
            )
        )

    with session_scope(engine) as s:
        mine = scoreboard.week(s, team_id=TEAM, start=START, end=END)
        theirs = scoreboard.week(s, team_id=OTHER, start=START, end=END)
        teams = scoreboard.teams(s)
    assert mine == {
        "pool": [TEAM],
        "questions": {
            "asked": 0,
            "deflected": 0,
            "answered": 0,
            "resolved": 0,
            "answered_within_day": 0,
            "median_first_answer_seconds": None,
            "oldest_open_id": None,
            "oldest_open_days": None,
        },
        "sessions": {"held": 0, "questions": 0, "handled": 0, "deferrals_kept": 0, "deferrals_overdue": 0},
        "mentoring": {
            "topics": [],
            "seeking": 0,
            "volunteers": 0,
            "active": 0,
            "completed": 0,
            "protege_to_mentor_total": 0,
            "protege_to_mentor_week": 0,
        },
        "helpers": [],
        "lessons": {"saved": 0, "topics": []},
        "help": {"deflected": 0, "topics": []},
    }
    # The same rows, read for their own workspace, do count: the data set is not empty by mistake.
    assert theirs["lessons"] == {"saved": 1, "topics": []}
    assert theirs["questions"]["asked"] == 2 and theirs["questions"]["resolved"] == 1
    assert theirs["questions"]["oldest_open_id"] == old.id
    assert theirs["sessions"] == {"held": 1, "questions": 1, "handled": 1, "deferrals_kept": 0, "deferrals_overdue": 1}
    assert theirs["mentoring"]["topics"] == [
        {
            "topic_id": t.id,
            "topic": "Rust",
            "curated": False,
            "seeking": 2,
            "volunteers": 1,
            "active": 1,
            "completed": 1,
            "protege_to_mentor": 1,
        }
    ]
    assert theirs["helpers"] == [{"user_id": "UH", "accepted": 1}]
    assert theirs["help"]["deflected"] == 1
    assert teams == [OTHER]
