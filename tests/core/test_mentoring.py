"""The Mentor Center's flows in core (core/mentoring.py) on a real database: SQLite, and
PostgreSQL when KNOWHOW_TEST_POSTGRES_URL is set. Each step runs in its own transaction, as
each Slack request and each scheduler job does."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import select

from core import matching, mentoring, scoreboard
from core.mentoring import (
    AnswerOutcome,
    ChooseOutcome,
    MentorError,
    RequestOutcome,
    SlackPerson,
)
from core.scoreboard import Figure
from storage.db import session_scope
from storage.models import MentorCandidate, MentorRequest, Mentorship, ProtegeToMentor
from tests.races import race

TEAM = "T0MENTOR01"
OTHER = "T0MENTOR02"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LONDON = SlackPerson(title="Engineering Manager", tz="Europe/London", tz_offset=0)


# -- helpers: one transaction per step ------------------------------------------------------------


@pytest.fixture
def topics(engine):
    """The workspace's mentoring list: name -> topic id."""
    with session_scope(engine) as s:
        out = {}
        for name in ("Leadership", "Hiring", "Public speaking"):
            info, changed = mentoring.add_topic(s, team_id=TEAM, raw=name, user_id="U0ADMIN", curated=True)
            assert changed
            out[name] = info.id
        return out


def _person(engine, user_id, *, role="Engineering Manager", years=3, slack=LONDON, team=TEAM, location=None):
    with session_scope(engine) as s:
        p = mentoring.ensure_profile(s, team_id=team, user_id=user_id, slack=slack, now=T0)
        return mentoring.save_profile(
            s, team_id=team, user_id=user_id, role=role, location=location or p.location, years_in_role=years, now=T0
        )


def _volunteer(engine, user_id, topic_ids, *, capacity=1, note=None, now=T0, team=TEAM, **profile):
    if profile or not _has_profile(engine, team, user_id):
        _person(engine, user_id, team=team, **profile)
    with session_scope(engine) as s:
        return mentoring.volunteer(
            s, team_id=team, user_id=user_id, topic_ids=list(topic_ids), capacity=capacity, note=note, now=now
        )


def _has_profile(engine, team, user_id) -> bool:
    with session_scope(engine) as s:
        return mentoring.get_profile(s, team_id=team, user_id=user_id) is not None


def _ask(engine, protege_id, topic_id, *, now=T0, team=TEAM, goal="Lead my first team well", **kw):
    if not _has_profile(engine, team, protege_id):
        _person(engine, protege_id, team=team, role="Senior Software Engineer", years=4)
    with session_scope(engine) as s:
        return mentoring.ask_for_mentor(
            s, team_id=team, protege_id=protege_id, topic_id=topic_id, goal=goal, now=now, **kw
        )


def _offered(engine, request_id, team=TEAM) -> list[str]:
    with session_scope(engine) as s:
        got = mentoring.on_offer(s, team_id=team, request_id=request_id)
        return [mentor_id for mentor_id, _ in got.candidates]


def _request(engine, request_id) -> MentorRequest:
    with session_scope(engine) as s:
        return s.get(MentorRequest, request_id)


def _ship(engine, mentorship_id) -> Mentorship:
    with session_scope(engine) as s:
        return s.get(Mentorship, mentorship_id)


def _choose(engine, request_id, protege_id, mentor_id, *, now=T0, team=TEAM):
    with session_scope(engine) as s:
        return mentoring.choose(
            s, team_id=team, request_id=request_id, protege_id=protege_id, mentor_id=mentor_id, now=now
        )


def _answer(engine, mentorship_id, mentor_id, accept, *, now=T0, team=TEAM):
    with session_scope(engine) as s:
        return mentoring.answer(
            s, team_id=team, mentorship_id=mentorship_id, mentor_id=mentor_id, accept=accept, now=now
        )


def _matched(engine, protege_id, mentor_id, topic_id, *, now=T0) -> int:
    """A request, chosen and accepted: the running mentorship's id."""
    asked = _ask(engine, protege_id, topic_id, now=now)
    assert mentor_id in _offered(engine, asked.request_id)
    chosen = _choose(engine, asked.request_id, protege_id, mentor_id, now=now)
    assert chosen.outcome is ChooseOutcome.ASKED
    assert _answer(engine, chosen.mentorship_id, mentor_id, True, now=now).outcome is AnswerOutcome.ACCEPTED
    return chosen.mentorship_id


def _with(fn, **kw):
    def action(session):
        fn(session, **kw)

    return action


# -- profiles ---------------------------------------------------------------------------------------


def test_a_profile_starts_from_slack_and_then_is_the_persons(engine):
    with session_scope(engine) as s:
        p = mentoring.ensure_profile(s, team_id=TEAM, user_id="U0A", slack=LONDON, now=T0)
    assert (p.role, p.location, p.years_in_role, p.tz, p.tz_offset) == (
        "Engineering Manager",
        "London",
        None,
        "Europe/London",
        0,
    )
    with session_scope(engine) as s:
        edited = mentoring.save_profile(
            s,
            team_id=TEAM,
            user_id="U0A",
            role="  Senior   Engineering Manager ",
            location="Manchester",
            years_in_role=2,
            now=T0,
        )
    assert (edited.role, edited.location, edited.years_in_role) == ("Senior Engineering Manager", "Manchester", 2)
    # Slack's title changes nothing now; the time zone follows Slack (people travel and move).
    moved = SlackPerson(title="Director", tz="America/New_York", tz_offset=-5 * 3600)
    with session_scope(engine) as s:
        p = mentoring.ensure_profile(s, team_id=TEAM, user_id="U0A", slack=moved, now=T0 + timedelta(days=1))
    assert (p.role, p.location, p.years_in_role, p.tz, p.tz_offset) == (
        "Senior Engineering Manager",
        "Manchester",
        2,
        "America/New_York",
        -18000,
    )
    with session_scope(engine) as s:
        assert mentoring.get_profile(s, team_id=TEAM, user_id="U0A") == p
        # No word from Slack (users.info failed): the profile stays as it is.
        assert mentoring.ensure_profile(s, team_id=TEAM, user_id="U0A", slack=None, now=T0) == p


@pytest.mark.parametrize(
    "tz, location",
    [
        ("Europe/London", "London"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires"),
        ("Etc/UTC", None),
        ("UTC", None),
        (None, None),
    ],
)
def test_location_from_the_time_zone(tz, location):
    assert mentoring.location_from_tz(tz) == location


def test_a_profile_without_slack_and_one_saved_before_it_existed(engine):
    with session_scope(engine) as s:
        bare = mentoring.ensure_profile(s, team_id=TEAM, user_id="U0A", slack=None, now=T0)
        assert (bare.role, bare.location, bare.tz, bare.tz_offset) == (None, None, None, 0)
        saved = mentoring.save_profile(
            s, team_id=TEAM, user_id="U0B", role="Designer", location="", years_in_role=None, now=T0
        )
        assert (saved.role, saved.location, saved.years_in_role) == ("Designer", None, None)


@pytest.mark.parametrize(
    "kw, field",
    [
        (dict(role="x" * 101), "role"),
        (dict(location="y" * 101), "location"),
        (dict(years_in_role=-1), "years"),
        (dict(years_in_role=61), "years"),
    ],
)
def test_profile_edits_are_checked(engine, kw, field):
    values = dict(role="Designer", location="Lisbon", years_in_role=3) | kw
    with session_scope(engine) as s, pytest.raises(MentorError) as err:
        mentoring.save_profile(s, team_id=TEAM, user_id="U0A", now=T0, **values)
    assert err.value.field == field


# -- the topic list ---------------------------------------------------------------------------------


def test_the_topic_list_is_curated_suggested_and_pruned(engine):
    with session_scope(engine) as s:
        lead, changed = mentoring.add_topic(s, team_id=TEAM, raw="Leadership", user_id="U0ADMIN", curated=True)
        assert changed and lead.curated
        again, changed = mentoring.add_topic(s, team_id=TEAM, raw="leadership", user_id="U0ADMIN", curated=True)
        assert not changed and again.id == lead.id
        suggested, changed = mentoring.add_topic(s, team_id=TEAM, raw="Career change", user_id="U0A", curated=False)
        assert changed and not suggested.curated
        mentoring.add_topic(s, team_id=TEAM, raw="Budgeting", user_id="U0ADMIN", curated=True)
    with session_scope(engine) as s:
        # Curated first, then suggestions.
        assert [(t.name, t.curated) for t in mentoring.topic_list(s, team_id=TEAM)] == [
            ("Budgeting", True),
            ("Leadership", True),
            ("Career change", False),
        ]
        # A member suggesting a curated topic changes nothing; an admin adopting a suggestion does.
        assert mentoring.add_topic(s, team_id=TEAM, raw="Budgeting", user_id="U0A", curated=False)[1] is False
        adopted, changed = mentoring.add_topic(s, team_id=TEAM, raw="Career change", user_id="U0ADMIN", curated=True)
        assert changed and adopted.curated and adopted.id == suggested.id
    with session_scope(engine) as s:
        assert mentoring.remove_topic(s, team_id=TEAM, raw="budgeting") == "Budgeting"
        assert mentoring.remove_topic(s, team_id=TEAM, raw="Budgeting") is None
        assert mentoring.remove_topic(s, team_id=TEAM, raw="Never heard of it") is None
        assert [t.name for t in mentoring.topic_list(s, team_id=TEAM)] == ["Career change", "Leadership"]


def test_a_removed_topic_takes_no_new_offers_or_requests(engine, topics):
    with session_scope(engine) as s:
        mentoring.remove_topic(s, team_id=TEAM, raw="Hiring")
    with pytest.raises(MentorError) as err:
        _volunteer(engine, "U0M", [topics["Hiring"]])
    assert err.value.field == "topics"
    with pytest.raises(MentorError) as err:
        _ask(engine, "U0P", topics["Hiring"])
    assert err.value.field == "topics"


# -- volunteering -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "which, capacity, field",
    [
        ([], 1, "topics"),
        (["Leadership", "Hiring", "Public speaking", "a", "b", "c"], 1, "topics"),
        (["Leadership"], 0, "capacity"),
        (["Leadership"], 6, "capacity"),
        (["Leadership", "unlisted"], 1, "topics"),
    ],
)
def test_volunteering_is_checked(engine, topics, which, capacity, field):
    with session_scope(engine) as s:
        for extra in ("a", "b", "c"):
            topics[extra] = mentoring.add_topic(s, team_id=TEAM, raw=f"Topic {extra}", user_id="U0ADMIN", curated=True)[
                0
            ].id
        # A real topic of the workspace that is not on the mentoring list.
        from core import topics as topic_store

        topics["unlisted"] = topic_store.resolve(s, team_id=TEAM, raw="Kubernetes").id
    with pytest.raises(MentorError) as err:
        _volunteer(engine, "U0M", [topics[name] for name in which], capacity=capacity)
    assert err.value.field == field
    with session_scope(engine) as s:
        assert (
            mentoring.status(
                s, team_id=TEAM, user_id="U0M", profile=mentoring.get_profile(s, team_id=TEAM, user_id="U0M")
            ).volunteer
            is None
        )


