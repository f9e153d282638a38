"""Exactly once, for every kind of post a person would notice twice (bot/once.py).

Slack carries a post out and the answer never comes back (`lose_answer_next`: the stand-in does
the call, then drops the connection). The row is retried; the retry's first look in the
conversation fails too (Slack answers 503), which only makes it retry again; the next look finds
the post, and nothing is posted twice. Then the look-up's own failures, one by one: none of them
ever fails a question for good.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from core import scoreboard, sessions
from core.clock import utcnow
from notify import sessions as notify_sessions
from storage.db import session_scope
from storage.models import ExpertSession, OutboxMessage

from ..settle import settle
from .test_http_ask import ASKER, QA_CHANNEL, _questions, _wait_until, ask
from .test_http_mentor import (  # noqa: F401
    ADMIN,
    MENTOR,
    PROTEGE,
    add_topic,
    broadcast,
    find,
    matched,
    people,
    volunteer,
)
from .test_http_mentor import CHANNEL as GENERAL
from .test_http_sessions import CHANNEL as SESSIONS
from .test_http_sessions import EXPERT, designate, expert, in_channel, start


@pytest.fixture
def settings(settings):
    return settings.model_copy(update=dict(admins=frozenset({ADMIN})))


@pytest.fixture
def knowhow(settings):
    """Without the scheduler: the tests run the sweeps themselves, when they choose."""
    from bot.service import Knowhow
    from scheduler import runtime

    from ..settle import watch

    service = Knowhow(settings, host="127.0.0.1", outbox_poll_seconds=0.2, with_scheduler=False)
    service.start()
    runtime.bind_engine(service.engine)
    watch(service)
    yield service
    service.stop()


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    """Retries after a tenth of a second: these tests are about what is retried, not when."""
    import bot.outbox

    monkeypatch.setattr(bot.outbox, "backoff", lambda attempts: timedelta(milliseconds=100))


def says(needle: str, *, channel: str | None = None):
    """Picks the calls whose text or blocks hold `needle` (in `channel`, when given)."""

    def pick(call) -> bool:
        shown = call.text + json.dumps(call.args.get("blocks") or [])
        return needle in shown and (channel is None or call.args.get("channel") == channel)

    return pick


def lose_then_fail_to_look(fake_slack, method: str, where, look: str = "conversations.history") -> None:
    """Slack does the next such call but its answer is lost; the retry's first look fails (503)."""
    fake_slack.lose_answer_next(method, where)
    fake_slack.fail_next(look, status=503)


def sent(knowhow, kind: str) -> bool:
    """Every row of `kind` is sent (none pending a retry)."""
    with session_scope(knowhow.engine) as s:
        rows = s.exec(select(OutboxMessage.status).where(OutboxMessage.kind == kind)).all()
    return bool(rows) and all(status == "sent" for status in rows)


def done(knowhow, kind: str, timeout: float = 20.0) -> None:
    _wait_until(lambda: sent(knowhow, kind), timeout=timeout)
    settle(knowhow)


def shown(messages, needle: str) -> list[dict]:
    return [m for m in messages if needle in (m.get("text") or "") + json.dumps(m.get("blocks") or [])]


# -- Ask the Expert sessions ---------------------------------------------------------------------


def test_a_session_announcement_is_posted_once_after_its_answer_was_lost(knowhow, slack, fake_slack):
    designate(slack)
    starts = datetime.now(UTC) + timedelta(days=2)
    lose_then_fail_to_look(fake_slack, "chat.postMessage", says("Ask the Expert", channel=SESSIONS))
    with session_scope(knowhow.engine) as s:
        info = sessions.schedule(
            s,
            team_id="T0FAKETEAM",
            organiser_id=EXPERT,
            channel_id=SESSIONS,
            topic="Kubernetes upgrades",
            experts=[EXPERT],
            starts_at=starts,
            minutes=45,
            is_admin=True,
            now=datetime.now(UTC),
        )
        notify_sessions.queue_announcement(s, team_id="T0FAKETEAM", session_id=info.id)
    knowhow.workers.wake_outbox()
    done(knowhow, "session.announce")
    [announcement] = in_channel(fake_slack, SESSIONS)
    assert len(fake_slack.calls_to("conversations.history")) == 2  # it looked twice: once failing
    with session_scope(knowhow.engine) as s:
        assert sessions.get(s, team_id="T0FAKETEAM", session_id=info.id).announcement_ts == announcement["ts"]


def test_the_opening_and_the_closing_summary_are_posted_once_after_their_answers_were_lost(knowhow, slack, fake_slack):
    designate(slack)
    lose_then_fail_to_look(fake_slack, "chat.postMessage", says("is open", channel=SESSIONS))
    start(slack, "Kubernetes upgrades")
    done(knowhow, "session.opened")
    assert len(shown(in_channel(fake_slack, SESSIONS), "is open")) == 1

    lose_then_fail_to_look(fake_slack, "chat.postMessage", says("is closed", channel=SESSIONS))
    assert "closed" in expert(slack, "close")["text"]
    done(knowhow, "session.summary")
    [summary] = shown(in_channel(fake_slack, SESSIONS), "is closed")
    with session_scope(knowhow.engine) as s:  # the summary found is the one kept up to date
        assert s.exec(select(ExpertSession.summary_ts)).one() == summary["ts"]


# -- the weekly scoreboard -----------------------------------------------------------------------


