"""The scoreboard and App Home end to end: /mentor scoreboard (private), the settings form
(admins), the weekly post with its picture (including a week missed while Knowhow was down), and
app_home_opened publishing each person's own picture."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from bot import ids
from core import scoreboard
from core.clock import utcnow
from storage.db import session_scope
from storage.models import ScoreboardWeek

from .test_http_ask import QA_CHANNEL, _wait_until, ask
from .test_http_mentor import (  # noqa: F401
    ADMIN,
    CHANNEL,
    MENTOR,
    PROTEGE,
    PROTEGE_2,
    PROTEGE_3,
    add_topic,
    broadcast,
    dms_to,
    find,
    mentor,
    people,
    stored_view,
    submit,
    volunteer,
)

SCORES = "C0SCORES01"


@pytest.fixture
def settings(settings):
    return settings.model_copy(update=dict(admins=frozenset({ADMIN})))


@pytest.fixture
def knowhow(settings):
    """Without the scheduler: these tests run the weekly sweep themselves, at the times they
    choose, and a sweep of the scheduler's own at start would race them."""
    from bot.service import Knowhow
    from scheduler import runtime

    service = Knowhow(settings, host="127.0.0.1", outbox_poll_seconds=0.2, with_scheduler=False)
    service.start()
    runtime.bind_engine(service.engine)
    yield service
    service.stop()


def test_mentor_scoreboard_shows_the_figures_privately_behind_the_threshold(knowhow, slack, fake_slack, people):
    add_topic(slack)
    find(slack, fake_slack, PROTEGE)
    for n in range(3):
        ask(slack, fake_slack, f"How do I rotate the staging keys, take {n}?")
    body = mentor(slack, "scoreboard", PROTEGE).json()
    assert body["response_type"] == "ephemeral"
    text = json.dumps(body["blocks"])
    assert "Asked: *3*" in text
    assert "Looking for a mentor: *fewer than 3*" in text and "*Leadership*: *fewer than 3* looking" in text
    assert PROTEGE not in text
    assert f"<#{QA_CHANNEL}>" in text  # where the weekly post goes by default


def _home(slack, fake_slack, user):
    """The Home tab `user` is shown when they open it."""
    before = len([c for c in fake_slack.calls_to("views.publish") if c.args["user_id"] == user])
    event = {"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": "home"}
    slack.event({**event, "event_ts": f"{utcnow().timestamp():.6f}"})
    _wait_until(lambda: len([c for c in fake_slack.calls_to("views.publish") if c.args["user_id"] == user]) > before)
    return [c for c in fake_slack.calls_to("views.publish") if c.args["user_id"] == user][-1].args["view"]


def test_zero_reads_none_yet_and_activity_is_counted_as_it_is(knowhow, slack, fake_slack, people):
    # An empty workspace: nothing hides behind "fewer than 3"; each part says there is none yet.
    text = json.dumps(mentor(slack, "scoreboard", PROTEGE).json()["blocks"], ensure_ascii=False)
    assert "*fewer than" not in text  # (the note under the figures says what it would mean)
    for part in ("Mentoring", "Questions", "Ask the Expert"):
        assert f"*{part}*\\nNone yet." in text
    # One question is one question: counting questions singles nobody out.
    ask(slack, fake_slack, "Where is the VPN guide?")
    text = json.dumps(mentor(slack, "scoreboard", PROTEGE).json()["blocks"], ensure_ascii=False)
    assert "Asked: *1* · answered: *0* · resolved: *0*" in text and "*Mentoring*\\nNone yet." in text
    # One person looking for a mentor is a small group of people: not told; a zero is.
    add_topic(slack)
    find(slack, fake_slack, PROTEGE)
    text = json.dumps(mentor(slack, "scoreboard", PROTEGE).json()["blocks"], ensure_ascii=False)
    assert "Looking for a mentor: *fewer than 3* · volunteers with a place free: *0*" in text
    assert "*Leadership*: *fewer than 3* looking, *0* volunteering, *0* active, *0* completed" in text
    assert "Asked: *1*" in text and "*Ask the Expert*\\nNone yet." in text
    home = json.dumps(_home(slack, fake_slack, MENTOR), ensure_ascii=False)
    assert "Asked: *1*" in home and "Looking for a mentor: *fewer than 3*" in home