def test_volunteering_and_changing_the_offer(engine, topics):
    first = _volunteer(
        engine,
        "U0M",
        [topics["Leadership"], topics["Hiring"], topics["Leadership"]],
        capacity=5,
        note=" Happy to help ",
    )
    assert first.new and first.topics == ["Leadership", "Hiring"] and first.rounds == []
    changed = _volunteer(engine, "U0M", [topics["Public speaking"]], capacity=2)
    assert not changed.new and changed.topics == ["Public speaking"]
    with session_scope(engine) as s:
        st = mentoring.status(
            s, team_id=TEAM, user_id="U0M", profile=mentoring.get_profile(s, team_id=TEAM, user_id="U0M")
        )
    assert st.volunteer == mentoring.Offer(capacity=2, note=None, paused=False)
    assert [t.name for t in st.volunteer_topics] == ["Public speaking"]


def test_pause_and_resume(engine, topics):
    with session_scope(engine) as s:
        assert mentoring.set_paused(s, team_id=TEAM, user_id="U0M", paused=True, now=T0) is None  # not a volunteer
    _volunteer(engine, "U0M", [topics["Leadership"]])
    with session_scope(engine) as s:
        assert mentoring.set_paused(s, team_id=TEAM, user_id="U0M", paused=True, now=T0) is True
        assert mentoring.set_paused(s, team_id=TEAM, user_id="U0M", paused=True, now=T0) is False
    # Paused: a request in the topic waits.
    asked = _ask(engine, "U0P", topics["Leadership"])
    assert asked.outcome is RequestOutcome.WAITING and asked.rounds == []
    assert _request(engine, asked.request_id).state == "waiting"
    # Resuming offers the volunteer to the request that was waiting.
    with session_scope(engine) as s:
        assert mentoring.set_paused(s, team_id=TEAM, user_id="U0M", paused=False, now=T0 + timedelta(hours=1)) is True
    assert _request(engine, asked.request_id).state == "choosing"
    assert _offered(engine, asked.request_id) == ["U0M"]


# -- requests and candidates ------------------------------------------------------------------------


def test_a_request_with_nobody_waits_and_is_offered_when_a_volunteer_appears(engine, topics):
    asked = _ask(engine, "U0P", topics["Leadership"])
    assert (asked.outcome, asked.topic, asked.rounds) == (RequestOutcome.WAITING, "Leadership", [])
    # A volunteer in another topic changes nothing.
    assert _volunteer(engine, "U0H", [topics["Hiring"]]).rounds == []
    assert _request(engine, asked.request_id).state == "waiting"
    joined = _volunteer(engine, "U0M", [topics["Leadership"]], years=4)
    assert joined.rounds == [(asked.request_id, 1)]
    with session_scope(engine) as s:
        got = mentoring.on_offer(s, team_id=TEAM, request_id=asked.request_id)
    assert (got.state, got.round, got.protege_id, got.topic, got.goal) == (
        "choosing",
        1,
        "U0P",
        "Leadership",
        "Lead my first team well",
    )
    assert got.candidates == [("U0M", "Engineering Manager for 4 years, London")]


def test_a_request_is_offered_the_best_three_at_once(engine, topics):
    for i, years in enumerate([0, 1, 2, 5]):
        _volunteer(engine, f"U0M{i}", [topics["Leadership"]], years=years)
    _volunteer(engine, "U0D", [topics["Leadership"]], role="Designer", years=9)
    asked = _ask(engine, "U0P", topics["Leadership"], role_pref="target", target_role="Engineering Manager")
    assert asked.outcome is RequestOutcome.OFFERED and asked.rounds == [(asked.request_id, 1)]
    assert _offered(engine, asked.request_id) == ["U0M2", "U0M3", "U0M1"]


def test_request_input_is_checked(engine, topics):
    for kw, field in [
        (dict(goal="   "), "goal"),
        (dict(goal="x" * 2001), "goal"),
        (dict(location_pref="near"), "preferences"),
        (dict(role_pref="theirs"), "preferences"),
        (dict(role_pref="target"), "target_role"),
        (dict(role_pref="target", target_role="z" * 101), "target_role"),
    ]:
        with pytest.raises(MentorError) as err:
            _ask(engine, "U0P", topics["Leadership"], **kw)
        assert err.value.field == field


def test_a_replayed_request_and_a_second_open_one_in_the_topic(engine, topics):
    first = _ask(engine, "U0P", topics["Leadership"], request_key="trigger-1")
    replay = _ask(engine, "U0P", topics["Leadership"], request_key="trigger-1")
    assert (replay.request_id, replay.outcome) == (first.request_id, RequestOutcome.WAITING)
    second = _ask(engine, "U0P", topics["Leadership"], request_key="trigger-2")
    assert (second.request_id, second.outcome) == (first.request_id, RequestOutcome.ALREADY)
    # Another topic is another request; so is the same topic once the first is withdrawn.
    assert _ask(engine, "U0P", topics["Hiring"]).request_id != first.request_id
    with session_scope(engine) as s:
        assert mentoring.withdraw_request(s, team_id=TEAM, request_id=first.request_id, protege_id="U0P", now=T0)
    third = _ask(engine, "U0P", topics["Leadership"], request_key="trigger-3")
    assert third.request_id != first.request_id and third.outcome is RequestOutcome.WAITING
    with session_scope(engine) as s:
        assert len(s.exec(select(MentorRequest).where(MentorRequest.team_id == TEAM)).all()) == 3


def test_the_same_location_preference(engine, topics):
    _volunteer(
        engine, "U0NY", [topics["Leadership"]], slack=SlackPerson("Engineering Manager", "America/New_York", -18000)
    )
    asked = _ask(engine, "U0P", topics["Leadership"], location_pref="same")
    assert asked.outcome is RequestOutcome.WAITING
    joined = _volunteer(engine, "U0LDN", [topics["Leadership"]])
    assert joined.rounds == [(asked.request_id, 1)] and _offered(engine, asked.request_id) == ["U0LDN"]


# -- choosing and consent ---------------------------------------------------------------------------


