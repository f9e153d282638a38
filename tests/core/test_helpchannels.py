"""Help channels' rules (core.helpchannels) with plain values, on SQLite and PostgreSQL: which
messages are taken, one outcome each, the asker's choices, the once-per-thread offer, and the
deflections the scoreboard counts per topic."""

from __future__ import annotations

import json
from datetime import timedelta

from core import helpchannels, importing, scoreboard
from core.clock import utcnow
from core.helpchannels import Choice, Chosen, Outcome, PauseOutcome, Skip
from storage.db import session_scope
from storage.scoreboard import help_channels

TEAM = "T0HELPCH01"
HELP = "C0HELPIT01"
ASKER = "U0ASKER001"
ADMIN = "U0ADMIN001"


def _consider(s, ts="1.0", text="How do I rotate the staging API keys?", user=ASKER, channel=HELP):
    return helpchannels.consider(s, team_id=TEAM, channel_id=channel, message_ts=ts, user_id=user, text=text)


def test_only_questions_in_listening_help_channels_by_people_who_want_suggestions_are_taken_once(engine):
    with session_scope(engine) as s:
        assert _consider(s).skip is Skip.NOT_A_HELP_CHANNEL
        assert helpchannels.designate(s, team_id=TEAM, channel_id=HELP, user_id=ADMIN, name="help-it")
        assert not helpchannels.designate(s, team_id=TEAM, channel_id=HELP, user_id=ADMIN)
        assert _consider(s, text="Thanks all, sorted!").skip is Skip.NOT_A_QUESTION
        assert _consider(s).skip is None
        assert _consider(s).skip is Skip.SEEN  # the same message again
        assert helpchannels.set_paused(s, team_id=TEAM, channel_id=HELP, paused=True, user_id=ADMIN) is (
            PauseOutcome.CHANGED
        )
        assert helpchannels.set_paused(s, team_id=TEAM, channel_id=HELP, paused=True, user_id=ADMIN) is (
            PauseOutcome.UNCHANGED
        )
        assert _consider(s, ts="2.0").skip is Skip.PAUSED
        helpchannels.set_paused(s, team_id=TEAM, channel_id=HELP, paused=False, user_id=ADMIN)
        assert helpchannels.set_opted_out(s, team_id=TEAM, user_id=ASKER, off=True)
        assert _consider(s, ts="3.0").skip is Skip.OPTED_OUT
        assert _consider(s, ts="3.0", user="U0OTHER001").skip is None
        assert [c.channel_id for c in helpchannels.listed(s, team_id=TEAM)] == [HELP]
        assert helpchannels.listed(s, team_id="T0ELSEWHERE") == []


def _lessons(engine, *records):
    with session_scope(engine) as s:
        lines = [json.dumps(r) for r in records]
        assert not importing.import_jsonl(s, team_id=TEAM, lines=lines).problems


def test_one_outcome_per_message_and_only_the_askers_choice_on_a_shown_lesson_counts(engine):
    _lessons(
        engine,
        {
            "id": "k1",
            "text": "How do I rotate the staging API keys?",
            "topics": ["Security"],
            "answers": [{"text": "rotate-keys"}],
        },
    )
    with session_scope(engine) as s:
        helpchannels.designate(s, team_id=TEAM, channel_id=HELP, user_id=ADMIN)
        _consider(s)
        decision = helpchannels.decide(
            s, team_id=TEAM, channel_id=HELP, text="How can I rotate the API keys for staging?"
        )
        assert decision.suggest
        shown = [lesson.question_id for lesson in decision.lessons]
        assert not helpchannels.decide(s, team_id=TEAM, channel_id=HELP, text="Thanks, sorted").suggest
        where = dict(team_id=TEAM, channel_id=HELP, thread_ts="1.0")
        assert helpchannels.record_outcome(s, **where, outcome=Outcome.SUGGESTED, lesson_ids=shown)
        assert not helpchannels.record_outcome(s, **where, outcome=Outcome.NOTHING)  # once
        assert helpchannels.choose(s, **where, user_id="U0OTHER001", choice=Choice.ANSWERS_IT, lesson_id=shown[0]) is (
            Chosen.NOT_YOURS
        )
        assert helpchannels.choose(s, **where, user_id=ASKER, choice=Choice.ANSWERS_IT, lesson_id=999) is Chosen.UNKNOWN
        assert helpchannels.choose(s, **where, user_id=ASKER, choice=Choice.ANSWERS_IT, lesson_id=shown[0]) is (
            Chosen.COUNTED
        )
        assert helpchannels.choose(s, **where, user_id=ASKER, choice=Choice.NOT_QUITE) is Chosen.ALREADY
        assert helpchannels.choose(s, **where, user_id=ASKER, choice=Choice.STOP) is Chosen.STOPPED
        assert helpchannels.opted_out(s, team_id=TEAM, user_id=ASKER)