def test_a_call_for_volunteers_and_every_scoreboard_show_a_topics_demand_alike(
    knowhow, slack, fake_slack, people, monkeypatch
):
    from scheduler.jobs import scoreboard as jobs  # the module whose clock the sweep reads

    add_topic(slack)
    add_topic(slack, "Negotiation")
    for protege in (PROTEGE, PROTEGE_2, PROTEGE_3):
        find(slack, fake_slack, protege)
    assert broadcast(slack, fake_slack)["response_action"] == "update"

    def call():
        return json.dumps((fake_slack.messages.get(CHANNEL) or [{}])[-1].get("blocks"))

    _wait_until(lambda: "3 people are looking for a mentor in Leadership" in call())
    assert "*Leadership*: *3* looking" in json.dumps(mentor(slack, "scoreboard", ADMIN).json()["blocks"])

    # Someone asks in Negotiation: next to a total of 4, Leadership's 3 would tell that one person,
    # so the scoreboard leaves it out, and the call (updated in place) says so without a count.
    fake_slack.add_user("U0NEWMGR04", title="Engineering Manager", tz="Europe/Paris", tz_offset=3600)
    find(slack, fake_slack, "U0NEWMGR04", topic="Negotiation")
    _wait_until(lambda: "Colleagues are looking for a mentor in Leadership" in call())
    assert "3 people" not in call() and "ewer than" not in call()
    shown = "*Leadership*: *not shown* looking"
    assert shown in json.dumps(mentor(slack, "scoreboard", ADMIN).json()["blocks"])
    assert shown in json.dumps(_home(slack, fake_slack, MENTOR))
    posting = scoreboard.last_week_end(scoreboard.Schedule(QA_CHANNEL), utcnow()) + timedelta(weeks=1)
    monkeypatch.setattr(jobs, "utcnow", lambda: posting + timedelta(minutes=1))
    assert jobs.sweep_scoreboard(QA_CHANNEL, 3) == 1
    _wait_until(lambda: any("This week in Knowhow" in (m.get("text") or "") for m in fake_slack.messages[QA_CHANNEL]))
    [post] = [m for m in fake_slack.messages[QA_CHANNEL] if "This week in Knowhow" in (m.get("text") or "")]
    assert shown in json.dumps(post["blocks"]) and "*Negotiation*: *fewer than 3* looking" in json.dumps(post["blocks"])


def test_only_admins_change_the_weekly_post_and_the_form_saves_it(knowhow, slack, fake_slack, people):
    assert "Only admins can" in mentor(slack, "scoreboard settings", PROTEGE).json()["text"]
    fake_slack.add_user(ADMIN, tz="America/New_York", tz_offset=-18000)
    assert mentor(slack, "scoreboard settings", ADMIN).status == 200
    view = stored_view(fake_slack)
    assert view["callback_id"] == ids.SCOREBOARD_SETTINGS_MODAL and view["private_metadata"] == "America/New_York"
    body = submit(
        slack,
        fake_slack,
        ADMIN,
        {ids.SCOREBOARD_IN_CHANNEL: SCORES, ids.SCOREBOARD_IN_DAY: "4", ids.SCOREBOARD_IN_TIME: "16:30"},
    ).json()
    assert body["response_action"] == "update" and "Fridays at 16:30 (America/New_York)" in json.dumps(body["view"])
    with session_scope(knowhow.engine) as s:
        plan = scoreboard.schedule(s, team_id="T0FAKETEAM", default_channel=None)
    assert (plan.channel_id, plan.weekday, plan.hour, plan.minute) == (SCORES, 4, 16, 30)