def test_choosing_asks_the_mentor_with_three_days_to_answer(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]], note="Ex-startup CTO")
    _volunteer(engine, "U0N", [topics["Leadership"]], years=1)
    asked = _ask(engine, "U0P", topics["Leadership"])
    # Someone else's request, or a mentor never offered, asks nobody.
    assert _choose(engine, asked.request_id, "U0X", "U0M").outcome is ChooseOutcome.STALE
    assert _choose(engine, asked.request_id, "U0P", "U0NOBODY").outcome is ChooseOutcome.STALE
    chosen = _choose(engine, asked.request_id, "U0P", "U0M", now=T0 + timedelta(hours=2))
    assert chosen.outcome is ChooseOutcome.ASKED
    m = _ship(engine, chosen.mentorship_id)
    assert (m.state, m.mentor_id, m.protege_id, m.topic_id, m.weeks) == (
        "proposed",
        "U0M",
        "U0P",
        topics["Leadership"],
        12,
    )
    assert m.answer_by == T0 + timedelta(hours=2, days=3)
    assert _request(engine, asked.request_id).state == "asking"
    # The other candidate is no longer on offer; a second pick (double click) changes nothing.
    assert _offered(engine, asked.request_id) == []
    assert _choose(engine, asked.request_id, "U0P", "U0N").outcome is ChooseOutcome.STALE
    with session_scope(engine) as s:
        info = mentoring.mentorship(s, team_id=TEAM, mentorship_id=chosen.mentorship_id)
    assert (info.topic, info.goal, info.note, info.state) == (
        "Leadership",
        "Lead my first team well",
        "Ex-startup CTO",
        "proposed",
    )


def test_a_mentor_whose_one_place_is_taken_is_gone_for_the_next_protege(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]], years=5)
    _volunteer(engine, "U0N", [topics["Leadership"]], years=1)
    first = _ask(engine, "U0P1", topics["Leadership"])
    second = _ask(engine, "U0P2", topics["Leadership"])
    assert _offered(engine, first.request_id) == ["U0M", "U0N"]
    assert _offered(engine, second.request_id)[0] == "U0M"
    assert _choose(engine, first.request_id, "U0P1", "U0M").outcome is ChooseOutcome.ASKED
    late = _choose(engine, second.request_id, "U0P2", "U0M")
    assert late.outcome is ChooseOutcome.GONE and late.rounds == [(second.request_id, 2)]
    assert _offered(engine, second.request_id) == ["U0N"]
    # A candidate from an earlier round cannot be picked either.
    assert _choose(engine, second.request_id, "U0P2", "U0M").outcome is ChooseOutcome.STALE


def test_racing_protegés_take_a_single_place_once(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]])
    requests = [_ask(engine, f"U0P{i}", topics["Leadership"]).request_id for i in range(3)]
    outcomes = []

    def pick(i):
        def action(session):
            outcomes.append(
                mentoring.choose(
                    session, team_id=TEAM, request_id=requests[i], protege_id=f"U0P{i}", mentor_id="U0M", now=T0
                ).outcome
            )

        return action

    race(engine, *(pick(i) for i in range(3)))
    assert sorted(outcomes) == sorted([ChooseOutcome.ASKED, ChooseOutcome.GONE, ChooseOutcome.GONE])
    with session_scope(engine) as s:
        assert len(s.exec(select(Mentorship).where(Mentorship.mentor_id == "U0M")).all()) == 1


def test_accepting_starts_a_twelve_week_mentorship(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]])
    asked = _ask(engine, "U0P", topics["Leadership"])
    chosen = _choose(engine, asked.request_id, "U0P", "U0M")
    # Only the asked mentor answers.
    assert _answer(engine, chosen.mentorship_id, "U0P", True).outcome is AnswerOutcome.STALE
    start = T0 + timedelta(days=1)
    assert _answer(engine, chosen.mentorship_id, "U0M", True, now=start).outcome is AnswerOutcome.ACCEPTED
    m = _ship(engine, chosen.mentorship_id)
    assert (m.state, m.started_at, m.halfway_at, m.ends_at) == (
        "active",
        start,
        start + timedelta(weeks=6),
        start + timedelta(weeks=12),
    )
    assert _request(engine, asked.request_id).state == "matched"
    # Answering again, either way, changes nothing.
    assert _answer(engine, chosen.mentorship_id, "U0M", True).outcome is AnswerOutcome.STALE
    assert _answer(engine, chosen.mentorship_id, "U0M", False).outcome is AnswerOutcome.STALE
    with session_scope(engine) as s:
        mentor = mentoring.status(
            s, team_id=TEAM, user_id="U0M", profile=mentoring.get_profile(s, team_id=TEAM, user_id="U0M")
        )
        protege = mentoring.status(
            s, team_id=TEAM, user_id="U0P", profile=mentoring.get_profile(s, team_id=TEAM, user_id="U0P")
        )
    assert [i.id for i in mentor.mentoring] == [chosen.mentorship_id] and mentor.mentored == []
    assert [i.id for i in protege.mentored] == [chosen.mentorship_id] and protege.requests == []


def test_a_decline_offers_the_request_again_without_that_mentor_ever_again(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]], years=5, capacity=2)
    _volunteer(engine, "U0N", [topics["Leadership"]], years=1)
    asked = _ask(engine, "U0P", topics["Leadership"])
    chosen = _choose(engine, asked.request_id, "U0P", "U0M")
    declined = _answer(engine, chosen.mentorship_id, "U0M", False, now=T0 + timedelta(hours=5))
    assert declined.outcome is AnswerOutcome.DECLINED and declined.rounds == [(asked.request_id, 2)]
    assert _ship(engine, chosen.mentorship_id).state == "declined"
    assert _request(engine, asked.request_id).state == "choosing"
    assert _offered(engine, asked.request_id) == ["U0N"]
    # Picking the declined mentor from the old list does nothing, and in later rounds (the only
    # other candidate leaves, another volunteer appears) the mentor is still never shown.
    assert _choose(engine, asked.request_id, "U0P", "U0M").outcome is ChooseOutcome.STALE
    with session_scope(engine) as s:
        mentoring.leave(s, team_id=TEAM, user_id="U0N", now=T0)
    assert _offered(engine, asked.request_id) == [] and _request(engine, asked.request_id).state == "waiting"
    assert _volunteer(engine, "U0O", [topics["Leadership"]], years=0).rounds == [(asked.request_id, 3)]
    assert _offered(engine, asked.request_id) == ["U0O"]
    with session_scope(engine) as s:
        assert s.get(MentorCandidate, (asked.request_id, "U0M")).outcome == "declined"


def test_declining_alone_leaves_the_request_waiting(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]])
    asked = _ask(engine, "U0P", topics["Leadership"])
    chosen = _choose(engine, asked.request_id, "U0P", "U0M")
    declined = _answer(engine, chosen.mentorship_id, "U0M", False)
    assert declined.outcome is AnswerOutcome.DECLINED and declined.rounds == []
    assert _request(engine, asked.request_id).state == "waiting"
    # When someone else volunteers, it is offered to them, not the mentor who declined.
    assert _volunteer(engine, "U0N", [topics["Leadership"]]).rounds == [(asked.request_id, 2)]
    assert _offered(engine, asked.request_id) == ["U0N"]


def test_a_proposal_nobody_answers_in_three_days_lapses(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]], years=5)
    _volunteer(engine, "U0N", [topics["Leadership"]], years=1)
    asked = _ask(engine, "U0P", topics["Leadership"])
    chosen = _choose(engine, asked.request_id, "U0P", "U0M")
    with session_scope(engine) as s:
        assert mentoring.expire_proposals(s, now=T0 + timedelta(days=3) - timedelta(seconds=1)) == []
    with session_scope(engine) as s:
        lapsed = mentoring.expire_proposals(s, now=T0 + timedelta(days=3))
    assert [(team, mid, o.rounds) for team, mid, o in lapsed] == [(TEAM, chosen.mentorship_id, [(asked.request_id, 2)])]
    with session_scope(engine) as s:
        assert mentoring.expire_proposals(s, now=T0 + timedelta(days=4)) == []
    assert _ship(engine, chosen.mentorship_id).state == "expired"
    assert _offered(engine, asked.request_id) == ["U0N"]
    # Too late to accept.
    assert _answer(engine, chosen.mentorship_id, "U0M", True).outcome is AnswerOutcome.STALE


