"""Ask the Expert sessions end to end: signed /expert commands, the scheduling form, messages in
the channel, the experts' lists and deferrals, and the scheduler opening and closing on time
(including after a restart)."""

from __future__ import annotations

import json
import re
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


def start(slack, topic, user=EXPERT, channel=CHANNEL):
    """`/expert start <topic>` by someone who lists the topic (who may, by default)."""
    assert "topics" in expert(slack, f"topics add {topic}", user=user)["text"].lower()
    return expert(slack, f"start {topic}", user=user, channel=channel)


RAW_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")  # channel_not_found, method_not_supported_for_channel_type…


def test_only_admins_choose_session_channels_and_the_bot_joins_them(knowhow, slack, fake_slack):
    refused = expert(slack, f"channels add <#{CHANNEL}|x>")["text"]
    assert "Only admins can" in refused and "KNOWHOW_ADMINS" not in refused  # no setting's name
    fake_slack.add_user("U0SLACKADM", is_admin=True)
    assert "now hosts" in expert(slack, f"channels add <#{CHANNEL}|x>", user="U0SLACKADM")["text"]
    assert fake_slack.calls_to("conversations.join")[-1].args["channel"] == CHANNEL
    listed = expert(slack, "channels list")["text"]
    assert f"<#{CHANNEL}>" in listed
    assert "no longer hosts" in expert(slack, f"channels remove <#{CHANNEL}>", user=ADMIN)["text"]
    assert "No channel hosts" in expert(slack, "channels list")["text"]


def test_a_private_channel_hosts_sessions_once_the_bot_is_invited(knowhow, slack, fake_slack):
    """Slack's conversations.join cannot see a private channel the bot is not in (channel_not_found):
    the admin is told what to do, in words, and doing it works."""
    private = "G0MANAGERS"
    fake_slack.private_channels.add(private)  # Knowhow was never invited
    reply = expert(slack, f"channels add <#{private}|people-managers>", user=ADMIN)["text"]
    assert "`/invite @Knowhow`" in reply and "`/expert channels add #people-managers` again" in reply
    assert not RAW_CODE.search(reply), reply
    assert "<#G0MANAGERS>" not in expert(slack, "channels list")["text"]

    fake_slack.add_channel(private, private=True)  # someone ran /invite @Knowhow there
    reply = expert(slack, f"channels add <#{private}|people-managers>", user=ADMIN)["text"]
    assert "now hosts" in reply and "private" in reply and not RAW_CODE.search(reply), reply
    assert "<#G0MANAGERS>" in expert(slack, "channels list")["text"]
    # Run in the channel itself, with no link: the same, and said once.
    assert "already hosts" in expert(slack, "channels add", user=ADMIN, channel=private)["text"]

    # A direct message is no channel: said so in words too.
    reply = expert(slack, "channels add", user=ADMIN, channel="D0ADMIN001")["text"]
    assert "direct message" in reply and not RAW_CODE.search(reply), reply