def test_the_weekly_post_goes_out_once_with_its_picture_even_after_a_missed_week(
    knowhow, slack, fake_slack, people, monkeypatch
):
    from scheduler.jobs import scoreboard as jobs  # the module whose clock the sweep reads

    add_topic(slack)
    find(slack, fake_slack, PROTEGE)
    for n in range(4):
        ask(slack, fake_slack, f"Where is the VPN guide, part {n}?")
    # Just after the next posting time (Monday 09:00 UTC by default).
    posting = scoreboard.last_week_end(scoreboard.Schedule(QA_CHANNEL), utcnow()) + timedelta(weeks=1)
    monkeypatch.setattr(jobs, "utcnow", lambda: posting + timedelta(minutes=1))
    assert jobs.sweep_scoreboard(QA_CHANNEL, 3) == 1
    assert jobs.sweep_scoreboard(QA_CHANNEL, 3) == 0  # once
    _wait_until(lambda: any("This week in Knowhow" in (m.get("text") or "") for m in fake_slack.messages[QA_CHANNEL]))
    _wait_until(lambda: fake_slack.calls_to("files.completeUploadExternal"))
    [post] = [m for m in fake_slack.messages[QA_CHANNEL] if "This week in Knowhow" in (m.get("text") or "")]
    assert "Asked: *4*" in json.dumps(post["blocks"]) and "*Leadership*: *fewer than 3* looking" in json.dumps(
        post["blocks"]
    )
    assert PROTEGE not in json.dumps(post)
    [upload] = fake_slack.calls_to("upload")
    assert upload.args["size"] > 1000
    [done] = fake_slack.calls_to("files.completeUploadExternal")
    assert done.args["channel_id"] == QA_CHANNEL
    png = next(iter(fake_slack.files.values()))["content"]
    assert png.startswith(b"\x89PNG")

    # Knowhow was down for the next two posting times: when back, the missed weeks are stored
    # and the latest one is posted, once.
    monkeypatch.setattr(jobs, "utcnow", lambda: posting + timedelta(weeks=2, hours=3))
    posts_before = len([m for m in fake_slack.messages[QA_CHANNEL] if "This week in Knowhow" in (m.get("text") or "")])
    assert jobs.sweep_scoreboard(QA_CHANNEL, 3) == 1
    assert jobs.sweep_scoreboard(QA_CHANNEL, 3) == 0
    with session_scope(knowhow.engine) as s:
        weeks = s.exec(select(ScoreboardWeek).order_by(ScoreboardWeek.week_end)).all()
        assert len(weeks) == 3 and [w.posted_at is not None for w in weeks] == [True, False, True]
    _wait_until(
        lambda: (
            len([m for m in fake_slack.messages[QA_CHANNEL] if "This week in Knowhow" in (m.get("text") or "")])
            == posts_before + 1
        )
    )
    latest = [m for m in fake_slack.messages[QA_CHANNEL] if "This week in Knowhow" in (m.get("text") or "")][-1]
    assert "changes against the week before" in json.dumps(latest["blocks"])


def test_a_post_knowhow_cannot_make_is_told_to_the_admin_who_chose_the_channel(
    knowhow, slack, fake_slack, people, monkeypatch
):
    from scheduler.jobs import scoreboard as jobs  # the module whose clock the sweep reads

    fake_slack.private_channels.add("C0PRIVATE1")  # Knowhow was never invited
    fake_slack.add_user(ADMIN, tz="UTC", tz_offset=0)
    mentor(slack, "scoreboard settings", ADMIN)
    submit(
        slack,
        fake_slack,
        ADMIN,
        {ids.SCOREBOARD_IN_CHANNEL: "C0PRIVATE1", ids.SCOREBOARD_IN_DAY: "0", ids.SCOREBOARD_IN_TIME: "09:00"},
    )
    ask(slack, fake_slack, "Where is the VPN guide?")
    posting = scoreboard.last_week_end(scoreboard.Schedule(None), utcnow()) + timedelta(weeks=1)
    monkeypatch.setattr(jobs, "utcnow", lambda: posting + timedelta(minutes=1))
    assert jobs.sweep_scoreboard(QA_CHANNEL, 3) == 1
    _wait_until(
        lambda: any("could not be posted in <#C0PRIVATE1>" in c.args["text"] for c in dms_to(fake_slack, ADMIN))
    )
    assert not fake_slack.messages["C0PRIVATE1"]
    assert not fake_slack.calls_to("files.getUploadURLExternal")  # no picture without its post


def test_app_home_shows_the_persons_own_picture_and_the_scoreboard(knowhow, slack, fake_slack, people):
    add_topic(slack)
    find(slack, fake_slack, PROTEGE, goal="Lead my first team")
    volunteer(slack, fake_slack, MENTOR)
    event = {
        "type": "app_home_opened",
        "user": PROTEGE,
        "channel": "D0NEWMGR01",
        "tab": "home",
        "event_ts": "1754400124.556817",
    }
    assert slack.event(event).status == 200
    _wait_until(lambda: any(c.args["user_id"] == PROTEGE for c in fake_slack.calls_to("views.publish")))
    home = [c for c in fake_slack.calls_to("views.publish") if c.args["user_id"] == PROTEGE][-1].args["view"]
    text = json.dumps(home)
    assert "Your request in Leadership" in text and "Across the workspace" in text
    assert {ids.HOME_ASK, ids.MENTOR_OPEN_FIND, ids.MENTOR_OPEN_VOLUNTEER} <= {
        e["action_id"] for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]
    }
    # Someone else's Home never shows the protégé's request.
    slack.event({**event, "user": "U0SOMEONE1", "event_ts": "1754400125.1"})
    _wait_until(lambda: any(c.args["user_id"] == "U0SOMEONE1" for c in fake_slack.calls_to("views.publish")))
    other = [c for c in fake_slack.calls_to("views.publish") if c.args["user_id"] == "U0SOMEONE1"][-1].args["view"]
    assert PROTEGE not in json.dumps(other) and "Your request" not in json.dumps(other)
    # The Ask button opens the /ask form from the Home tab.
    payload = slack.block_actions_payload(
        user=PROTEGE,
        action_id=ids.HOME_ASK,
        value="",
        container="view",
        view={"id": "V0HOME", "type": "home", "blocks": home["blocks"]},
    )
    slack.interaction(payload)
    _wait_until(
        lambda: any(c.args["view"].get("callback_id") == ids.ASK_MODAL for c in fake_slack.calls_to("views.open"))
    )