def test_an_ended_proposal_frees_the_mentors_place_for_a_waiting_request(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"], topics["Hiring"]])
    first = _ask(engine, "U0P1", topics["Leadership"])
    chosen = _choose(engine, first.request_id, "U0P1", "U0M")
    # U0M's one place is taken by the proposal: a request in their other topic waits.
    waiting = _ask(engine, "U0P2", topics["Hiring"])
    assert waiting.outcome is RequestOutcome.WAITING
    declined = _answer(engine, chosen.mentorship_id, "U0M", False, now=T0 + timedelta(hours=1))
    assert declined.outcome is AnswerOutcome.DECLINED
    assert _request(engine, waiting.request_id).state == "choosing"
    assert _offered(engine, waiting.request_id) == ["U0M"]
    # The declined request's own round is what `rounds` reports (here none: nobody else fits);
    # rounds a freed place starts elsewhere are left to the edge's queue of unsent rounds.
    assert declined.rounds == [] and _request(engine, first.request_id).state == "waiting"
    with session_scope(engine) as s:
        assert s.get(MentorRequest, waiting.request_id).round == 1


# -- leaving and withdrawing ------------------------------------------------------------------------


def test_leaving_withdraws_proposals_and_running_mentorships_carry_on(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"], topics["Hiring"]], capacity=3, years=5)
    _volunteer(engine, "U0N", [topics["Leadership"]], capacity=2, years=1)
    running = _matched(engine, "U0P1", "U0M", topics["Leadership"])
    asked = _ask(engine, "U0P2", topics["Leadership"])
    proposal = _choose(engine, asked.request_id, "U0P2", "U0M").mentorship_id
    shown = _ask(engine, "U0P3", topics["Leadership"])
    assert sorted(_offered(engine, shown.request_id)) == ["U0M", "U0N"]
    with session_scope(engine) as s:
        left = mentoring.leave(s, team_id=TEAM, user_id="U0M", now=T0 + timedelta(days=1))
    assert left.was_volunteer and left.running == 1 and left.rounds == [(asked.request_id, 2)]
    assert _ship(engine, running).state == "active"
    assert _ship(engine, proposal).state == "withdrawn"
    assert _offered(engine, asked.request_id) == ["U0N"]
    # Where U0M was on offer, they are gone: picking them brings fresh candidates.
    assert _offered(engine, shown.request_id) == ["U0N"]
    gone = _choose(engine, shown.request_id, "U0P3", "U0M")
    assert gone.outcome is ChooseOutcome.GONE and _offered(engine, shown.request_id) == ["U0N"]
    # New requests never see someone who left; leaving twice is nothing.
    assert "U0M" not in _offered(engine, _ask(engine, "U0P4", topics["Leadership"]).request_id)
    with session_scope(engine) as s:
        assert mentoring.leave(s, team_id=TEAM, user_id="U0M", now=T0).was_volunteer is False
        assert (
            mentoring.status(
                s, team_id=TEAM, user_id="U0M", profile=mentoring.get_profile(s, team_id=TEAM, user_id="U0M")
            ).volunteer
            is None
        )
    # Coming back is a new offer.
    assert _volunteer(engine, "U0M", [topics["Hiring"]]).new


def test_withdrawing_a_request(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]])
    asked = _ask(engine, "U0P", topics["Leadership"])
    proposal = _choose(engine, asked.request_id, "U0P", "U0M").mentorship_id
    with session_scope(engine) as s:
        assert (
            mentoring.withdraw_request(s, team_id=TEAM, request_id=asked.request_id, protege_id="U0X", now=T0) is False
        )
        assert (
            mentoring.withdraw_request(s, team_id=TEAM, request_id=asked.request_id, protege_id="U0P", now=T0) is True
        )
        assert (
            mentoring.withdraw_request(s, team_id=TEAM, request_id=asked.request_id, protege_id="U0P", now=T0) is False
        )
    assert _request(engine, asked.request_id).state == "withdrawn"
    assert _ship(engine, proposal).state == "withdrawn"
    assert _answer(engine, proposal, "U0M", True).outcome is AnswerOutcome.STALE
    # The mentor's place is free again for the next request.
    assert _offered(engine, _ask(engine, "U0Q", topics["Leadership"]).request_id) == ["U0M"]


# -- the programme ----------------------------------------------------------------------------------


def test_check_ins_and_stopping_frees_the_place(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"], topics["Hiring"]])
    ship = _matched(engine, "U0P1", "U0M", topics["Leadership"])
    waiting = _ask(engine, "U0P2", topics["Leadership"])
    waiting_elsewhere = _ask(engine, "U0P3", topics["Hiring"])
    assert waiting.outcome is RequestOutcome.WAITING and waiting_elsewhere.outcome is RequestOutcome.WAITING
    with session_scope(engine) as s:
        assert mentoring.check_in(s, team_id=TEAM, mentorship_id=ship, user_id="U0X", met="yes", now=T0) is None
        assert mentoring.check_in(s, team_id=TEAM, mentorship_id=ship, user_id="U0M", met="maybe", now=T0) is None
        assert mentoring.check_in(s, team_id=TEAM, mentorship_id=ship, user_id="U0M", met="yes", now=T0) == "active"
        assert (
            mentoring.check_in(s, team_id=TEAM, mentorship_id=ship, user_id="U0P1", met="not_yet", now=T0) == "active"
        )
    m = _ship(engine, ship)
    assert (m.mentor_met, m.protege_met) == ("yes", "not_yet")
    with session_scope(engine) as s:
        assert (
            mentoring.check_in(
                s, team_id=TEAM, mentorship_id=ship, user_id="U0P1", met="stopped", now=T0 + timedelta(weeks=6)
            )
            == "stopped"
        )
        assert mentoring.check_in(s, team_id=TEAM, mentorship_id=ship, user_id="U0M", met="yes", now=T0) is None
    m = _ship(engine, ship)
    assert (m.state, m.finished_at) == ("stopped", T0 + timedelta(weeks=6))
    # The place is free: the oldest waiting request gets the mentor, whichever of their topics.
    assert _request(engine, waiting.request_id).state == "choosing"
    assert _offered(engine, waiting.request_id) == ["U0M"]
    assert _offered(engine, waiting_elsewhere.request_id) == ["U0M"]
    # A stopped pairing counts as having worked together: not offered again in that topic.
    with session_scope(engine) as s:
        mentoring.withdraw_request(s, team_id=TEAM, request_id=waiting.request_id, protege_id="U0P2", now=T0)
    assert _ask(engine, "U0P1", topics["Leadership"]).outcome is RequestOutcome.WAITING


def test_wrap_up_extend_adds_four_weeks_and_a_new_end_check_in(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]])
    ship = _matched(engine, "U0P", "U0M", topics["Leadership"])
    ends = T0 + timedelta(weeks=12)
    with session_scope(engine) as s:
        assert mentoring.due_end(s, now=ends) == [(TEAM, ship)]
    with session_scope(engine) as s:
        with pytest.raises(MentorError) as err:
            mentoring.wrap_up(
                s, team_id=TEAM, mentorship_id=ship, user_id="U0P", rating=6, word=None, extend=True, now=ends
            )
        assert err.value.field == "rating"
    with session_scope(engine) as s:
        assert (
            mentoring.wrap_up(
                s, team_id=TEAM, mentorship_id=ship, user_id="U0X", rating=5, word=None, extend=True, now=ends
            )
            is None
        )
        assert (
            mentoring.wrap_up(
                s, team_id=TEAM, mentorship_id=ship, user_id="U0P", rating=5, word=" Great ", extend=True, now=ends
            )
            == "active"
        )
    m = _ship(engine, ship)
    assert (m.weeks, m.ends_at, m.end_sent_at, m.protege_rating, m.protege_word) == (
        16,
        ends + timedelta(weeks=4),
        None,
        5,
        "Great",
    )
    with session_scope(engine) as s:
        assert mentoring.due_end(s, now=ends + timedelta(weeks=4) - timedelta(seconds=1)) == []
    with session_scope(engine) as s:
        assert mentoring.due_end(s, now=ends + timedelta(weeks=4)) == [(TEAM, ship)]
        # Not finished two weeks after the first end: the term was extended.
        assert mentoring.finish_unanswered(s, now=ends + timedelta(weeks=2)) == []
    with session_scope(engine) as s:
        assert (
            mentoring.wrap_up(
                s,
                team_id=TEAM,
                mentorship_id=ship,
                user_id="U0M",
                rating=4,
                word=None,
                extend=False,
                now=ends + timedelta(weeks=4),
            )
            == "completed"
        )
        # The other side may still rate a finished one; extending it does nothing.
        assert (
            mentoring.wrap_up(
                s,
                team_id=TEAM,
                mentorship_id=ship,
                user_id="U0P",
                rating=3,
                word=None,
                extend=True,
                now=ends + timedelta(weeks=5),
            )
            == "completed"
        )
    m = _ship(engine, ship)
    assert (m.state, m.mentor_rating, m.protege_rating, m.weeks) == ("completed", 4, 3, 16)