def test_scheduling_through_the_form_announces_with_local_times(knowhow, slack, fake_slack):
    designate(slack)
    assert slack.command("/expert", "schedule", user_id=EXPERT, channel_id=CHANNEL).status == 200
    view = list(fake_slack.views.values())[-1]
    assert view["callback_id"] == ids.SESSION_MODAL
    start = int((datetime.now(UTC) + timedelta(days=1)).timestamp())

    def option(channel):
        return next(o for o in channel_picker(view)["options"] if o["value"] == channel)

    def submit(values, user=EXPERT):
        state = {
            "topic": {"topic": {"type": "plain_text_input", "value": values.get("topic", "Kubernetes upgrades")}},
            "experts": {"experts": {"type": "multi_users_select", "selected_users": values.get("experts", [EXPERT])}},
            "channel": {
                "channel": {"type": "static_select", "selected_option": option(values.get("channel", CHANNEL))}
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


def channel_picker(view) -> dict:
    return next(b["element"] for b in view["blocks"] if b.get("block_id") == "channel")


def submit_form(slack, view, *, channel, start, topic="Hiring well", user=EXPERT, minutes="60"):
    picker = channel_picker(view)
    state = {
        "topic": {"topic": {"type": "plain_text_input", "value": topic}},
        "experts": {"experts": {"type": "multi_users_select", "selected_users": [user]}},
        "channel": {
            "channel": {
                "type": "static_select",
                "selected_option": next(o for o in picker["options"] if o["value"] == channel),
            }
        },
        "start": {"start": {"type": "datetimepicker", "selected_date_time": start}},
        "minutes": {"minutes": {"type": "number_input", "value": minutes}},
    }
    return slack.interaction(slack.view_submission_payload(user=user, view=view, values=state))


def test_the_schedule_form_offers_only_the_channels_that_host_sessions(knowhow, slack, fake_slack):
    told = expert(slack, "schedule")["text"]
    assert "No channel hosts sessions yet" in told and "`/expert channels add #channel`" in told
    assert not fake_slack.views  # no form that could only be refused

    town_hall = "C0TOWNHALL"
    designate(slack)
    expert(slack, f"channels add <#{town_hall}|town-hall>", user=ADMIN)
    # Run from the second channel: that one is chosen first; run elsewhere, the first added.
    assert slack.command("/expert", "schedule", user_id=EXPERT, channel_id=town_hall).status == 200
    view = list(fake_slack.views.values())[-1]
    picker = channel_picker(view)
    assert picker["type"] == "static_select"  # a conversation picker would offer every channel
    assert [(o["value"], o["text"]["text"]) for o in picker["options"]] == [
        (CHANNEL, "#ask-the-expert"),
        (town_hall, "#town-hall"),
    ]
    assert picker["initial_option"]["value"] == town_hall
    assert slack.command("/expert", "schedule", user_id=EXPERT, channel_id="C0GENERAL1").status == 200
    assert channel_picker(list(fake_slack.views.values())[-1])["initial_option"]["value"] == CHANNEL

    start = int((datetime.now(UTC) + timedelta(days=1)).timestamp())
    assert submit_form(slack, view, channel=town_hall, start=start).status == 200
    _wait_until(lambda: in_channel(fake_slack, town_hall))
    assert "Hiring well" in text_of(in_channel(fake_slack, town_hall)[0])


def test_a_channel_added_before_names_were_kept_is_offered_by_its_name(knowhow, slack, fake_slack):
    with session_scope(knowhow.engine) as s:  # as it was stored before: no name
        sessions.designate(s, team_id="T0FAKETEAM", channel_id=CHANNEL, user_id=ADMIN)
    assert slack.command("/expert", "schedule", user_id=EXPERT, channel_id=CHANNEL).status == 200
    [option] = channel_picker(list(fake_slack.views.values())[-1])["options"]
    assert option["text"]["text"] == "#c0experts1"  # the stand-in's name for it, from conversations.info
    with session_scope(knowhow.engine) as s:
        assert sessions.hosts(s, team_id="T0FAKETEAM") == [sessions.HostChannel(CHANNEL, "c0experts1")]


NEWCOMER = "U0NEWCOMER"


def _sessions_count(knowhow) -> int:
    with session_scope(knowhow.engine) as s:
        return len(s.exec(select(ExpertSession.id)).all())


def test_who_may_open_a_session_on_the_spot_is_the_workspaces_choice(knowhow, slack, fake_slack):
    designate(slack)
    # By default: admins, and people who list the session's topic. A newcomer is refused privately
    # and told what to do; nothing is opened, nothing said in the channel.
    reply = expert(slack, "start Rust tips", user=NEWCOMER)
    assert reply["response_type"] == "ephemeral"
    assert "Only admins, and people who list the session's topic" in reply["text"]
    assert "`/expert schedule`" in reply["text"] and "*Rust tips*" in reply["text"]
    assert _sessions_count(knowhow) == 0 and not in_channel(fake_slack)
    assert "Admins, and people who list" in expert(slack, "who-can-start", user=NEWCOMER)["text"]

    # Listing Rust, they may: "Rust tips" names it.
    expert(slack, "topics add Rust", user=NEWCOMER)
    opened = expert(slack, "start Rust tips", user=NEWCOMER)["text"]
    assert "is open here until" in opened
    with session_scope(knowhow.engine) as s:
        [ends_at] = s.exec(select(ExpertSession.ends_at)).all()

    # An admin trying to start another is told it is open, and until when (not "planned").
    clash = expert(slack, "start Kubernetes", user=ADMIN)["text"]
    assert f"is open here until <!date^{int(ends_at.timestamp())}^{{time}}" in clash and "planned" not in clash
    # The form, in plain text, says for how much longer.
    assert slack.command("/expert", "schedule", user_id=EXPERT, channel_id=CHANNEL).status == 200
    view = list(fake_slack.views.values())[-1]
    body = submit_form(slack, view, channel=CHANNEL, start=int(datetime.now(UTC).timestamp())).json()
    error = body["errors"]["start"]
    assert re.search(r"is open in that channel for another (1 h|\d+ min) \(#1\)", error) and "<!date" not in error, (
        error
    )
    assert "close" in expert(slack, "close", user=NEWCOMER)["text"]

    # Only admins choose who may.
    assert "Only admins can choose who may" in expert(slack, "who-can-start everyone", user=NEWCOMER)["text"]
    assert "From now on: only admins may" in expert(slack, "who-can-start admins", user=ADMIN)["text"]
    assert "Only admins open a session on the spot" in expert(slack, "start Rust tips", user=NEWCOMER)["text"]
    fake_slack.add_user("U0SLACKADM", is_admin=True)  # a workspace admin: Slack says so
    assert "is open here until" in expert(slack, "start Rust tips", user="U0SLACKADM")["text"]
    expert(slack, "close", user="U0SLACKADM")

    assert "From now on: anyone may" in expert(slack, "who-can-start everyone", user=ADMIN)["text"]
    assert "is open here until" in expert(slack, "start Anything goes", user="U0SOMEONE1")["text"]
    assert "That is already so" in expert(slack, "who-can-start everyone", user=ADMIN)["text"]


def test_a_session_from_start_to_summary_with_a_deferral(knowhow, slack, fake_slack):
    designate(slack)
    reply = start(slack, "Kubernetes upgrades")
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


@pytest.mark.timing
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
    start(slack, "Release process")
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
    start(slack, "Observability")
    slack.command("/ask", "What should we alert on?", user_id=ASKER, channel_id=CHANNEL)
    _wait_until(lambda: any("alert on" in m["text"] for m in in_channel(fake_slack)))
    with session_scope(knowhow.engine) as s:
        question = s.exec(select(Question).where(Question.text == "What should we alert on?")).one()
        assert question.session_id is not None and question.channel_id == CHANNEL


# -- a panel: one expert owes a question at a time; App Home shows where session questions stand --

EXPERT2 = "U0EXPERT02"


def _open_panel(knowhow, slack, fake_slack, topic="Managing former peers"):
    """A session with two experts, open now in CHANNEL."""
    designate(slack)
    now = datetime.now(UTC)
    with session_scope(knowhow.engine) as s:
        info = sessions.schedule(
            s,
            team_id="T0FAKETEAM",
            organiser_id=ADMIN,
            channel_id=CHANNEL,
            topic=topic,
            experts=[EXPERT, EXPERT2],
            starts_at=now,
            is_admin=True,
            now=now,
        )
    knowhow.deps.on_session_scheduled(info)
    _wait_until(lambda: any("is open" in m["text"] for m in in_channel(fake_slack)))
    return info


def _dm(user: str) -> str:
    return "D" + user[1:]


def _list_of(fake_slack, user: str, *, last_call: bool = False):
    """The expert's list of questions from the session, as it stands now (after any update)."""
    start = "Last call" if last_call else "Questions from"
    lists = [m for m in fake_slack.messages[_dm(user)] if m["text"].startswith(start)]
    assert lists, f"no list for {user}"
    return fake_slack.message(_dm(user), lists[-1]["ts"])


def _row(listing, needle: str) -> dict:
    [row] = [b for b in listing["blocks"] if needle in (b.get("text") or {}).get("text", "")]
    return row


def _pick_date(slack, fake_slack, user, listing, row, due):
    payload = slack.block_actions_payload(
        user=user,
        action_id=ids.SESSION_DEFER,
        block_id=row["block_id"],
        action_type="datepicker",
        message=listing,
        channel=_dm(user),
        response_url=fake_slack.response_url(f"defer-{user}-{due}"),
    )
    payload["actions"][0]["selected_date"] = due.isoformat()
    return _answer_to(slack, fake_slack, payload)


def _answer_to(slack, fake_slack, payload) -> str:
    """Send a click; the private answer it gets (through its response_url)."""
    before = len(fake_slack.calls_to("response_url"))
    slack.interaction(payload)
    return fake_slack.wait_for("response_url", before + 1)[-1].args["text"]


def _notes(fake_slack, thread_ts):
    return [m for m in fake_slack.messages[CHANNEL] if m.get("thread_ts") == thread_ts and "will answer" in m["text"]]


def test_in_a_panel_the_first_deferral_stands_until_another_expert_takes_it_over(knowhow, slack, fake_slack):
    from sqlmodel import select as sql_select

    from bot.sessions import blocks as sb
    from storage.models import Deferral

    _open_panel(knowhow, slack, fake_slack)
    question = say(slack, fake_slack, ASKER, "How do I give difficult feedback to someone who used to be my peer?")
    _wait_until(lambda: _session_questions(knowhow) == 1)
    assert "closed" in expert(slack, "close")["text"]
    _wait_until(lambda: any("is closed" in m["text"] for m in in_channel(fake_slack)))
    summary = next(m for m in in_channel(fake_slack) if "is closed" in m["text"])
    _wait_until(lambda: all(fake_slack.messages[_dm(e)] for e in (EXPERT, EXPERT2)))

    # The first expert defers it to one date…
    first_day = (datetime.now(UTC) + timedelta(days=3)).date()
    mine = _list_of(fake_slack, EXPERT)
    assert "Deferred to" in _pick_date(slack, fake_slack, EXPERT, mine, _row(mine, "difficult feedback"), first_day)
    _wait_until(lambda: len(_notes(fake_slack, question)) == 1)
    # …and the second expert's list, sent before, now says who has it and until when: no date
    # picker, a button to take it over instead.
    _wait_until(
        lambda: f"<@{EXPERT}> will answer" in _row(_list_of(fake_slack, EXPERT2), "difficult feedback")["text"]["text"]
    )
    theirs = _list_of(fake_slack, EXPERT2)
    row = _row(theirs, "difficult feedback")
    assert sb.day(first_day) in row["text"]["text"]
    assert row["accessory"]["type"] == "button" and row["accessory"]["action_id"] == ids.SESSION_TAKE_OVER

    # A stale picker (the list as first sent) cannot overwrite the first promise.
    stale = next(c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == EXPERT2)
    stale_message = {"ts": theirs["ts"], "type": "message", "blocks": stale.args["blocks"]}
    later_day = first_day + timedelta(days=3)
    refused = _pick_date(
        slack, fake_slack, EXPERT2, stale_message, _row(stale_message, "difficult feedback"), later_day
    )
    assert f"<@{EXPERT}>" in refused and sb.day(first_day) in refused and "Take it over" in refused
    with session_scope(knowhow.engine) as s:
        deferral = s.exec(sql_select(Deferral)).one()
        assert (deferral.expert_id, deferral.due_date) == (EXPERT, first_day)

    # Taking it over, explicitly: the first expert is told privately, the one note in the thread
    # names the new expert (the date stays), and the summary agrees.
    payload = slack.block_actions_payload(
        user=EXPERT2,
        action_id=ids.SESSION_TAKE_OVER,
        value=row["accessory"]["value"],
        block_id=row["block_id"],
        message=theirs,
        channel=_dm(EXPERT2),
        response_url=fake_slack.response_url("take-over"),
    )
    assert "yours" in _answer_to(slack, fake_slack, payload)
    _wait_until(
        lambda: any(
            c.args["channel"] == EXPERT and f"<@{EXPERT2}> took over" in c.text
            for c in fake_slack.calls_to("chat.postMessage")
        )
    )
    _wait_until(lambda: f"<@{EXPERT2}> will answer" in _notes(fake_slack, question)[0]["text"])
    [note] = _notes(fake_slack, question)
    assert sb.day(first_day) in note["text"] and f"<@{EXPERT}>" in note["text"]  # taken over from them
    _wait_until(lambda: f"<@{EXPERT2}> will answer by" in text_of(fake_slack.message(CHANNEL, summary["ts"])))
    assert f"<@{EXPERT}> will answer" not in text_of(fake_slack.message(CHANNEL, summary["ts"]))
    # Each list shows it from its reader's side.
    _wait_until(
        lambda: f"<@{EXPERT2}> will answer" in _row(_list_of(fake_slack, EXPERT), "difficult feedback")["text"]["text"]
    )
    theirs = _list_of(fake_slack, EXPERT2)
    row = _row(theirs, "difficult feedback")
    assert row["accessory"]["type"] == "datepicker" and row["accessory"]["initial_date"] == first_day.isoformat()
    # The first expert can no longer move the date; the new one can, and the note follows in place.
    mine = _list_of(fake_slack, EXPERT)
    stale_mine = {"ts": mine["ts"], "type": "message", "blocks": stale.args["blocks"]}
    assert f"<@{EXPERT2}>" in _pick_date(
        slack, fake_slack, EXPERT, stale_mine, _row(stale_mine, "difficult feedback"), later_day
    )
    assert "Deferred to" in _pick_date(slack, fake_slack, EXPERT2, theirs, row, later_day)
    _wait_until(lambda: sb.day(later_day) in _notes(fake_slack, question)[0]["text"])
    assert len(_notes(fake_slack, question)) == 1
    _wait_until(lambda: sb.day(later_day) in text_of(fake_slack.message(CHANNEL, summary["ts"])))

    # App Home: the promise is the second expert's, not the first's (each Home is published again
    # as it changes).
    for user in (EXPERT, EXPERT2):
        _open_home(slack, user)
    _wait_until(lambda: "difficult feedback" in _home(fake_slack, EXPERT2))
    _wait_until(lambda: sb.day(later_day) in _home(fake_slack, EXPERT2))
    _wait_until(lambda: _home(fake_slack, EXPERT) and "difficult feedback" not in _home(fake_slack, EXPERT))


def _open_home(slack, user):
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": _dm(user),
        "tab": "home",
        "event_ts": f"{datetime.now(UTC).timestamp():.6f}",
    }
    assert slack.event(event).status == 200


def _home(fake_slack, user) -> str:
    published = [c for c in fake_slack.calls_to("views.publish") if c.args["user_id"] == user]
    return published[-1].block_text() if published else ""


def test_app_home_shows_where_each_session_question_stands_with_a_link(knowhow, slack, fake_slack):
    from bot.sessions import blocks as sb

    designate(slack)
    start(slack, "Managing former peers")
    answered = say(slack, fake_slack, ASKER, "How do I give difficult feedback to someone who used to be my peer?")
    deferred = say(slack, fake_slack, ASKER, "How do I run my first skip-level meeting?")
    say(slack, fake_slack, ASKER, "How do I say no to my own manager?")
    _wait_until(lambda: len(fake_slack.calls_to("reactions.add")) == 3)
    slack.event(
        slack.thread_reply(
            channel=CHANNEL, thread_ts=answered, ts=f"{float(answered) + 0.001:.6f}", user=EXPERT, text="Be direct."
        )
    )
    expert(slack, "close")
    _wait_until(lambda: fake_slack.messages[_dm(EXPERT)])
    listing = _list_of(fake_slack, EXPERT)
    due = (datetime.now(UTC) + timedelta(days=3)).date()
    assert "Deferred to" in _pick_date(slack, fake_slack, EXPERT, listing, _row(listing, "skip-level"), due)
    _wait_until(lambda: _notes(fake_slack, deferred))

    _open_home(slack, ASKER)
    _wait_until(lambda: "skip-level" in _home(fake_slack, ASKER) and sb.day(due) in _home(fake_slack, ASKER))
    lines = [line for line in _home(fake_slack, ASKER).split("\n") if line.startswith("• ")]
    assert "_none_" not in _home(fake_slack, ASKER)
    [feedback] = [line for line in lines if "difficult feedback" in line]
    [skip] = [line for line in lines if "skip-level" in line]
    [say_no] = [line for line in lines if "say no" in line]
    assert f"/archives/{CHANNEL}/p{answered.replace('.', '')}|" in feedback and "_answered" in feedback
    assert f"/archives/{CHANNEL}/p{deferred.replace('.', '')}|" in skip
    assert f"<@{EXPERT}> will answer by {sb.day(due)}" in skip
    assert "_open" in say_no