def test_home_is_refreshed_when_a_mentoring_request_changes(knowhow, slack, fake_slack, people):
    add_topic(slack)
    find(slack, fake_slack, PROTEGE)
    _wait_until(lambda: any(c.args["user_id"] == PROTEGE for c in fake_slack.calls_to("views.publish")))
    volunteer(slack, fake_slack, MENTOR)
    _wait_until(
        lambda: any(
            c.args["user_id"] == PROTEGE and "choose a candidate" in json.dumps(c.args["view"])
            for c in fake_slack.calls_to("views.publish")
        )
    )


def test_helpers_are_thanked_by_name_only_once_they_agree(knowhow, slack, fake_slack, people):
    from storage.models import Answer, Question

    now = utcnow()
    with session_scope(knowhow.engine) as s:
        for n, helper in enumerate(("U0HELPER01", "U0HELPER02")):
            q = Question(
                team_id="T0FAKETEAM",
                asker_id=PROTEGE,
                text="q",
                channel_id=QA_CHANNEL,
                status="posted",
                posted_at=now - timedelta(hours=2),
                created_at=now - timedelta(hours=2),
                message_ts=f"17000.{n}",
            )
            s.add(q)
            s.flush()
            s.add(
                Answer(
                    team_id="T0FAKETEAM",
                    question_id=q.id,
                    message_ts=f"17001.{n}",
                    author_id=helper,
                    text="a",
                    answered_at=now - timedelta(hours=1),
                    accepted_at=now - timedelta(minutes=30),
                    accepted_by=PROTEGE,
                )
            )
    assert "does not name you" in slack.command("/expert", "topics thanks", user_id="U0HELPER01").json()["text"]
    assert "may now thank you" in slack.command("/expert", "topics thanks on", user_id="U0HELPER01").json()["text"]
    text = json.dumps(mentor(slack, "scoreboard", PROTEGE).json()["blocks"])
    assert "<@U0HELPER01> (1 accepted answer)" in text and "U0HELPER02" not in text
    assert "will not name you" in slack.command("/expert", "topics thanks off", user_id="U0HELPER01").json()["text"]
    assert "U0HELPER01" not in json.dumps(mentor(slack, "scoreboard", PROTEGE).json()["blocks"])


def test_a_home_agrees_with_itself_and_with_the_scoreboard_whenever_it_is_published(knowhow, slack, fake_slack, people):
    """The workspace's board in a Home is read with the person's own part, as both stand when it is
    published: a question asked since the last Home is counted in "Your questions" and "Across the
    workspace" alike, as `/mentor scoreboard` counts it."""
    opened = {
        "type": "app_home_opened",
        "user": PROTEGE,
        "channel": "D0NEWMGR01",
        "tab": "home",
        "event_ts": "1754400124.556817",
    }

    def published():
        slack.event({**opened, "event_ts": f"{utcnow().timestamp():.6f}"})
        n = len(fake_slack.calls_to("views.publish"))
        _wait_until(lambda: len(fake_slack.calls_to("views.publish")) > n)
        return json.dumps(fake_slack.calls_to("views.publish")[-1].args["view"])

    first = published()
    assert "Your questions* (0 asked)" in first and "*Questions*\\nNone yet." in first
    ask(slack, fake_slack, "Where is the VPN guide?", user_id=PROTEGE)
    second = published()
    assert "Where is the VPN guide?" in second and "Your questions* (1 asked)" in second
    assert "Asked: *1*" in second and "*Questions*\\nNone yet." not in second
    assert "Asked: *1*" in json.dumps(mentor(slack, "scoreboard", PROTEGE).json()["blocks"])


def test_the_askers_home_is_refreshed_once_their_question_is_posted(knowhow, slack, fake_slack, people):
    ask(slack, fake_slack, "Who signs off the travel budget?", user_id=PROTEGE)
    _wait_until(
        lambda: any(
            c.args["user_id"] == PROTEGE and "Who signs off the travel budget?" in json.dumps(c.args["view"])
            for c in fake_slack.calls_to("views.publish")
        )
    )