def test_a_protege_who_completed_and_volunteers_in_the_topic_went_from_protege_to_mentor(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"], topics["Hiring"]], capacity=2)
    ship = _matched(engine, "U0P", "U0M", topics["Leadership"])
    # Before finishing, volunteering records nothing.
    assert _volunteer(engine, "U0P", [topics["Hiring"]]).protege_to_mentor == []
    with session_scope(engine) as s:
        assert (
            mentoring.wrap_up(
                s, team_id=TEAM, mentorship_id=ship, user_id="U0P", rating=None, word=None, extend=False, now=T0
            )
            == "completed"
        )
    # Another topic records nothing; the same topic does, once.
    assert _volunteer(engine, "U0P", [topics["Hiring"]], capacity=2).protege_to_mentor == []
    became = _volunteer(engine, "U0P", [topics["Hiring"], topics["Leadership"]])
    assert became.protege_to_mentor == ["Leadership"]
    assert _volunteer(engine, "U0P", [topics["Leadership"]]).protege_to_mentor == []
    with session_scope(engine) as s:
        rows = s.exec(select(ProtegeToMentor)).all()
    assert [(r.team_id, r.user_id, r.topic_id) for r in rows] == [(TEAM, "U0P", topics["Leadership"])]
    # The mentor was never a protégé.
    assert _volunteer(engine, "U0M", [topics["Leadership"]]).protege_to_mentor == []


def test_a_term_nobody_answers_at_the_end_is_completed_after_fourteen_days(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]])
    ship = _matched(engine, "U0P", "U0M", topics["Leadership"])
    ends = T0 + timedelta(weeks=12)
    with session_scope(engine) as s:
        # No end check-in sent yet: nothing is finished, however late.
        assert mentoring.finish_unanswered(s, now=ends + timedelta(days=30)) == []
        assert mentoring.due_end(s, now=ends) == [(TEAM, ship)]
    waiting = _ask(engine, "U0Q", topics["Leadership"])
    with session_scope(engine) as s:
        assert mentoring.finish_unanswered(s, now=ends + timedelta(days=14) - timedelta(seconds=1)) == []
    with session_scope(engine) as s:
        assert mentoring.finish_unanswered(s, now=ends + timedelta(days=14)) == [(TEAM, ship)]
    with session_scope(engine) as s:
        assert mentoring.finish_unanswered(s, now=ends + timedelta(days=15)) == []
    assert _ship(engine, ship).state == "completed"
    assert _offered(engine, waiting.request_id) == ["U0M"]


def test_halfway_and_end_check_ins_are_claimed_once(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]], capacity=2)
    first = _matched(engine, "U0P1", "U0M", topics["Leadership"])
    second = _matched(engine, "U0P2", "U0M", topics["Leadership"], now=T0 + timedelta(weeks=1))
    with session_scope(engine) as s:
        assert mentoring.due_halfway(s, now=T0 + timedelta(weeks=6) - timedelta(seconds=1)) == []
        assert mentoring.due_halfway(s, now=T0 + timedelta(weeks=6)) == [(TEAM, first)]
    with session_scope(engine) as s:
        assert mentoring.due_halfway(s, now=T0 + timedelta(weeks=6)) == []
        assert mentoring.due_halfway(s, now=T0 + timedelta(weeks=7)) == [(TEAM, second)]
        assert mentoring.due_halfway(s, now=T0 + timedelta(weeks=20)) == []
    with session_scope(engine) as s:
        assert sorted(mentoring.due_end(s, now=T0 + timedelta(weeks=13))) == sorted([(TEAM, first), (TEAM, second)])
    with session_scope(engine) as s:
        assert mentoring.due_end(s, now=T0 + timedelta(weeks=14)) == []
    # A proposal is not a running mentorship: no check-ins.
    _volunteer(engine, "U0N", [topics["Hiring"]])
    asked = _ask(engine, "U0P3", topics["Hiring"])
    _choose(engine, asked.request_id, "U0P3", "U0N")
    with session_scope(engine) as s:
        assert mentoring.due_halfway(s, now=T0 + timedelta(weeks=30)) == []


def test_racing_sweeps_claim_a_check_in_once(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]])
    ship = _matched(engine, "U0P", "U0M", topics["Leadership"])
    claimed = []
    race(engine, *(lambda s: claimed.extend(mentoring.due_halfway(s, now=T0 + timedelta(weeks=7))) for _ in range(2)))
    assert claimed == [(TEAM, ship)]


# -- demand and workspaces ----------------------------------------------------------------------------


def test_demand_counts_open_requests_and_volunteers_with_room(engine, topics):
    lead = topics["Leadership"]
    with session_scope(engine) as s:
        assert mentoring.demand(s, team_id=TEAM, topic_id=lead) == mentoring.Demand("Leadership", 0, 0)
    _volunteer(engine, "U0M", [lead])
    _volunteer(engine, "U0N", [lead], capacity=2)
    _volunteer(engine, "U0Z", [lead])
    with session_scope(engine) as s:
        mentoring.set_paused(s, team_id=TEAM, user_id="U0Z", paused=True, now=T0)
    _matched(engine, "U0P1", "U0M", lead)  # U0M is now full
    for p in ("U0P2", "U0P3", "U0P4"):
        _ask(engine, p, lead)
    withdrawn = _ask(engine, "U0P5", lead).request_id
    with session_scope(engine) as s:
        mentoring.withdraw_request(s, team_id=TEAM, request_id=withdrawn, protege_id="U0P5", now=T0)
        # Open: three (the matched and the withdrawn do not count); with room: U0N alone.
        assert mentoring.demand(s, team_id=TEAM, topic_id=lead) == mentoring.Demand("Leadership", 3, 1)
        assert mentoring.demand(s, team_id=TEAM, topic_id=topics["Hiring"]) == mentoring.Demand("Hiring", 0, 0)


def test_a_call_shows_its_topics_demand_as_the_scoreboard_does(engine, topics):
    lead, hiring = topics["Leadership"], topics["Hiring"]
    now = T0 + timedelta(hours=1)

    def shown(topic_id):
        with session_scope(engine) as s:
            d = scoreboard.topic_demand(s, team_id=TEAM, topic_id=topic_id, now=now, threshold=3)
            board = dict(scoreboard.live_board(s, team_id=TEAM, now=now, threshold=3).topics)
        if d.topic in board:  # the same figures as the scoreboard's, whatever they are
            assert (board[d.topic]["seeking"], board[d.topic]["volunteers"]) == (d.seeking, d.volunteers)
        return d

    assert shown(lead) == scoreboard.TopicDemand("Leadership", Figure("0", None, 0), Figure("0", None, 0))
    for p in ("U0P1", "U0P2", "U0P3"):
        _ask(engine, p, lead)
    _volunteer(engine, "U0M", [hiring])
    assert shown(lead).seeking == Figure("3", None, 3)
    # One more in Hiring: "3" next to a total of 4 would tell that one, so Leadership's is left out.
    _ask(engine, "U0P4", hiring)
    assert shown(lead).seeking == scoreboard.HIDDEN and shown(hiring).seeking == Figure("fewer than 3")
    assert shown(hiring).volunteers == Figure("fewer than 3")
    # A topic taken off the list shows no count but zero.
    with session_scope(engine) as s:
        mentoring.remove_topic(s, team_id=TEAM, raw="Hiring")
    assert shown(hiring) == scoreboard.TopicDemand("Hiring", scoreboard.HIDDEN, scoreboard.HIDDEN)
    assert shown(topics["Public speaking"]).seeking == Figure("0", None, 0)


