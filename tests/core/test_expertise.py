"""Expertise profiles and helper invitations: learned from answers, declared by people, bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import accepting, asking, expertise, topics
from core.expertise import DeclareOutcome
from storage.db import session_scope

TEAM = "T0FAKETEAM"
QA = "C0QUESTION"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


_COUNTER = [0]  # shared by every call: each question gets a fresh ts


def _question(s, *, asker="U0ASKER", topic_names=("Kubernetes",), n=_COUNTER):
    n[0] += 1
    ts = f"{1754400000 + n[0] * 100}.000100"
    asked = asking.ask_question(
        s, team_id=TEAM, asker_id=asker, text=f"Question {n[0]}", qa_channel_id=QA, topics=list(topic_names)
    )
    asking.mark_posted(s, team_id=TEAM, question_id=asked.question_id, channel_id=QA, message_ts=ts)
    return asked.question_id, ts


def _answered(s, author, *, at, accepted=False, topic_names=("Kubernetes",)):
    qid, ts = _question(s, topic_names=topic_names)
    answer_ts = f"{float(ts) + 1:.6f}"
    asking.record_reply(
        s, team_id=TEAM, channel_id=QA, thread_ts=ts, message_ts=answer_ts, author_id=author, text="Try this", at=at
    )
    if accepted:
        assert (
            accepting.accept(s, team_id=TEAM, question_id=qid, answer_ts=answer_ts, user_id="U0ASKER").outcome.value
            == "accepted"
        )
    return qid


def test_declaring_and_withdrawing_topics(engine):
    with session_scope(engine) as s:
        assert expertise.declare(s, team_id=TEAM, user_id="U1", raw_topic="kubernetes ").outcome is DeclareOutcome.ADDED
        assert (
            expertise.declare(s, team_id=TEAM, user_id="U1", raw_topic="Kubernetes").outcome is DeclareOutcome.ALREADY
        )
        assert [p.topic for p in expertise.profile(s, team_id=TEAM, user_id="U1")] == ["kubernetes"]
        assert (
            expertise.withdraw(s, team_id=TEAM, user_id="U1", raw_topic="KUBERNETES").outcome is DeclareOutcome.REMOVED
        )
        assert (
            expertise.withdraw(s, team_id=TEAM, user_id="U1", raw_topic="Kubernetes").outcome
            is DeclareOutcome.NOT_LISTED
        )
        assert (
            expertise.withdraw(s, team_id=TEAM, user_id="U1", raw_topic="Never heard of it").outcome
            is DeclareOutcome.NOT_LISTED
        )
        assert expertise.profile(s, team_id=TEAM, user_id="U1") == []


def test_a_profile_is_learned_from_answers_accepted_and_recent_ones_weigh_more(engine):
    with session_scope(engine) as s:
        _answered(s, "U0RECENT", at=NOW - timedelta(days=1))
        _answered(s, "U0OLD", at=NOW - timedelta(days=720))
        _answered(s, "U0ACCEPTED", at=NOW - timedelta(days=1), accepted=True)
        recent = expertise.profile(s, team_id=TEAM, user_id="U0RECENT", now=NOW)[0]
        old = expertise.profile(s, team_id=TEAM, user_id="U0OLD", now=NOW)[0]
        accepted = expertise.profile(s, team_id=TEAM, user_id="U0ACCEPTED", now=NOW)[0]
        assert (recent.topic, recent.answers, recent.accepted, recent.declared) == ("Kubernetes", 1, 0, False)
        assert accepted.accepted == 1
        assert accepted.score > recent.score > old.score > 0


def test_helpers_are_ranked_and_never_the_asker(engine):
    with session_scope(engine) as s:
        _answered(s, "U0ACCEPTED", at=NOW - timedelta(days=2), accepted=True)
        _answered(s, "U0ANSWERER", at=NOW - timedelta(days=2))
        _answered(s, "U0ASKER2", at=NOW - timedelta(days=2))  # will be the asker below
        expertise.declare(s, team_id=TEAM, user_id="U0DECLARED", raw_topic="Kubernetes")
        _answered(s, "U0PAYROLL", at=NOW, accepted=True, topic_names=("Payroll",))  # another topic
        qid, _ = _question(s, asker="U0ASKER2")
        helpers = expertise.helpers_for(s, team_id=TEAM, question_id=qid, now=NOW)
        assert helpers == ["U0ACCEPTED", "U0DECLARED", "U0ANSWERER"]
        assert expertise.helpers_for(s, team_id=TEAM, question_id=qid, limit=1, now=NOW) == ["U0ACCEPTED"]


def test_paused_helpers_are_skipped_until_they_resume(engine):
    with session_scope(engine) as s:
        expertise.declare(s, team_id=TEAM, user_id="U0DECLARED", raw_topic="Kubernetes")
        assert expertise.set_paused(s, team_id=TEAM, user_id="U0DECLARED", paused=True) is True
        assert expertise.set_paused(s, team_id=TEAM, user_id="U0DECLARED", paused=True) is False
        qid, _ = _question(s)
        assert expertise.helpers_for(s, team_id=TEAM, question_id=qid, now=NOW) == []
        expertise.set_paused(s, team_id=TEAM, user_id="U0DECLARED", paused=False)
        assert expertise.helpers_for(s, team_id=TEAM, question_id=qid, now=NOW) == ["U0DECLARED"]


def test_nobody_is_invited_more_than_the_daily_limit_or_twice_to_one_question(engine):
    with session_scope(engine) as s:
        expertise.declare(s, team_id=TEAM, user_id="U0DECLARED", raw_topic="Kubernetes")
        first, _ = _question(s)
        assert expertise.record_invitations(s, team_id=TEAM, question_id=first, user_ids=["U0DECLARED"], now=NOW) == [
            "U0DECLARED"
        ]
        assert expertise.record_invitations(s, team_id=TEAM, question_id=first, user_ids=["U0DECLARED"], now=NOW) == []
        assert expertise.helpers_for(s, team_id=TEAM, question_id=first, now=NOW) == []  # already invited there
        second, _ = _question(s)
        assert expertise.helpers_for(s, team_id=TEAM, question_id=second, daily_limit=2, now=NOW) == ["U0DECLARED"]
        assert expertise.helpers_for(s, team_id=TEAM, question_id=second, daily_limit=1, now=NOW) == []
        # A day later the count starts again.
        assert expertise.helpers_for(
            s, team_id=TEAM, question_id=second, daily_limit=1, now=NOW + timedelta(days=1, minutes=1)
        ) == ["U0DECLARED"]


def test_a_question_without_topics_invites_nobody(engine):
    with session_scope(engine) as s:
        expertise.declare(s, team_id=TEAM, user_id="U0DECLARED", raw_topic="Kubernetes")
        qid, _ = _question(s, topic_names=())
        assert expertise.helpers_for(s, team_id=TEAM, question_id=qid, now=NOW) == []


def test_profiles_are_scoped_to_the_workspace(engine):
    with session_scope(engine) as s:
        expertise.declare(s, team_id="T0OTHERTEAM", user_id="U0DECLARED", raw_topic="Kubernetes")
        qid, _ = _question(s)
        assert expertise.helpers_for(s, team_id=TEAM, question_id=qid, now=NOW) == []
        assert expertise.profile(s, team_id=TEAM, user_id="U0DECLARED") == []


def test_a_bad_topic_name_is_refused(engine):
    with session_scope(engine) as s, pytest.raises(topics.TopicError):
        expertise.declare(s, team_id=TEAM, user_id="U1", raw_topic="   ")


@pytest.mark.parametrize(
    "listed, title, names",
    [
        ("Kubernetes", "Kubernetes upgrades", True),
        ("rust", "Rust tips", True),
        ("Go", "Google Docs for teams", False),  # whole words only
        ("Go", "Tips for Go, and a Q&A", True),
        ("runbook", "Runbooks: a review", True),  # a plural is the same topic
        ("Machine Learning", "Machine-learning in production", True),
        ("Machine Learning", "Learning machine code", False),  # the words in a row
        ("Kubernetes", "", False),
    ],
)
def test_a_free_text_title_names_a_topic_someone_lists(engine, listed, title, names):
    with session_scope(engine) as s:
        expertise.declare(s, team_id=TEAM, user_id="U1", raw_topic=listed)
        assert expertise.lists_topic_in(s, team_id=TEAM, user_id="U1", text=title) is names
        assert expertise.lists_topic_in(s, team_id=TEAM, user_id="U2", text=title) is False  # U2 lists nothing
        assert expertise.lists_topic_in(s, team_id="T0OTHER", user_id="U1", text=title) is False  # here only