def test_the_weekly_post_and_its_picture_go_out_once_after_their_answers_were_lost(
    knowhow, slack, fake_slack, people, monkeypatch
):
    from scheduler.jobs import scoreboard as jobs

    add_topic(slack)
    ask(slack, fake_slack, "Where is the VPN guide?")
    done(knowhow, "ask.post_question")
    posting = scoreboard.last_week_end(scoreboard.Schedule(QA_CHANNEL), utcnow()) + timedelta(weeks=1)
    monkeypatch.setattr(jobs, "utcnow", lambda: posting + timedelta(minutes=1))
    lose_then_fail_to_look(fake_slack, "chat.postMessage", says("This week in Knowhow"))
    lose_then_fail_to_look(fake_slack, "files.completeUploadExternal", None)
    assert jobs.sweep_scoreboard(QA_CHANNEL, 3) == 1
    done(knowhow, "scoreboard.post")
    done(knowhow, "scoreboard.chart")
    assert len(shown(fake_slack.messages[QA_CHANNEL], "This week in Knowhow")) == 1
    [picture] = [m for m in fake_slack.messages[QA_CHANNEL] if m.get("files")]
    assert picture["files"][0]["title"] == "Knowhow: the last 12 weeks"
    assert len(fake_slack.calls_to("files.completeUploadExternal")) == 1  # never shared again


# -- the Mentor Center ---------------------------------------------------------------------------


def test_an_introduction_is_made_once_in_its_group_dm_after_its_answer_was_lost(knowhow, slack, fake_slack, people):
    add_topic(slack)
    volunteer(slack, fake_slack, MENTOR)
    lose_then_fail_to_look(fake_slack, "chat.postMessage", lambda call: call.args.get("channel", "").startswith("G"))
    matched(slack, fake_slack)
    done(knowhow, "mentor.intro")
    [group] = fake_slack.group_dms
    assert len(fake_slack.messages[group]) == 1
    # Posted there once: the retry found it.
    assert len([c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == group]) == 1


def test_a_call_for_volunteers_is_posted_once_after_its_answer_was_lost(knowhow, slack, fake_slack, people):
    add_topic(slack)
    lose_then_fail_to_look(fake_slack, "chat.postMessage", says("Help new managers", channel=GENERAL))
    broadcast(slack, fake_slack)
    done(knowhow, "mentor.call")
    assert len(fake_slack.messages[GENERAL]) == 1


# -- follow-ups ----------------------------------------------------------------------------------


def test_the_follow_ups_of_an_unanswered_question_go_out_once_after_their_answers_were_lost(knowhow, slack, fake_slack):
    from sqlalchemy import update

    from scheduler import jobs
    from storage.models import Question

    ask(slack, fake_slack, "Does anyone know the guest Wi-Fi password?")
    done(knowhow, "ask.confirm_question")
    [question] = _questions(knowhow)
    with session_scope(knowhow.engine) as s:
        s.execute(update(Question).values(posted_at=datetime.now(UTC) - timedelta(hours=25)))
    # In the thread (a reply, looked for among the thread's replies) and to the asker (a DM).
    lose_then_fail_to_look(fake_slack, "chat.postMessage", says("no answer yet"), look="conversations.replies")
    lose_then_fail_to_look(fake_slack, "chat.postMessage", says("Nobody has answered", channel=ASKER))
    assert jobs.follow_up_questions(24) == 1
    done(knowhow, "ask.follow_up_thread")
    done(knowhow, "ask.follow_up_asker")
    thread = [m for m in fake_slack.messages[QA_CHANNEL] if m.get("thread_ts") == question.message_ts]
    assert len(shown(thread, "no answer yet")) == 1
    assert len(shown(fake_slack.messages["D" + ASKER[1:]], "Nobody has answered")) == 1
    assert fake_slack.calls_to("conversations.replies") and fake_slack.calls_to("conversations.open")


# -- when the look-up itself fails ---------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        dict(status=429, retry_after=0),
        dict(status=503),
        dict(error="access_denied"),  # any answer that is not the history: not a reason to give up
        "dropped",
    ],
)
def test_a_failing_look_up_leaves_the_question_to_retry_and_it_is_posted_once(knowhow, slack, fake_slack, failure):
    fake_slack.lose_answer_next("chat.postMessage", says("Is the VPN down", channel=QA_CHANNEL))
    for _ in range(2):  # twice: the row is retried again and again, never failed
        if failure == "dropped":
            fake_slack.lose_answer_next("conversations.history")
        else:
            fake_slack.fail_next("conversations.history", **failure)
    slack.command("/ask", "Is the VPN down for everyone?", response_url=fake_slack.response_url("ask"))
    done(knowhow, "ask.confirm_question")
    assert len(fake_slack.calls_to("conversations.history")) == 3
    [question] = _questions(knowhow)
    assert question.status == "posted"
    assert [m["ts"] for m in fake_slack.messages[QA_CHANNEL]] == [question.message_ts]
    assert not fake_slack.calls_to("chat.postMessage")[1:]  # never posted again
    told = [c.args["text"] for c in fake_slack.calls_to("response_url")]
    assert not any("could not" in t for t in told), told


def test_a_look_up_slack_will_never_allow_does_not_keep_the_question_from_being_posted(knowhow, slack, fake_slack):
    """An installation from before the history scopes: the question goes out (the first attempt
    surely posted nothing here: Slack answered 503), and the asker is not told it failed."""
    fake_slack.fail_next("chat.postMessage", status=503)
    fake_slack.fail_next("conversations.history", error="missing_scope")
    slack.command("/ask", "Where is the on-call rota?", response_url=fake_slack.response_url("ask"))
    done(knowhow, "ask.confirm_question")
    [question] = _questions(knowhow)
    assert question.status == "posted" and len(fake_slack.messages[QA_CHANNEL]) == 1