def test_a_second_workspace_sees_nothing_of_the_first(engine, topics):
    lead = topics["Leadership"]
    _volunteer(engine, "U0M", [lead])
    ship = _matched(engine, "U0P", "U0M", lead)
    open_request = _ask(engine, "U0Q", lead, request_key="trigger-1").request_id
    # The same people and the same topic name, in another workspace.
    with session_scope(engine) as s:
        assert mentoring.topic_list(s, team_id=OTHER) == []
        assert mentoring.get_profile(s, team_id=OTHER, user_id="U0M") is None
        assert mentoring.topic_name(s, team_id=OTHER, topic_id=lead) is None
        assert mentoring.on_offer(s, team_id=OTHER, request_id=open_request) is None
        assert mentoring.mentorship(s, team_id=OTHER, mentorship_id=ship) is None
        assert mentoring.demand(s, team_id=OTHER, topic_id=lead) == mentoring.Demand("", 0, 0)
        assert mentoring.set_paused(s, team_id=OTHER, user_id="U0M", paused=True, now=T0) is None
        assert mentoring.leave(s, team_id=OTHER, user_id="U0M", now=T0).was_volunteer is False
        assert mentoring.withdraw_request(s, team_id=OTHER, request_id=open_request, protege_id="U0Q", now=T0) is False
        assert mentoring.check_in(s, team_id=OTHER, mentorship_id=ship, user_id="U0M", met="stopped", now=T0) is None
        assert (
            mentoring.wrap_up(
                s, team_id=OTHER, mentorship_id=ship, user_id="U0M", rating=1, word=None, extend=False, now=T0
            )
            is None
        )
        with pytest.raises(MentorError):  # the first workspace's topic is not on this one's list
            mentoring.ask_for_mentor(s, team_id=OTHER, protege_id="U0Q", topic_id=lead, goal="x", now=T0)
    assert _choose(engine, open_request, "U0Q", "U0M", team=OTHER).outcome is ChooseOutcome.STALE
    assert _answer(engine, ship, "U0M", False, team=OTHER).outcome is AnswerOutcome.STALE
    # The other workspace's own topic of the same name: its volunteers and requests are its own.
    with session_scope(engine) as s:
        other_lead = mentoring.add_topic(s, team_id=OTHER, raw="Leadership", user_id="U0ADMIN", curated=True)[0].id
    assert other_lead != lead
    theirs = _ask(engine, "U0Q", other_lead, team=OTHER, request_key="trigger-1")
    assert theirs.request_id != open_request and theirs.outcome is RequestOutcome.WAITING
    assert _volunteer(engine, "U0N", [other_lead], team=OTHER).rounds == [(theirs.request_id, 1)]
    assert _offered(engine, theirs.request_id, team=OTHER) == ["U0N"]
    with session_scope(engine) as s:
        assert mentoring.demand(s, team_id=OTHER, topic_id=other_lead) == mentoring.Demand("Leadership", 1, 1)
        st = mentoring.status(
            s,
            team_id=OTHER,
            user_id="U0M",
            profile=mentoring.ensure_profile(s, team_id=OTHER, user_id="U0M", slack=None, now=T0),
        )
        assert (st.volunteer, st.requests, st.mentoring, st.mentored) == (None, [], [], [])
    # And the first workspace is untouched.
    assert _ship(engine, ship).state == "active" and _request(engine, open_request).state == "waiting"


def _snapshot(engine, request_id, mentorship_ids):
    """What a request, its candidates and mentorships are now: to show nothing changed."""
    with session_scope(engine) as s:
        r = s.get(MentorRequest, request_id)
        candidates = s.exec(select(MentorCandidate).where(MentorCandidate.request_id == request_id)).all()
        ships = [s.get(Mentorship, i) for i in mentorship_ids]
        return (
            (r.state, r.round, r.updated_at),
            sorted((c.mentor_id, c.round, c.outcome) for c in candidates),
            [(m.state, m.started_at, m.finished_at, m.mentor_met, m.mentor_rating) for m in ships],
        )


def test_ids_from_another_workspace_are_refused_and_change_nothing(engine, topics):
    """Ids arrive in buttons and forms: one of another workspace is "not found", even when the
    same user ids (and a topic of the same name) exist in this one."""
    lead = topics["Leadership"]
    _volunteer(engine, "U0M", [lead], capacity=3)
    ship = _matched(engine, "U0P", "U0M", lead)
    choosing = _ask(engine, "U0Q", lead).request_id
    asking = _ask(engine, "U0R", lead).request_id
    proposal = _choose(engine, asking, "U0R", "U0M").mentorship_id
    with session_scope(engine) as s:
        call = mentoring.create_call(
            s,
            team_id=TEAM,
            topic_id=lead,
            goals="Grow leads",
            weeks=12,
            hours_per_month=2,
            channel_id="C0CALL",
            created_by="U0ADMIN",
            request_key=None,
            now=T0,
        )
    # The other workspace has the same people, volunteering in its own "Leadership".
    with session_scope(engine) as s:
        other_lead = mentoring.add_topic(s, team_id=OTHER, raw="Leadership", user_id="U0ADMIN", curated=True)[0].id
    _volunteer(engine, "U0M", [other_lead], capacity=3, team=OTHER)
    before = {r: _snapshot(engine, r, [ship, proposal]) for r in (choosing, asking)}
    assert _request(engine, choosing).state == "choosing" and _request(engine, asking).state == "asking"

    assert _choose(engine, choosing, "U0Q", "U0M", team=OTHER).outcome is ChooseOutcome.STALE
    assert _answer(engine, proposal, "U0M", True, team=OTHER).outcome is AnswerOutcome.STALE
    assert _answer(engine, proposal, "U0M", False, team=OTHER).outcome is AnswerOutcome.STALE
    with session_scope(engine) as s:
        for request_id, protege_id in ((choosing, "U0Q"), (asking, "U0R")):
            assert mentoring.request_brief(s, team_id=OTHER, request_id=request_id) is None
            assert mentoring.on_offer(s, team_id=OTHER, request_id=request_id) is None
            assert mentoring.offer(s, team_id=OTHER, request_id=request_id, now=T0).rounds == []
            assert not mentoring.withdraw_request(
                s, team_id=OTHER, request_id=request_id, protege_id=protege_id, now=T0
            )
        assert mentoring.check_in(s, team_id=OTHER, mentorship_id=ship, user_id="U0M", met="stopped", now=T0) is None
        assert (
            mentoring.wrap_up(
                s, team_id=OTHER, mentorship_id=ship, user_id="U0M", rating=1, word="x", extend=True, now=T0
            )
            is None
        )
        assert mentoring.mentorship(s, team_id=OTHER, mentorship_id=proposal) is None
        assert mentoring.get_call(s, team_id=OTHER, call_id=call) is None
        assert mentoring.unsent_rounds(s, team_id=OTHER, since=T0) == []
        assert mentoring.unsent_rounds(s, team_id=TEAM, since=T0) == [(TEAM, choosing, 1)]
    assert {r: _snapshot(engine, r, [ship, proposal]) for r in (choosing, asking)} == before
    # In its own workspace every one of them still works.
    assert _offered(engine, choosing) == ["U0M"]
    assert _answer(engine, proposal, "U0M", True).outcome is AnswerOutcome.ACCEPTED
    assert _choose(engine, choosing, "U0Q", "U0M").outcome is ChooseOutcome.ASKED
    with session_scope(engine) as s:
        assert mentoring.get_call(s, team_id=TEAM, call_id=call).id == call


# -- review findings: races, counters and second clicks -----------------------------------------------


def _one_then_other(engine, first, second, *, hold=0.5):
    """`first(session)` runs and keeps its transaction open for `hold` seconds while
    `second(session)` runs in its own; then both commit. Their results, in that order."""
    started, results, errors = threading.Event(), {}, []

    def run(name, action, keep):
        try:
            with session_scope(engine) as s:
                results[name] = action(s)
                if keep:
                    started.set()
                    time.sleep(hold)
        except Exception as exc:
            errors.append(exc)
        finally:
            started.set()

    one = threading.Thread(target=run, args=("first", first, True))
    one.start()
    started.wait()
    other = threading.Thread(target=run, args=("second", second, False))
    other.start()
    one.join()
    other.join()
    assert errors == []
    return results["first"], results["second"]


def test_two_choices_at_once_ask_one_mentor(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]], years=5)
    _volunteer(engine, "U0N", [topics["Leadership"]], years=1)
    asked = _ask(engine, "U0P", topics["Leadership"])
    assert _offered(engine, asked.request_id) == ["U0M", "U0N"]

    def pick(mentor_id):
        return lambda s: (
            mentoring.choose(
                s, team_id=TEAM, request_id=asked.request_id, protege_id="U0P", mentor_id=mentor_id, now=T0
            ).outcome
        )

    assert _one_then_other(engine, pick("U0M"), pick("U0N")) == (ChooseOutcome.ASKED, ChooseOutcome.STALE)
    with session_scope(engine) as s:
        ships = s.exec(select(Mentorship).where(Mentorship.request_id == asked.request_id)).all()
    assert [(m.mentor_id, m.state) for m in ships] == [("U0M", "proposed")]
    assert _request(engine, asked.request_id).state == "asking"


def test_two_offers_at_once_make_two_rounds(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]])
    asked = _ask(engine, "U0P", topics["Leadership"])
    assert asked.rounds == [(asked.request_id, 1)]

    def again(s):
        return mentoring.offer(s, team_id=TEAM, request_id=asked.request_id, now=T0).rounds

    assert _one_then_other(engine, again, again) == ([(asked.request_id, 2)], [(asked.request_id, 3)])
    assert _request(engine, asked.request_id).round == 3


def test_two_bumps_of_a_call_at_once_make_two_versions(engine, topics):
    with session_scope(engine) as s:
        call = mentoring.create_call(
            s,
            team_id=TEAM,
            topic_id=topics["Leadership"],
            goals="Grow leads",
            weeks=12,
            hours_per_month=2,
            channel_id="C0GENERAL1",
            created_by="U0ADMIN",
            request_key=None,
            now=T0,
        )

    def bump(s):
        return mentoring.bump_calls(s, team_id=TEAM, topic_ids=[topics["Leadership"]])

    assert _one_then_other(engine, bump, bump) == ([(TEAM, call, 1)], [(TEAM, call, 2)])
    with session_scope(engine) as s:
        # Another topic's demand changes what the call may show (core.scoreboard.complementary).
        assert mentoring.bump_calls(s, team_id=TEAM, topic_ids=[topics["Hiring"]]) == [(TEAM, call, 3)]
        assert mentoring.bump_calls(s, team_id=TEAM, topic_ids=[None]) == []
        assert mentoring.get_call(s, team_id=TEAM, call_id=call).version == 3


