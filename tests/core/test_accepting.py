"""Accepting answers: who may, one accepted answer per question, and the state the post shows."""

from __future__ import annotations

from datetime import UTC, datetime

from core import accepting, asking, expertise
from core.accepting import AcceptOutcome, PostState
from storage import qa
from storage.db import session_scope
from tests.races import race

TEAM = "T0FAKETEAM"
QA = "C0QUESTION"
POST_TS = "1754400000.000100"


def _posted(engine, *, topics=(), asker="U0ASKER", ts=POST_TS):
    with session_scope(engine) as s:
        asked = asking.ask_question(
            s, team_id=TEAM, asker_id=asker, text="How do I rotate the API keys?", qa_channel_id=QA, topics=list(topics)
        )
        asking.mark_posted(s, team_id=TEAM, question_id=asked.question_id, channel_id=QA, message_ts=ts)
    return asked.question_id


def _reply(engine, ts, author, text="Use the vault CLI"):
    with session_scope(engine) as s:
        return asking.record_reply(
            s,
            team_id=TEAM,
            channel_id=QA,
            thread_ts=POST_TS,
            message_ts=ts,
            author_id=author,
            text=text,
            at=datetime.fromtimestamp(float(ts), UTC),
        )


def _accept(engine, question_id, ts, user, is_admin=False):
    with session_scope(engine) as s:
        return accepting.accept(s, team_id=TEAM, question_id=question_id, answer_ts=ts, user_id=user, is_admin=is_admin)


def _state(engine, question_id):
    with session_scope(engine) as s:
        return accepting.state_of(s, qa.get_question(s, team_id=TEAM, question_id=question_id))


def test_the_asker_accepts_an_answer_and_the_post_becomes_resolved(engine):
    qid = _posted(engine)
    assert _state(engine, qid) is PostState.OPEN
    _reply(engine, "1754400001.000100", "U0HELPER")
    assert _state(engine, qid) is PostState.ANSWERED
    result = _accept(engine, qid, "1754400001.000100", "U0ASKER")
    assert result.outcome is AcceptOutcome.ACCEPTED and result.answer_author == "U0HELPER"
    assert result.post_version is not None
    assert _state(engine, qid) is PostState.RESOLVED
    assert _accept(engine, qid, "1754400001.000100", "U0ASKER").outcome is AcceptOutcome.ALREADY


def test_accepting_another_answer_moves_the_mark(engine):
    qid = _posted(engine)
    _reply(engine, "1754400001.000100", "U0HELPER1")
    _reply(engine, "1754400002.000100", "U0HELPER2")
    first = _accept(engine, qid, "1754400001.000100", "U0ASKER")
    second = _accept(engine, qid, "1754400002.000100", "U0ASKER")
    assert second.post_version == first.post_version + 1  # still resolved, but the post must show the new answer
    with session_scope(engine) as s:
        assert accepting.accepted_answer(s, team_id=TEAM, question_id=qid).author_id == "U0HELPER2"
        assert sum(a.accepted_at is not None for a in qa.list_answers(s, team_id=TEAM, question_id=qid)) == 1


def test_only_the_asker_a_topic_expert_or_an_admin_may_accept(engine):
    qid = _posted(engine, topics=["Security"])
    _reply(engine, "1754400001.000100", "U0HELPER")
    assert _accept(engine, qid, "1754400001.000100", "U0STRANGER").outcome is AcceptOutcome.NOT_ALLOWED
    assert (
        _accept(engine, qid, "1754400001.000100", "U0HELPER").outcome is AcceptOutcome.NOT_ALLOWED
    )  # not even its author
    with session_scope(engine) as s:
        expertise.declare(s, team_id=TEAM, user_id="U0EXPERT", raw_topic="security")
        expertise.declare(s, team_id=TEAM, user_id="U0OTHER", raw_topic="Payroll")
    assert _accept(engine, qid, "1754400001.000100", "U0OTHER").outcome is AcceptOutcome.NOT_ALLOWED  # another topic
    assert _accept(engine, qid, "1754400001.000100", "U0EXPERT").outcome is AcceptOutcome.ACCEPTED
    _reply(engine, "1754400002.000100", "U0HELPER2")
    assert _accept(engine, qid, "1754400002.000100", "U0ADMIN", is_admin=True).outcome is AcceptOutcome.ACCEPTED


def test_a_refusal_changes_nothing(engine):
    qid = _posted(engine)
    _reply(engine, "1754400001.000100", "U0HELPER")
    _accept(engine, qid, "1754400001.000100", "U0STRANGER")
    assert _state(engine, qid) is PostState.ANSWERED


