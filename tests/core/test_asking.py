"""The /ask rules, driven with plain values: no Slack payloads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import asking
from core.asking import AskIntent, AskRefusal, ReplyOutcome
from storage import qa
from storage.db import session_scope
from tests.races import race

TEAM = "T0FAKETEAM"
QA = "C0QUESTION"


@pytest.mark.parametrize("text", ["help", "HELP", " help ", "--help", "?"])
def test_help_text_asks_for_help(text):
    assert asking.parse_ask(text).intent is AskIntent.HELP


@pytest.mark.parametrize("text", [None, "", "   \n"])
def test_no_text_opens_the_form(text):
    assert asking.parse_ask(text).intent is AskIntent.FORM


@pytest.mark.parametrize(
    "text,intent",
    [("channel", AskIntent.CHANNEL), (" Channel ", AskIntent.CHANNEL), ("channel naming rules?", AskIntent.QUESTION)],
)
def test_channel_alone_chooses_the_qa_channel_and_a_question_about_channels_is_a_question(text, intent):
    assert asking.parse_ask(text).intent is intent


@pytest.mark.parametrize(
    "text,intent,rest",
    [
        ("channels", AskIntent.HELP_CHANNELS, ""),
        ("channels add <#C0HELP|help-it>", AskIntent.HELP_CHANNELS, "add <#C0HELP|help-it>"),
        ("Channels PAUSE", AskIntent.HELP_CHANNELS, "PAUSE"),
        ("channels list", AskIntent.HELP_CHANNELS, "list"),
        ("channels are confusing, which one is for IT?", AskIntent.QUESTION, None),
        ("suggestions off", AskIntent.HELP_SUGGESTIONS, "off"),
        ("suggestions for a team offsite?", AskIntent.QUESTION, None),
    ],
)
def test_ask_channels_and_suggestions_are_commands_only_with_their_words(text, intent, rest):
    parsed = asking.parse_ask(text)
    assert parsed.intent is intent
    if rest is not None:
        assert parsed.text == rest


def test_question_text_is_kept_but_trimmed():
    parsed = asking.parse_ask("  How do I deploy on a Friday?\n")
    assert parsed.intent is AskIntent.QUESTION
    assert parsed.text == "How do I deploy on a Friday?"


def test_a_question_mentioning_help_is_still_a_question():
    assert asking.parse_ask("help with kubernetes ingress").intent is AskIntent.QUESTION


def _ask(session, text="How do decorators work?", request_id="trig-1", asker="U0ASKER", channel=QA, team=TEAM):
    return asking.ask_question(
        session, team_id=team, asker_id=asker, text=text, qa_channel_id=channel, request_id=request_id
    )


def _posted_question(engine, ts="1754400000.000100", asker="U0ASKER"):
    with session_scope(engine) as s:
        outcome = _ask(s, asker=asker)
        asking.mark_posted(s, team_id=TEAM, question_id=outcome.question_id, channel_id=QA, message_ts=ts)
    return outcome.question_id


def test_asking_without_a_channel_is_refused(engine):
    with session_scope(engine) as s:
        outcome = _ask(s, channel=None)
    assert outcome == asking.AskRefused(AskRefusal.NO_CHANNEL)


def test_asking_too_long_is_refused_with_the_limit(engine):
    with session_scope(engine) as s:
        outcome = _ask(s, text="x" * (asking.MAX_QUESTION_CHARS + 1))
    assert outcome.reason is AskRefusal.TOO_LONG and outcome.limit == asking.MAX_QUESTION_CHARS


def test_the_same_request_creates_one_question(engine):
    with session_scope(engine) as s:
        first = _ask(s)
    with session_scope(engine) as s:
        again = _ask(s)
    assert first.new and not again.new
    assert first.question_id == again.question_id


def test_a_question_is_pending_until_posted_and_posted_once(engine):
    with session_scope(engine) as s:
        qid = _ask(s).question_id
        assert qa.get_question(s, team_id=TEAM, question_id=qid).status == "pending"
        assert asking.mark_posted(s, team_id=TEAM, question_id=qid, channel_id=QA, message_ts="1.1")
        assert not asking.mark_posted(s, team_id=TEAM, question_id=qid, channel_id=QA, message_ts="2.2")
        question = qa.get_question(s, team_id=TEAM, question_id=qid)
    assert (question.status, question.message_ts) == ("posted", "1.1")
    assert question.posted_at.tzinfo is not None


def test_a_posted_question_cannot_be_marked_failed(engine):
    qid = _posted_question(engine)
    with session_scope(engine) as s:
        assert not asking.mark_failed(s, team_id=TEAM, question_id=qid)


def _reply(s, ts="1754400100.000200", user="U0HELPER", text="Use functools.wraps", thread="1754400000.000100"):
    return asking.record_reply(
        s,
        team_id=TEAM,
        channel_id=QA,
        thread_ts=thread,
        message_ts=ts,
        author_id=user,
        text=text,
        at=datetime.fromtimestamp(float(ts), UTC),
    )


def test_a_reply_in_a_question_thread_is_an_answer_once(engine):
    qid = _posted_question(engine)
    with session_scope(engine) as s:
        assert _reply(s) is ReplyOutcome.RECORDED
    with session_scope(engine) as s:
        assert _reply(s) is ReplyOutcome.DUPLICATE
        answers = qa.list_answers(s, team_id=TEAM, question_id=qid)
    assert [(a.author_id, a.text) for a in answers] == [("U0HELPER", "Use functools.wraps")]
    assert answers[0].answered_at == datetime.fromtimestamp(1754400100.0002, UTC)


def test_replies_elsewhere_and_by_the_asker_are_not_answers(engine):
    qid = _posted_question(engine, asker="U0ASKER")
    with session_scope(engine) as s:
        assert _reply(s, thread="1754409999.000100") is ReplyOutcome.NOT_A_QUESTION
        assert _reply(s, user="U0ASKER", text="Thanks!") is ReplyOutcome.FROM_ASKER
        assert qa.list_answers(s, team_id=TEAM, question_id=qid) == []


def test_answers_belong_to_their_workspace(engine):
    _posted_question(engine)
    with session_scope(engine) as s:
        outcome = asking.record_reply(
            s,
            team_id="T0OTHERTEAM",
            channel_id=QA,
            thread_ts="1754400000.000100",
            message_ts="1754400100.000200",
            author_id="U0HELPER",
            text="hello",
            at=datetime.now(UTC),
        )
    assert outcome is ReplyOutcome.NOT_A_QUESTION


def _delete(s, ts, user="U0HELPER"):
    return asking.delete_reply(
        s, team_id=TEAM, channel_id=QA, thread_ts="1754400000.000100", message_ts=ts, author_id=user
    )


def _edit(s, text, edited_ts, ts="1754400100.000200", user="U0HELPER"):
    return asking.edit_reply(
        s,
        team_id=TEAM,
        channel_id=QA,
        thread_ts="1754400000.000100",
        message_ts=ts,
        author_id=user,
        text=text,
        edited_ts=edited_ts,
    )


def test_edits_apply_in_slacks_order_whatever_the_arrival_order(engine):
    qid = _posted_question(engine)
    with session_scope(engine) as s:
        _reply(s)
        assert _edit(s, "second edit", "1754400300.000000") is ReplyOutcome.UPDATED
        assert _edit(s, "first edit, late", "1754400200.000000") is ReplyOutcome.STALE
        assert _edit(s, "second edit", "1754400300.000000") is ReplyOutcome.DUPLICATE
        [answer] = qa.list_answers(s, team_id=TEAM, question_id=qid)
    assert answer.text == "second edit"
    assert answer.edited_ts == "1754400300.000000"


def test_an_edit_of_an_unseen_reply_records_it(engine):
    qid = _posted_question(engine)
    with session_scope(engine) as s:
        assert _edit(s, "edited text", "1754400300.000000") is ReplyOutcome.RECORDED
        [answer] = qa.list_answers(s, team_id=TEAM, question_id=qid)
    assert (answer.text, answer.edited_ts) == ("edited text", "1754400300.000000")


def test_deleting_an_answer_forgets_its_text_and_stays_deleted(engine):
    qid = _posted_question(engine)
    delete = dict(team_id=TEAM, channel_id=QA, thread_ts="1754400000.000100", message_ts="1754400100.000200")
    with session_scope(engine) as s:
        _reply(s)
        assert asking.delete_reply(s, **delete) is ReplyOutcome.DELETED
        assert asking.delete_reply(s, **delete) is ReplyOutcome.DUPLICATE
        # Late copies of the reply and of an edit must not bring it back.
        assert _reply(s) is ReplyOutcome.DUPLICATE
        assert _edit(s, "revived?", "1754400900.000000") is ReplyOutcome.STALE
        assert qa.list_answers(s, team_id=TEAM, question_id=qid) == []
        [tombstone] = qa.list_answers(s, team_id=TEAM, question_id=qid, include_deleted=True)
    assert tombstone.text == "" and tombstone.deleted_at is not None


def test_deleting_an_unknown_reply_changes_nothing(engine):
    _posted_question(engine)
    with session_scope(engine) as s:
        outcome = asking.delete_reply(
            s, team_id=TEAM, channel_id=QA, thread_ts="1754400000.000100", message_ts="1754400555.000000"
        )
    assert outcome is ReplyOutcome.UNKNOWN_ANSWER


def test_a_deletion_before_the_reply_leaves_a_tombstone_the_reply_cannot_revive(engine):
    qid = _posted_question(engine)
    with session_scope(engine) as s:
        outcome = asking.delete_reply(
            s,
            team_id=TEAM,
            channel_id=QA,
            thread_ts="1754400000.000100",
            message_ts="1754400100.000200",
            author_id="U0HELPER",
        )
        assert outcome is ReplyOutcome.DELETED
    with session_scope(engine) as s:
        assert _reply(s, text="the words the author took back") is ReplyOutcome.DUPLICATE
        assert qa.list_answers(s, team_id=TEAM, question_id=qid) == []
        [tombstone] = qa.list_answers(s, team_id=TEAM, question_id=qid, include_deleted=True)
    assert tombstone.text == ""


def test_an_edit_racing_its_reply_is_never_lost(engine):
    qid = _posted_question(engine)
    for n in range(15):
        ts = f"1754400{n:03d}.000200"
        race(
            engine,
            lambda s, ts=ts: _reply(s, ts=ts, text="original"),
            lambda s, ts=ts: _edit(s, "edited", "1754409999.000000", ts=ts),
        )
    with session_scope(engine) as s:
        texts = {a.text for a in qa.list_answers(s, team_id=TEAM, question_id=qid)}
    assert texts == {"edited"}


def test_an_edit_racing_a_deletion_never_revives_the_text(engine):
    qid = _posted_question(engine)
    for n in range(15):
        ts = f"1754400{n:03d}.000200"
        with session_scope(engine) as s:
            _reply(s, ts=ts, text="original")
        race(
            engine,
            lambda s, ts=ts: _edit(s, "edited", "1754409999.000000", ts=ts),
            lambda s, ts=ts: _delete(s, ts),
        )
    with session_scope(engine) as s:
        answers = qa.list_answers(s, team_id=TEAM, question_id=qid, include_deleted=True)
    assert len(answers) == 15
    assert all(a.deleted_at is not None and a.text == "" for a in answers)


def test_a_deletion_racing_its_reply_always_wins(engine):
    qid = _posted_question(engine)
    for n in range(15):
        ts = f"1754400{n:03d}.000200"
        race(
            engine,
            lambda s, ts=ts: _reply(s, ts=ts, text="original"),
            lambda s, ts=ts: _delete(s, ts),
        )
    with session_scope(engine) as s:
        assert qa.list_answers(s, team_id=TEAM, question_id=qid) == []
        assert len(qa.list_answers(s, team_id=TEAM, question_id=qid, include_deleted=True)) == 15


def test_an_expert_session_open_in_the_channel_takes_the_question(engine):
    from core import sessions
    from core.clock import utcnow

    room = "C0EXPERTS1"
    with session_scope(engine) as s:
        sessions.designate(s, team_id=TEAM, channel_id=room, user_id="U0ADMIN")
        opened = sessions.start_now(
            s, team_id=TEAM, user_id="U0EXPERT", channel_id=room, topic="VPN", now=utcnow(), is_admin=True
        )
    live = opened.session
    with session_scope(engine) as s:
        taken = asking.ask_in_channel(
            s, team_id=TEAM, asker_id="U0ASKER", text="How do I reset the VPN?", qa_channel_id=QA, channel_id=room
        )
        elsewhere = asking.ask_in_channel(
            s, team_id=TEAM, asker_id="U0ASKER", text="Who runs payroll?", qa_channel_id=QA, channel_id="C0RANDOM01"
        )
        other_team = asking.ask_in_channel(
            s, team_id="T0OTHER", asker_id="U0ASKER", text="Who runs payroll?", qa_channel_id=QA, channel_id=room
        )
        stored = {
            o.question_id: qa.get_question(s, team_id=t, question_id=o.question_id)
            for t, o in ((TEAM, taken), (TEAM, elsewhere), ("T0OTHER", other_team))
        }
        rows = {qid: (q.channel_id, q.session_id, q.status) for qid, q in stored.items()}
    assert taken.channel_id == room and not taken.held
    assert rows[taken.question_id] == (room, live.id, "pending")
    assert elsewhere.channel_id == QA and rows[elsewhere.question_id][:2] == (QA, None)
    assert other_team.channel_id == QA and rows[other_team.question_id][:2] == (QA, None)  # another workspace's room


def test_held_questions_nobody_chose_for_expire_once_and_a_choice_in_time_wins(engine):
    from datetime import timedelta

    from core.asking import HELD_EXPIRES_AFTER, HeldChoice, decide_held, expire_held
    from storage import scoreboard

    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def held(request_id, asker, team=TEAM):
        with session_scope(engine) as s:
            question_id = _ask(s, request_id=request_id, asker=asker, team=team).question_id
            assert qa.change_status(
                s, team_id=team, question_id=question_id, old="pending", status="held", created_at=t0
            )
        return question_id

    old = held("trig-old", "U0LATE")
    chosen = held("trig-chosen", "U0PROMPT")
    other = held("trig-other", "U0ELSEWHERE", team="T0OTHERTEAM")
    with session_scope(engine) as s:
        assert expire_held(s, now=t0 + HELD_EXPIRES_AFTER - timedelta(seconds=1)) == []
        # Chosen in time: posting it wins over the sweep.
        assert decide_held(s, team_id=TEAM, question_id=chosen, user_id="U0PROMPT", answered_by=None) is HeldChoice.POST
    with session_scope(engine) as s:
        expired = expire_held(s, now=t0 + HELD_EXPIRES_AFTER)
    assert sorted(expired) == sorted([(TEAM, old), ("T0OTHERTEAM", other)])  # every workspace, once
    with session_scope(engine) as s:
        assert expire_held(s, now=t0 + HELD_EXPIRES_AFTER * 2) == []
        assert qa.get_question(s, team_id=TEAM, question_id=old).status == "expired"
        assert qa.get_question(s, team_id=TEAM, question_id=chosen).status == "pending"
        # A choice after it expired changes nothing and says so.
        assert decide_held(s, team_id=TEAM, question_id=old, user_id="U0LATE", answered_by=None) is HeldChoice.EXPIRED
        assert decide_held(s, team_id=TEAM, question_id=old, user_id="U0LATE", answered_by=None, withdraw=True) is (
            HeldChoice.EXPIRED
        )
        assert qa.get_question(s, team_id=TEAM, question_id=old).status == "expired"
        # Counted nowhere: not asked (it never reached anyone), not settled by an earlier answer.
        week = scoreboard.questions(s, team_id=TEAM, start=t0 - timedelta(days=1), end=t0 + timedelta(days=1))
        assert week["asked"] == 1 and week["deflected"] == 0  # the one posted in time