def _proposal(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]])
    asked = _ask(engine, "U0P", topics["Leadership"])
    return asked.request_id, _choose(engine, asked.request_id, "U0P", "U0M").mentorship_id


def _withdrawing(request_id):
    return lambda s: mentoring.withdraw_request(s, team_id=TEAM, request_id=request_id, protege_id="U0P", now=T0)


def _accepting(mentorship_id):
    return lambda s: (
        mentoring.answer(s, team_id=TEAM, mentorship_id=mentorship_id, mentor_id="U0M", accept=True, now=T0).outcome
    )


def test_an_accept_then_a_withdrawal_at_once_the_accept_wins(engine, topics):
    request_id, proposal = _proposal(engine, topics)
    assert _one_then_other(engine, _accepting(proposal), _withdrawing(request_id)) == (AnswerOutcome.ACCEPTED, False)
    assert (_request(engine, request_id).state, _ship(engine, proposal).state) == ("matched", "active")


def test_a_withdrawal_then_an_accept_at_once_the_withdrawal_wins(engine, topics):
    request_id, proposal = _proposal(engine, topics)
    assert _one_then_other(engine, _withdrawing(request_id), _accepting(proposal)) == (True, AnswerOutcome.STALE)
    assert (_request(engine, request_id).state, _ship(engine, proposal).state) == ("withdrawn", "withdrawn")


def test_a_choice_then_a_withdrawal_at_once_leaves_no_proposal(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]])
    request_id = _ask(engine, "U0P", topics["Leadership"]).request_id
    picked = lambda s: _choose_in(s, request_id)  # noqa: E731
    assert _one_then_other(engine, picked, _withdrawing(request_id)) == (ChooseOutcome.ASKED, True)
    with session_scope(engine) as s:
        assert [m.state for m in s.exec(select(Mentorship))] == ["withdrawn"]
    assert _request(engine, request_id).state == "withdrawn"


def _choose_in(s, request_id):
    return mentoring.choose(s, team_id=TEAM, request_id=request_id, protege_id="U0P", mentor_id="U0M", now=T0).outcome


def test_extending_twice_from_one_end_of_term_check_in_extends_once(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]])
    ship = _matched(engine, "U0P", "U0M", topics["Leadership"])
    ends = T0 + timedelta(weeks=12)

    def extend(user_id):
        with session_scope(engine) as s:
            return mentoring.wrap_up(
                s, team_id=TEAM, mentorship_id=ship, user_id=user_id, rating=None, word=None, extend=True, now=ends
            )

    # Before the end-of-term check-in there is nothing to extend.
    assert extend("U0P") == "active" and _ship(engine, ship).weeks == 12
    with session_scope(engine) as s:
        assert mentoring.due_end(s, now=ends) == [(TEAM, ship)]
    # A double click, and the other person choosing to extend too: one extension.
    assert extend("U0P") == extend("U0P") == extend("U0M") == "active"
    m = _ship(engine, ship)
    assert (m.weeks, m.ends_at, m.end_sent_at) == (16, ends + timedelta(weeks=4), None)
    # The next end-of-term check-in may extend again, once.
    with session_scope(engine) as s:
        assert mentoring.due_end(s, now=ends + timedelta(weeks=4)) == [(TEAM, ship)]
    assert extend("U0M") == extend("U0P") == "active"
    assert (_ship(engine, ship).weeks, _ship(engine, ship).ends_at) == (20, ends + timedelta(weeks=8))


