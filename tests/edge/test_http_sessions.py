"""Ask the Expert sessions end to end: signed /expert commands, the scheduling form, messages in
the channel, the experts' lists and deferrals, and the scheduler opening and closing on time
(including after a restart)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot import ids
from bot.service import Knowhow
from core import sessions
from storage.db import session_scope
from storage.models import Answer, ExpertSession, Question

from ..settle import settle
from .test_http_ask import _wait_until

ADMIN = "U0ADMIN001"
EXPERT = "U0EXPERT01"
CHANNEL = "C0EXPERTS1"
ASKER = "U0ASKER001"


@pytest.fixture
def settings(settings):
    """The edge tests' settings, with a Knowhow admin (conftest's `knowhow` and `slack` use them)."""
    return settings.model_copy(update=dict(admins=frozenset({ADMIN})))


def expert(slack, text, user=EXPERT, channel=CHANNEL):
    return slack.command("/expert", text, user_id=user, channel_id=channel).json()


def designate(slack, channel=CHANNEL):
    return expert(slack, f"channels add <#{channel}|ask-the-expert>", user=ADMIN)


def in_channel(fake_slack, channel=CHANNEL):
    return [m for m in fake_slack.messages[channel] if "thread_ts" not in m]


def text_of(message) -> str:
    return json.dumps(message.get("blocks") or [], ensure_ascii=False) + message.get("text", "")


def say(slack, fake_slack, user, text, channel=CHANNEL):
    """A person posts a top-level message: it is in the channel, and Slack sends the event."""
    message = fake_slack.add_message(channel, user=user, text=text)
    event = {
        "type": "message",
        "user": user,
        "text": text,
        "ts": message["ts"],
        "channel": channel,
        "event_ts": message["ts"],
        "channel_type": "channel",
        "team": "T0FAKETEAM",
    }
    assert slack.event(event).status == 200
    return message["ts"]


def test_only_admins_choose_session_channels_and_the_bot_joins_them(knowhow, slack, fake_slack):
    assert "Only workspace admins" in expert(slack, f"channels add <#{CHANNEL}|x>")["text"]
    fake_slack.add_user("U0SLACKADM", is_admin=True)
    assert "now hosts" in expert(slack, f"channels add <#{CHANNEL}|x>", user="U0SLACKADM")["text"]
    assert fake_slack.calls_to("conversations.join")[-1].args["channel"] == CHANNEL
    fake_slack.private_channels.add("G0PRIVATE1")
    reply = expert(slack, "channels add <#G0PRIVATE1|secret>", user=ADMIN)["text"]
    assert "private channel" in reply and "public channel" in reply  # its Q&A would be searchable by all
    listed = expert(slack, "channels list")["text"]
    assert f"<#{CHANNEL}>" in listed and "<#G0PRIVATE1>" not in listed
    assert "no longer hosts" in expert(slack, f"channels remove <#{CHANNEL}>", user=ADMIN)["text"]
    assert "No channel hosts" in expert(slack, "channels list")["text"]


def test_scheduling_through_the_form_announces_with_local_times(knowhow, slack, fake_slack):
    designate(slack)
    assert slack.command("/expert", "schedule", user_id=EXPERT, channel_id=CHANNEL).status == 200
    view = list(fake_slack.views.values())[-1]
    assert view["callback_id"] == ids.SESSION_MODAL
    start = int((datetime.now(UTC) + timedelta(days=1)).timestamp())

    def submit(values, user=EXPERT):
        state = {
            "topic": {"topic": {"type": "plain_text_input", "value": values.get("topic", "Kubernetes upgrades")}},
            "experts": {"experts": {"type": "multi_users_select", "selected_users": values.get("experts", [EXPERT])}},
            "channel": {
                "channel": {"type": "conversations_select", "selected_conversation": values.get("channel", CHANNEL)}
            },
            "start": {"start": {"type": "datetimepicker", "selected_date_time": values.get("start", start)}},
            "minutes": {"minutes": {"type": "number_input", "value": values.get("minutes", "45")}},
        }
        return slack.interaction(slack.view_submission_payload(user=user, view=view, values=state))

    assert submit({}).status == 200
    _wait_until(lambda: in_channel(fake_slack))
    [announcement] = in_channel(fake_slack)
    assert f"<!date^{start}^" in text_of(announcement) and f"<@{EXPERT}>" in text_of(announcement)
    assert "<!channel>" not in text_of(announcement) and "<!here>" not in text_of(announcement)
    view = {**view, "id": "V0OTHERVIEW"}  # a second form
    body = submit({"start": start + 600}).json()
    assert body["response_action"] == "errors" and "Another session" in body["errors"]["start"]
    # A modal's error is plain text: no <!date> token, the other session placed against the chosen start.
    assert "starts 10 min before yours" in body["errors"]["start"] and "<!date" not in body["errors"]["start"]
    body = submit({"experts": ["U0SOMEONE1"]}, user="U0SOMEONE2").json()
    assert "own experts" in body["errors"]["experts"]
    body = submit({"minutes": "300", "start": start + 86400}).json()
    assert "1 to 240" in body["errors"]["minutes"]
    listed = expert(slack, "list")["text"]
    assert "Kubernetes upgrades" in listed and "45 min" in listed

    with session_scope(knowhow.engine) as s:
        sid = s.exec(select(ExpertSession.id)).one()
    assert "Only the session's organiser" in expert(slack, f"cancel {sid}", user="U0SOMEONE2")["text"]
    assert "cancelled" in expert(slack, f"cancel {sid}")["text"]
    _wait_until(lambda: "cancelled" in text_of(fake_slack.message(CHANNEL, announcement["ts"])))


def test_a_session_from_start_to_summary_with_a_deferral(knowhow, slack, fake_slack):
    designate(slack)
    reply = expert(slack, "start Kubernetes upgrades")
    assert "is open here" in reply["text"]
    _wait_until(lambda: any("is open" in m["text"] for m in in_channel(fake_slack)))
    opened = next(m for m in in_channel(fake_slack) if "is open" in m["text"])
    assert "<!channel>" not in text_of(opened) and "<!here>" not in text_of(opened)

    first = say(slack, fake_slack, ASKER, "How do we drain nodes safely?")
    second = say(slack, fake_slack, "U0ASKER002", "Which version skew is allowed? <!channel>")
    say(slack, fake_slack, EXPERT, "Welcome! Ask away.")  # the expert's own message is no question
    _wait_until(lambda: len(fake_slack.calls_to("reactions.add")) == 2)
    assert {c.args["timestamp"] for c in fake_slack.calls_to("reactions.add")} == {first, second}
    assert not [
        c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("thread_ts") in (first, second)
    ]  # quiet

    answer_ts = f"{float(first) + 0.001:.6f}"
    slack.event(
        slack.thread_reply(
            channel=CHANNEL, thread_ts=first, ts=answer_ts, user=EXPERT, text="kubectl drain --ignore-daemonsets"
        )
    )
    _wait_until(lambda: _session_questions(knowhow) == 2)
    _wait_until(lambda: _answer_recorded(knowhow, answer_ts))  # the reply is work done after its ack

    assert "closed" in expert(slack, "close")["text"]
    _wait_until(lambda: any("is closed" in m["text"] for m in in_channel(fake_slack)))
    summary = next(m for m in in_channel(fake_slack) if "is closed" in m["text"])
    assert "Questions asked: *2*" in text_of(summary) and "answered in the session: *1*" in text_of(summary)
    assert "<!channel>" not in text_of(summary)

    _wait_until(lambda: any(c.args["channel"] == EXPERT for c in fake_slack.calls_to("chat.postMessage")))
    listing = next(c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == EXPERT)
    pickers = [b for b in listing.args["blocks"] if (b.get("accessory") or {}).get("type") == "datepicker"]
    assert len(pickers) == 1 and "version skew" in pickers[0]["text"]["text"]
    assert "drain nodes" not in json.dumps(listing.args["blocks"])  # answered already

    due = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    payload = slack.block_actions_payload(
        user=EXPERT,
        action_id=ids.SESSION_DEFER,
        block_id=pickers[0]["block_id"],
        action_type="datepicker",
        message={"ts": "1.0", "blocks": listing.args["blocks"], "type": "message"},
        channel="D" + EXPERT[1:],
        response_url=fake_slack.response_url("defer"),
    )
    payload["actions"][0]["selected_date"] = due
    slack.interaction(payload)
    assert "Deferred to" in fake_slack.wait_for("response_url")[-1].args["text"]
    _wait_until(
        lambda: any(
            m.get("thread_ts") == second and "will answer this by" in m["text"] for m in fake_slack.messages[CHANNEL]
        )
    )
    _wait_until(lambda: "Deferred" in text_of(fake_slack.message(CHANNEL, summary["ts"])))

    # Someone who is not an expert cannot defer.
    payload["user"]["id"] = "U0RANDOM01"
    slack.interaction(payload)
    _wait_until(lambda: "Only the session's experts" in fake_slack.calls_to("response_url")[-1].args["text"])


def _answer_recorded(knowhow, ts):
    with session_scope(knowhow.engine) as s:
        return s.exec(select(Answer).where(Answer.team_id == "T0FAKETEAM", Answer.message_ts == ts)).first() is not None


def _session_questions(knowhow):
    with session_scope(knowhow.engine) as s:
        return len(s.exec(select(Question).where(Question.session_id.is_not(None))).all())


def test_the_scheduler_opens_a_session_on_time(knowhow, slack, fake_slack):
    designate(slack)
    with session_scope(knowhow.engine) as s:
        info = sessions.schedule(
            s,
            team_id="T0FAKETEAM",
            organiser_id=EXPERT,
            channel_id=CHANNEL,
            topic="On time",
            experts=[EXPERT],
            starts_at=datetime.now(UTC) + timedelta(seconds=2),
            minutes=1,
            is_admin=False,
            now=datetime.now(UTC),
        )
    knowhow.deps.on_session_scheduled(info)
    _wait_until(lambda: any("is open" in m["text"] for m in in_channel(fake_slack)), timeout=8)
    opened_at = next(c.at for c in fake_slack.calls_to("chat.postMessage") if "is open" in c.text)
    assert opened_at - info.starts_at.timestamp() < 1.5


def _knowhow_with_session(settings, starts, minutes, state="scheduled"):
    """A session written while Knowhow was down, then Knowhow started."""
    from storage import migrate
    from storage.db import make_engine

    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    with session_scope(engine) as s:
        sessions.designate(s, team_id="T0FAKETEAM", channel_id=CHANNEL, user_id=ADMIN)
        info = sessions.schedule(
            s,
            team_id="T0FAKETEAM",
            organiser_id=EXPERT,
            channel_id=CHANNEL,
            topic="Restarts",
            experts=[EXPERT],
            starts_at=starts,
            minutes=minutes,
            is_admin=True,
            now=starts,
        )
        if state == "open":
            sessions.advance(s, team_id="T0FAKETEAM", session_id=info.id, now=starts)
    engine.dispose()
    knowhow = Knowhow(settings, host="127.0.0.1", outbox_poll_seconds=0.2)
    knowhow.start()
    return knowhow, info


def _state(knowhow, sid):
    with session_scope(knowhow.engine) as s:
        return sessions.get(s, team_id="T0FAKETEAM", session_id=sid).state


def test_back_during_the_window_opens_at_once(settings, fake_slack):
    knowhow, info = _knowhow_with_session(settings, datetime.now(UTC) - timedelta(minutes=10), 60)
    try:
        _wait_until(lambda: any("is open" in m["text"] for m in in_channel(fake_slack)))
        assert _state(knowhow, info.id) is sessions.State.OPEN
    finally:
        knowhow.stop()


def test_down_across_the_whole_window_tells_the_organiser_it_was_missed(settings, fake_slack):
    knowhow, info = _knowhow_with_session(settings, datetime.now(UTC) - timedelta(hours=3), 60)
    try:
        _wait_until(
            lambda: any(
                c.args["channel"] == EXPERT and "did not take place" in c.text
                for c in fake_slack.calls_to("chat.postMessage")
            )
        )
        assert _state(knowhow, info.id) is sessions.State.MISSED
        assert not any("is open" in m["text"] for m in in_channel(fake_slack))
    finally:
        knowhow.stop()


def test_down_across_the_close_closes_once_when_back_and_a_restart_repeats_nothing(settings, fake_slack):
    knowhow, _info = _knowhow_with_session(settings, datetime.now(UTC) - timedelta(hours=2), 60, state="open")
    try:
        _wait_until(lambda: any("is closed" in m["text"] for m in in_channel(fake_slack)))
    finally:
        knowhow.stop()
    again = Knowhow(settings, host="127.0.0.1", outbox_poll_seconds=0.2)
    again.start()
    try:
        settle(again)
        assert sum("is closed" in m["text"] for m in in_channel(fake_slack)) == 1
        assert not any("is open" in m["text"] for m in in_channel(fake_slack))
    finally:
        again.stop()


def test_the_last_call_and_the_reminder_go_out_once_from_the_sweep(knowhow, slack, fake_slack):
    from sqlalchemy import update

    from scheduler import jobs
    from storage.models import Deferral

    designate(slack)
    expert(slack, "start Release process")
    first = say(slack, fake_slack, ASKER, "Who signs off a hotfix?")
    say(slack, fake_slack, "U0ASKER002", "Can we release on Fridays?")
    _wait_until(lambda: _session_questions(knowhow) == 2)
    expert(slack, "close")
    _wait_until(lambda: any("is closed" in m["text"] for m in in_channel(fake_slack)))
    summary = next(m for m in in_channel(fake_slack) if "is closed" in m["text"])
    now = datetime.now(UTC)
    with session_scope(knowhow.engine) as s:
        [sid] = s.exec(select(ExpertSession.id)).all()
        [q1] = s.exec(select(Question.id).where(Question.message_ts == first)).all()
        sessions.defer(
            s,
            team_id="T0FAKETEAM",
            question_id=q1,
            expert_id=EXPERT,
            due_date=(now + timedelta(days=2)).date(),
            tz_name="UTC",
            now=now,
        )
        # Time passes: the session closed two hours ago, and the deferral's day has come.
        s.execute(update(ExpertSession).where(ExpertSession.id == sid).values(closed_at=now - timedelta(hours=2)))
        s.execute(update(Deferral).where(Deferral.question_id == q1).values(remind_at=now - timedelta(minutes=1)))
    fake_slack.clear()
    jobs.sweep_sessions()  # (the scheduler's own sweep may get there first: either way, once)
    assert jobs.sweep_sessions() == 0
    _wait_until(
        lambda: any(
            "Last call" in c.block_text()
            for c in fake_slack.calls_to("chat.postMessage")
            if c.args["channel"] == EXPERT
        )
    )
    _wait_until(
        lambda: any(
            "You promised to answer" in c.text
            for c in fake_slack.calls_to("chat.postMessage")
            if c.args["channel"] == EXPERT
        )
    )
    last_call = next(c for c in fake_slack.calls_to("chat.postMessage") if "Last call" in c.block_text())
    assert "Fridays" in last_call.block_text() and "hotfix" not in last_call.block_text()  # deferred: not chased
    _wait_until(lambda: "Left open" in text_of(fake_slack.message(CHANNEL, summary["ts"])))
    assert sum("Last call" in c.block_text() for c in fake_slack.calls_to("chat.postMessage")) == 1


def test_ask_in_an_open_session_goes_to_the_session(knowhow, slack, fake_slack):
    designate(slack)
    expert(slack, "start Observability")
    slack.command("/ask", "What should we alert on?", user_id=ASKER, channel_id=CHANNEL)
    _wait_until(lambda: any("alert on" in m["text"] for m in in_channel(fake_slack)))
    with session_scope(knowhow.engine) as s:
        question = s.exec(select(Question).where(Question.text == "What should we alert on?")).one()
        assert question.session_id is not None and question.channel_id == CHANNEL