def test_what_is_not_an_answer_cannot_be_accepted(engine):
    qid = _posted(engine)
    _reply(engine, "1754400001.000100", "U0ASKER")  # the asker's own reply is not an answer
    assert _accept(engine, qid, "1754400001.000100", "U0ASKER").outcome is AcceptOutcome.NOT_AN_ANSWER
    assert _accept(engine, qid, "1754400009.000100", "U0ASKER").outcome is AcceptOutcome.NOT_AN_ANSWER
    _reply(engine, "1754400002.000100", "U0HELPER")
    with session_scope(engine) as s:
        asking.delete_reply(s, team_id=TEAM, channel_id=QA, thread_ts=POST_TS, message_ts="1754400002.000100")
    assert _accept(engine, qid, "1754400002.000100", "U0ASKER").outcome is AcceptOutcome.DELETED
    with session_scope(engine) as s:
        by_message = accepting.accept_by_message(
            s, team_id=TEAM, channel_id=QA, thread_ts=None, message_ts=POST_TS, user_id="U0ASKER"
        )
        assert by_message.outcome is AcceptOutcome.NOT_A_QUESTION
        elsewhere = accepting.accept_by_message(
            s,
            team_id=TEAM,
            channel_id="C0ELSEWHERE",
            thread_ts=POST_TS,
            message_ts="1754400003.000100",
            user_id="U0ASKER",
        )
        assert elsewhere.outcome is AcceptOutcome.NOT_A_QUESTION


def test_acceptance_is_scoped_to_the_workspace(engine):
    qid = _posted(engine)
    _reply(engine, "1754400001.000100", "U0HELPER")
    with session_scope(engine) as s:
        other = accepting.accept(
            s, team_id="T0OTHERTEAM", question_id=qid, answer_ts="1754400001.000100", user_id="U0ASKER", is_admin=True
        )
    assert other.outcome is AcceptOutcome.NOT_A_QUESTION


def test_deleting_the_accepted_answer_reopens_the_state(engine):
    qid = _posted(engine)
    _reply(engine, "1754400001.000100", "U0HELPER")
    _accept(engine, qid, "1754400001.000100", "U0ASKER")
    with session_scope(engine) as s:
        asking.delete_reply(s, team_id=TEAM, channel_id=QA, thread_ts=POST_TS, message_ts="1754400001.000100")
        assert accepting.accepted_answer(s, team_id=TEAM, question_id=qid) is None
        version = accepting.sync_shown_state(s, team_id=TEAM, question_id=qid)
    assert version is not None and _state(engine, qid) is PostState.OPEN


def test_the_shown_state_changes_once_per_change(engine):
    qid = _posted(engine)
    with session_scope(engine) as s:
        assert accepting.sync_shown_state(s, team_id=TEAM, question_id=qid) is None  # a new post shows "open"
    _reply(engine, "1754400001.000100", "U0HELPER")
    with session_scope(engine) as s:
        assert accepting.sync_shown_state(s, team_id=TEAM, question_id=qid) == 1
        assert accepting.sync_shown_state(s, team_id=TEAM, question_id=qid) is None
    _reply(engine, "1754400002.000100", "U0HELPER2")  # still "answered": nothing to update
    with session_scope(engine) as s:
        assert accepting.sync_shown_state(s, team_id=TEAM, question_id=qid) is None


def test_two_people_accepting_at_once_leave_one_accepted_answer(engine):
    qid = _posted(engine, topics=["Security"])
    _reply(engine, "1754400001.000100", "U0HELPER1")
    _reply(engine, "1754400002.000100", "U0HELPER2")
    with session_scope(engine) as s:
        expertise.declare(s, team_id=TEAM, user_id="U0EXPERT", raw_topic="Security")
    outcomes = []
    race(
        engine,
        lambda s: outcomes.append(
            accepting.accept(s, team_id=TEAM, question_id=qid, answer_ts="1754400001.000100", user_id="U0ASKER").outcome
        ),
        lambda s: outcomes.append(
            accepting.accept(
                s, team_id=TEAM, question_id=qid, answer_ts="1754400002.000100", user_id="U0EXPERT"
            ).outcome
        ),
    )
    assert outcomes == [AcceptOutcome.ACCEPTED, AcceptOutcome.ACCEPTED]
    with session_scope(engine) as s:
        assert sum(a.accepted_at is not None for a in qa.list_answers(s, team_id=TEAM, question_id=qid)) == 1


def test_the_form_offers_every_answer_when_they_fit_else_the_accepted_and_the_latest():
    from core.accepting import MAX_CHOICES, choices

    few = [(f"1.{n}", f"U{n}", f"answer {n}", n == 1) for n in range(3)]
    offered, total = choices(few)
    assert [c.message_ts for c in offered] == ["1.0", "1.1", "1.2"] and total == 3

    many = [(f"1.{n:02d}", f"U{n}", f"answer {n}", n == 2) for n in range(14)]
    offered, total = choices(many)
    assert total == 14 and len(offered) == MAX_CHOICES
    # The accepted one is kept, then the latest; still in thread order.
    assert [c.message_ts for c in offered] == ["1.02"] + [f"1.{n:02d}" for n in range(5, 14)]
    assert offered[0].accepted