def test_racing_extensions_extend_once(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"]])
    ship = _matched(engine, "U0P", "U0M", topics["Leadership"])
    with session_scope(engine) as s:
        mentoring.due_end(s, now=T0 + timedelta(weeks=12))

    def extend(user_id):
        return lambda s: mentoring.wrap_up(
            s,
            team_id=TEAM,
            mentorship_id=ship,
            user_id=user_id,
            rating=None,
            word=None,
            extend=True,
            now=T0 + timedelta(weeks=12),
        )

    _one_then_other(engine, extend("U0P"), extend("U0M"))
    assert _ship(engine, ship).weeks == 16


def test_leaving_offers_again_the_lists_it_emptied(engine, topics):
    _volunteer(engine, "U0M", [topics["Leadership"], topics["Hiring"]], capacity=3)
    alone = _ask(engine, "U0P1", topics["Hiring"])  # U0M is its only candidate, and stays so
    replaced = _ask(engine, "U0P2", topics["Leadership"])  # U0M alone now; U0N volunteers after
    _volunteer(engine, "U0N", [topics["Leadership"]])
    assert _offered(engine, alone.request_id) == ["U0M"] and _offered(engine, replaced.request_id) == ["U0M"]
    _volunteer(engine, "U0O", [topics["Leadership"]])
    shared = _ask(engine, "U0P3", topics["Leadership"])  # U0M and others: the list keeps the others
    assert "U0M" in _offered(engine, shared.request_id) and len(_offered(engine, shared.request_id)) == 3
    with session_scope(engine) as s:
        left = mentoring.leave(s, team_id=TEAM, user_id="U0M", now=T0 + timedelta(days=1))
    assert left.proposals == []
    assert [(r, o.rounds) for r, o in left.emptied] == [
        (alone.request_id, []),
        (replaced.request_id, [(replaced.request_id, 2)]),
    ]
    assert sorted(left.rounds) == [(replaced.request_id, 2)]
    assert _request(engine, alone.request_id).state == "waiting"
    assert _request(engine, replaced.request_id).state == "choosing" and _offered(engine, replaced.request_id) in (
        ["U0N", "U0O"],
        ["U0O", "U0N"],
    )
    assert _request(engine, shared.request_id).round == 1 and "U0M" not in _offered(engine, shared.request_id)


def test_leaving_when_asked_and_nobody_else_fits_reports_the_proposal(engine, topics):
    request_id, proposal = _proposal(engine, topics)
    with session_scope(engine) as s:
        left = mentoring.leave(s, team_id=TEAM, user_id="U0M", now=T0)
    assert [(m, o.rounds) for m, o in left.proposals] == [(proposal, [])] and left.rounds == []
    assert (_ship(engine, proposal).state, _request(engine, request_id).state) == ("withdrawn", "waiting")


def test_a_mentor_who_left_and_volunteers_again_can_be_offered_again(engine, topics):
    request_id, _proposal_id = _proposal(engine, topics)
    with session_scope(engine) as s:
        mentoring.leave(s, team_id=TEAM, user_id="U0M", now=T0)
        assert s.get(MentorCandidate, (request_id, "U0M")).outcome == "withdrawn"
    assert _volunteer(engine, "U0M", [topics["Leadership"]]).rounds == [(request_id, 2)]
    assert _offered(engine, request_id) == ["U0M"]
    # Declining still rules them out for good.
    assert (
        _answer(engine, _choose(engine, request_id, "U0P", "U0M").mentorship_id, "U0M", False).outcome
        is AnswerOutcome.DECLINED
    )
    with session_scope(engine) as s:
        mentoring.leave(s, team_id=TEAM, user_id="U0M", now=T0)
    assert _volunteer(engine, "U0M", [topics["Leadership"]]).rounds == []
    assert _request(engine, request_id).state == "waiting"


def test_a_topic_a_protege_names_stays_off_the_list_but_matches_volunteers(engine, topics):
    with session_scope(engine) as s:
        named = mentoring.request_topic(s, team_id=TEAM, raw="Returning from parental leave", user_id="U0P")
        assert not named.curated
        # Naming a listed topic is just that topic.
        assert mentoring.request_topic(s, team_id=TEAM, raw="leadership", user_id="U0P") == mentoring.TopicInfo(
            topics["Leadership"], "Leadership", True
        )
    # Only with unlisted_ok does a request use a topic off the list.
    with pytest.raises(MentorError):
        _ask(engine, "U0P", named.id)
    asked = _ask(engine, "U0P", named.id, unlisted_ok=True)
    assert (asked.outcome, asked.topic) == (RequestOutcome.WAITING, "Returning from parental leave")
    with session_scope(engine) as s:
        assert [t.name for t in mentoring.topic_list(s, team_id=TEAM)] == ["Hiring", "Leadership", "Public speaking"]
        assert mentoring.unlisted_requested(s, team_id=TEAM) == ["Returning from parental leave"]
        # A volunteer who suggests the same topic is matched with the request.
        suggested, _ = mentoring.add_topic(
            s, team_id=TEAM, raw="returning from parental leave", user_id="U0M", curated=False
        )
    assert suggested.id == named.id
    assert _volunteer(engine, "U0M", [named.id]).rounds == [(asked.request_id, 1)]
    with session_scope(engine) as s:
        assert mentoring.unlisted_requested(s, team_id=TEAM) == []
    # A topic from another workspace is no topic here.
    with pytest.raises(MentorError):
        _ask(engine, "U0Q", named.id, team=OTHER, unlisted_ok=True)


# -- matching's properties, request after request through core -----------------------------------

P_TOPICS = [1, 2, 3]
P_USERS = [f"U0P{i:02d}" for i in range(10)]
P_ROLES = ["Engineering Manager", "Senior Software Engineer", "Product Manager", "Designer", None]
P_PLACES = [("London", 0), ("New York", -5 * 3600), ("Bangalore", 5 * 3600 + 1800), (None, 0)]


@st.composite
def _flows(draw):
    """Volunteers (distinct people, some paused) and requests in the order they are made; a
    protégé may also volunteer, and may ask twice in one topic."""
    mentors = [
        dict(
            user_id=user_id,
            topics=draw(st.lists(st.sampled_from(P_TOPICS), min_size=1, max_size=2, unique=True)),
            capacity=draw(st.integers(1, 2)),
            role=draw(st.sampled_from(P_ROLES)),
            years=draw(st.one_of(st.none(), st.integers(0, 6))),
            place=draw(st.sampled_from(P_PLACES)),
            paused=draw(st.booleans()),
        )
        for user_id in draw(st.lists(st.sampled_from(P_USERS), unique=True, max_size=6))
    ]
    requests = draw(
        st.lists(
            st.fixed_dictionaries(
                dict(
                    protege_id=st.sampled_from(P_USERS),
                    topic=st.sampled_from(P_TOPICS),
                    role=st.sampled_from(P_ROLES),
                    target_role=st.sampled_from(P_ROLES),
                    role_pref=st.sampled_from(["any", "mine", "target"]),
                    place=st.sampled_from(P_PLACES),
                    location_pref=st.sampled_from(["any", "any", "same"]),
                )
            ),
            max_size=10,
        )
    )
    return mentors, requests


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(flow=_flows())
def test_offers_request_after_request_keep_matchings_properties(engine, flow):
    """What matching must never do, through the production path (ask, candidates, choose,
    accept): offer more than three or the same person twice, the protégé themself, a paused or
    full mentor, one outside the topic or (asked for) the place, or a mentor the protégé already
    worked with in the topic; nor leave a request waiting while someone fits; nor exceed a
    mentor's capacity. Each example is its own workspace."""
    mentors, requests = flow
    team = f"T0P{uuid.uuid4().hex[:8]}"
    by_id = {m["user_id"]: m for m in mentors}
    with session_scope(engine) as s:
        topic_ids = {
            t: mentoring.add_topic(s, team_id=team, raw=f"Topic {t}", user_id="U0ADMIN", curated=True)[0].id
            for t in P_TOPICS
        }
        people = {m["user_id"]: (m["role"], m["years"], m["place"]) for m in mentors}
        for r in requests:
            people.setdefault(r["protege_id"], (r["role"], None, r["place"]))
        for user_id, (role, years, (location, offset)) in people.items():
            mentoring.ensure_profile(
                s, team_id=team, user_id=user_id, slack=SlackPerson(title=role, tz_offset=offset), now=T0
            )
            mentoring.save_profile(
                s, team_id=team, user_id=user_id, role=role, location=location, years_in_role=years, now=T0
            )
        for m in mentors:
            mentoring.volunteer(
                s,
                team_id=team,
                user_id=m["user_id"],
                topic_ids=[topic_ids[t] for t in m["topics"]],
                capacity=m["capacity"],
                note=None,
                now=T0,
            )
            if m["paused"]:
                mentoring.set_paused(s, team_id=team, user_id=m["user_id"], paused=True, now=T0)

    taken: Counter[str] = Counter()
    pairs: set[tuple[str, int, str]] = set()
    for r in requests:
        protege, topic = r["protege_id"], r["topic"]
        role_pref = r["role_pref"] if r["role_pref"] != "target" or r["target_role"] else "any"
        with session_scope(engine) as s:
            asked = mentoring.ask_for_mentor(
                s,
                team_id=team,
                protege_id=protege,
                topic_id=topic_ids[topic],
                goal="Grow into the role",
                location_pref=r["location_pref"],
                role_pref=role_pref,
                target_role=r["target_role"],
                now=T0,
            )
            if asked.outcome is RequestOutcome.ALREADY:
                continue  # the protégé's earlier request in this topic still waits
            offered = [
                mentor_id
                for mentor_id, _ in mentoring.on_offer(s, team_id=team, request_id=asked.request_id).candidates
            ]
        where = people[protege][2][0] if r["location_pref"] == "same" else None

        fitting = {
            user_id
            for user_id, m in by_id.items()
            if user_id != protege
            and topic in m["topics"]
            and not m["paused"]
            and taken[user_id] < m["capacity"]
            and (protege, topic, user_id) not in pairs
            and (where is None or matching.same_place(where, m["place"][0]))
        }
        assert len(offered) <= matching.CANDIDATES and len(set(offered)) == len(offered)
        assert set(offered) <= fitting
        assert len(offered) == min(len(fitting), matching.CANDIDATES)
        assert asked.outcome is (RequestOutcome.OFFERED if offered else RequestOutcome.WAITING)
        if not offered:
            continue
        # The protégé chooses the first, who accepts.
        chosen = _choose(engine, asked.request_id, protege, offered[0], team=team)
        assert chosen.outcome is ChooseOutcome.ASKED
        assert _answer(engine, chosen.mentorship_id, offered[0], True, team=team).outcome is AnswerOutcome.ACCEPTED
        taken[offered[0]] += 1
        pairs.add((protege, topic, offered[0]))

    with session_scope(engine) as s:
        running = Counter(
            s.exec(
                select(Mentorship.mentor_id).where(
                    Mentorship.team_id == team, Mentorship.state == mentoring.MentorshipState.ACTIVE
                )
            ).all()
        )
    assert running == taken
    assert all(n <= by_id[user_id]["capacity"] for user_id, n in running.items())


# -- lock order -------------------------------------------------------------------------------------


def _backends_waiting_on_locks(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
        ).scalar()


def _until(predicate, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting until {what}")
        time.sleep(0.02)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_the_sweep_and_a_decline_ending_proposals_at_once_never_deadlock(engine, topics):
    """The sweep lapses two proposals while one of their mentors declines. Each ended proposal
    re-offers the requests waiting for that mentor's place, so two transactions that took their
    proposals' requests in different orders, then the waiting requests, could each hold what the
    other waits for. A third connection holds the waiting request, so that both are parked on it
    in this order, the sweep first: then it lets go."""
    leadership = topics["Leadership"]
    _volunteer(engine, "U0X", [leadership])
    _volunteer(engine, "U0Y", [leadership])
    first = _ask(engine, "U0P1", leadership)
    m1 = _choose(engine, first.request_id, "U0P1", "U0X").mentorship_id
    second = _ask(engine, "U0P2", leadership)
    assert _offered(engine, second.request_id) == ["U0Y"]
    m2 = _choose(engine, second.request_id, "U0P2", "U0Y").mentorship_id
    waiting = _ask(engine, "U0P3", leadership)
    assert waiting.outcome is RequestOutcome.WAITING
    lapsed_at = T0 + timedelta(days=4)

    holder = engine.connect()
    holder.execute(text("SELECT id FROM mentor_request WHERE id = :id FOR UPDATE"), {"id": waiting.request_id})
    errors: list[BaseException] = []

    def run(action):
        try:
            with session_scope(engine) as session:
                action(session)
        except Exception as exc:
            errors.append(exc)

    sweep = threading.Thread(target=run, args=(lambda s: mentoring.expire_proposals(s, now=lapsed_at),))
    decline = threading.Thread(
        target=run,
        args=(_with(mentoring.answer, team_id=TEAM, mentorship_id=m2, mentor_id="U0Y", accept=False, now=lapsed_at),),
    )
    try:
        sweep.start()
        _until(lambda: _backends_waiting_on_locks(engine) >= 1, "the sweep waits")
        decline.start()
        _until(lambda: _backends_waiting_on_locks(engine) >= 2, "the decline waits")
    finally:
        holder.rollback()
        holder.close()
    sweep.join(30)
    decline.join(30)
    assert errors == []
    assert _ship(engine, m1).state == "expired"
    assert _ship(engine, m2).state in ("expired", "declined")
    assert _request(engine, waiting.request_id).state == "choosing"
