"""Which unanswered questions are raised again, and that each is raised once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from core import asking, followup
from scheduler import jobs, runtime
from storage import outbox
from storage.db import session_scope
from storage.models import Question
from tests.races import race

TEAM = "T0FAKETEAM"
QA = "C0QUESTION"
DAY = timedelta(hours=24)


def _posted(engine, ts, hours_ago, team=TEAM):
    with session_scope(engine) as s:
        qid = asking.ask_question(
            s, team_id=team, asker_id="U0ASKER", text=f"question {ts}", qa_channel_id=QA, request_id=ts
        ).question_id
        asking.mark_posted(s, team_id=team, question_id=qid, channel_id=QA, message_ts=ts)
        s.execute(
            update(Question).where(Question.id == qid).values(posted_at=datetime.now(UTC) - timedelta(hours=hours_ago))
        )
    return qid


def test_only_old_unanswered_posted_questions_are_due(engine):
    old = _posted(engine, "1700000001.000100", 30)
    other_team = _posted(engine, "1700000002.000100", 30, team="T0OTHER")
    _posted(engine, "1700000003.000100", 2)  # too recent
    answered = _posted(engine, "1700000004.000100", 30)
    deleted_answer = _posted(engine, "1700000005.000100", 30)
    with session_scope(engine) as s:
        for ts, _qid in (("1700000004.000100", answered), ("1700000005.000100", deleted_answer)):
            asking.record_reply(
                s,
                team_id=TEAM,
                channel_id=QA,
                thread_ts=ts,
                message_ts=ts[:-1] + "9",
                author_id="U0HELPER",
                text="a",
                at=datetime.now(UTC),
            )
        asking.delete_reply(
            s, team_id=TEAM, channel_id=QA, thread_ts="1700000005.000100", message_ts="1700000005.000109"
        )
        asking.ask_question(s, team_id=TEAM, asker_id="U0ASKER", text="never posted", qa_channel_id=QA, request_id="np")
        due = followup.due_followups(s, now=datetime.now(UTC), after=DAY)
    assert sorted(due) == sorted([(TEAM, old), ("T0OTHER", other_team), (TEAM, deleted_answer)])


def test_a_question_is_raised_once_however_often_the_job_runs(engine):
    qid = _posted(engine, "1700000001.000100", 30)
    runtime.bind_engine(engine)
    try:
        race(engine, lambda s: jobs.follow_up_questions(24), lambda s: jobs.follow_up_questions(24))
        assert jobs.follow_up_questions(24) == 0
    finally:
        runtime.bind_engine(None)
    with session_scope(engine) as s:
        assert outbox.get(s, team_id=TEAM, dedupe_key=f"question:{qid}:followup-thread").kind == "ask.follow_up_thread"
        assert outbox.get(s, team_id=TEAM, dedupe_key=f"question:{qid}:followup-asker").kind == "ask.follow_up_asker"
        assert followup.due_followups(s, now=datetime.now(UTC), after=DAY) == []


def test_no_follow_up_is_raised_where_the_installation_is_gone_until_it_is_back(engine):
    from storage import workspaces

    mine = _posted(engine, "1700000001.000100", 30)
    theirs = _posted(engine, "1700000002.000100", 30, team="T0GONE")
    with session_scope(engine) as s:
        workspaces.mark_gone(s, team_ids=["T0GONE"], reason="app_uninstalled")
    runtime.bind_engine(engine)
    try:
        assert jobs.follow_up_questions(24) == 1
        with session_scope(engine) as s:
            assert followup.due_followups(s, now=datetime.now(UTC), after=DAY) == [("T0GONE", theirs)]
            workspaces.mark_back(s, team_id="T0GONE")
        assert jobs.follow_up_questions(24) == 1  # installed again: it is raised after all
    finally:
        runtime.bind_engine(None)
    assert mine != theirs