def test_the_offer_to_save_is_made_once_per_thread_and_only_for_the_askers_mark_on_a_colleagues_reply(engine):
    assert helpchannels.marks_answer(reactor=ASKER, asker=ASKER, answer_author="U0HELPER01", answer_is_reply=True)
    assert not helpchannels.marks_answer(
        reactor="U0HELPER01", asker=ASKER, answer_author="U0HELPER01", answer_is_reply=True
    )
    assert not helpchannels.marks_answer(reactor=ASKER, asker=ASKER, answer_author=ASKER, answer_is_reply=True)
    assert not helpchannels.marks_answer(reactor=ASKER, asker=ASKER, answer_author="U0HELPER01", answer_is_reply=False)
    with session_scope(engine) as s:
        where = dict(team_id=TEAM, channel_id=HELP, thread_ts="9.0", asker_id=ASKER)
        assert helpchannels.offer_save(s, **where)
        assert not helpchannels.offer_save(s, **where)
        assert helpchannels.thread(s, team_id=TEAM, channel_id=HELP, thread_ts="9.0").state == "unread"


def test_deflections_are_counted_per_topic_of_the_lesson_and_shown_as_activity(engine):
    _lessons(
        engine,
        {
            "id": "a",
            "text": "How do I rotate the staging API keys?",
            "topics": ["Security", "Staging"],
            "answers": [{"text": "x"}],
        },
        {"id": "b", "text": "Where is the VPN config for Linux?", "topics": ["VPN"], "answers": [{"text": "y"}]},
    )
    now = utcnow()
    with session_scope(engine) as s:
        helpchannels.designate(s, team_id=TEAM, channel_id=HELP, user_id=ADMIN)
        for ts, text in (
            ("1.0", "How can I rotate the API keys for staging?"),
            ("2.0", "Where do I find the VPN config for Linux?"),
        ):
            _consider(s, ts=ts, text=text)
            [lesson, *_] = helpchannels.decide(s, team_id=TEAM, channel_id=HELP, text=text).lessons
            where = dict(team_id=TEAM, channel_id=HELP, thread_ts=ts)
            helpchannels.record_outcome(s, **where, outcome=Outcome.SUGGESTED, lesson_ids=[lesson.question_id])
            helpchannels.choose(s, **where, user_id=ASKER, choice=Choice.ANSWERS_IT, lesson_id=lesson.question_id)
        counted = help_channels(s, team_id=TEAM, start=now - timedelta(days=7), end=now + timedelta(minutes=1))
        assert counted == {
            "deflected": 2,
            "topics": [
                {"topic": "Security", "deflected": 1},
                {"topic": "Staging", "deflected": 1},
                {"topic": "VPN", "deflected": 1},
            ],
        }
        assert help_channels(s, team_id="T0ELSEWHERE", start=now - timedelta(days=7), end=now)["deflected"] == 0
        board = scoreboard.live_board(s, team_id=TEAM, now=now + timedelta(minutes=1), threshold=3)
    # An activity count: 1 is shown as 1 (core.privacy hides small counts of people, not of activity).
    assert board.help["deflected"].text == "2"
    assert [(name, f.text) for name, f in board.help_topics] == [("Security", "1"), ("Staging", "1"), ("VPN", "1")]
