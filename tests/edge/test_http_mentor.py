"""The Mentor Center end to end: signed /mentor commands, the Mentor Center modal and its forms,
candidates, consent and the introduction by direct message, check-ins from the sweep, and calls
for volunteers whose counts stay current. Every channel post is checked for protégé ids."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot import ids
from core.clock import utcnow
from storage.db import session_scope
from storage.models import MentorRequest, Mentorship

from ..settle import settle
from .test_http_ask import _wait_until

ADMIN = "U0ADMIN001"
PROTEGE = "U0NEWMGR01"
PROTEGE_2 = "U0NEWMGR02"
PROTEGE_3 = "U0NEWMGR03"
MENTOR = "U0OLDMGR01"
MENTOR_2 = "U0OLDMGR02"
CHANNEL = "C0GENERAL1"


@pytest.fixture
def settings(settings):
    return settings.model_copy(update=dict(admins=frozenset({ADMIN})))


@pytest.fixture
def people(fake_slack):
    fake_slack.add_user(PROTEGE, real_name="Nia New", title="Engineering Manager", tz="Europe/Paris", tz_offset=3600)
    fake_slack.add_user(PROTEGE_2, title="Engineering Manager", tz="Europe/Paris", tz_offset=3600)
    fake_slack.add_user(PROTEGE_3, title="Product Manager", tz="America/New_York", tz_offset=-18000)
    fake_slack.add_user(MENTOR, real_name="Olu Old", title="Engineering Manager", tz="Europe/London", tz_offset=0)
    fake_slack.add_user(MENTOR_2, title="Director of Engineering", tz="America/New_York", tz_offset=-18000)


def mentor(slack, text, user):
    return slack.command("/mentor", text, user_id=user, channel_id=CHANNEL)


def opened_view(fake_slack, method="views.open"):
    return fake_slack.calls_to(method)[-1].args["view"]


def stored_view(fake_slack, method="views.open"):
    """The view as the stand-in stored it (with its id), for building a submission."""
    return list(fake_slack.views.values())[-1]


def submit(slack, fake_slack, user, answers, method="views.open"):
    view = stored_view(fake_slack, method)
    values = slack.view_state_values(view, answers)
    return slack.interaction(slack.view_submission_payload(user=user, view=view, values=values))


def add_topic(slack, name="Leadership"):
    assert "on the mentoring list" in mentor(slack, f"topics add {name}", ADMIN).json()["text"]


def topic_id(fake_slack, name="Leadership") -> str:
    view = stored_view(fake_slack)
    for block in view["blocks"]:
        element = block.get("element") or {}
        for option in element.get("options", []):
            if option["text"]["text"].startswith(name):
                return option["value"]
    raise AssertionError(f"{name} is not offered")


def volunteer(slack, fake_slack, user, *, years="3", location=None, capacity="1"):
    assert mentor(slack, "volunteer", user).status == 200
    answers = {
        ids.MENTOR_IN_TOPICS: [topic_id(fake_slack)],
        ids.MENTOR_IN_CAPACITY: capacity,
        ids.MENTOR_IN_YEARS: years,
    }
    if location:
        answers[ids.MENTOR_IN_LOCATION] = location
    return submit(slack, fake_slack, user, answers).json()


def find(slack, fake_slack, user, goal="Run my first one-to-ones well", topic="Leadership"):
    assert mentor(slack, "find", user).status == 200
    answers = {ids.MENTOR_IN_TOPIC: topic_id(fake_slack, topic), ids.MENTOR_IN_GOAL: goal}
    return submit(slack, fake_slack, user, answers).json()


def broadcast(slack, fake_slack, topic="Leadership", channel=CHANNEL):
    """An admin's call for volunteers in `topic`, through the form; returns the form's answer."""
    assert mentor(slack, "broadcast", ADMIN).status == 200
    answers = {
        ids.MENTOR_IN_TOPIC: topic_id(fake_slack, topic),
        ids.MENTOR_IN_GOALS: "Help new managers find their feet",
        ids.MENTOR_IN_WEEKS: "12",
        ids.MENTOR_IN_HOURS: "2",
        ids.MENTOR_IN_CHANNEL: channel,
    }
    return submit(slack, fake_slack, ADMIN, answers).json()


def dms_to(fake_slack, user):
    return [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("channel") == user]


def buttons(message, action_id):
    blocks = message.args["blocks"] if hasattr(message, "args") else message["blocks"]
    found = []
    for block in blocks:
        for element in [block.get("accessory") or {}, *block.get("elements", [])]:
            if element.get("action_id") == action_id:
                found.append(element)
    return found


def click(slack, fake_slack, user, button, name):
    payload = slack.block_actions_payload(
        user=user,
        action_id=button["action_id"],
        value=button["value"],
        channel="D" + user[1:],
        response_url=fake_slack.response_url(name),
    )
    assert slack.interaction(payload).status == 200
    _wait_until(lambda: any(c.path.endswith(name) for c in fake_slack.calls_to("response_url")))
    return [c for c in fake_slack.calls_to("response_url") if c.path.endswith(name)][-1].args


def channel_posts(fake_slack):
    """Everything Knowhow said in channels (not in DMs or group DMs), updates included."""
    calls = fake_slack.calls_to("chat.postMessage") + fake_slack.calls_to("chat.update")
    return [c for c in calls if c.args.get("channel", "")[:1] == "C"]


def assert_no_protege_named(fake_slack, *proteges):
    for call in channel_posts(fake_slack):
        text = json.dumps(call.args)
        for p in proteges:
            assert p not in text, f"a channel post names protégé {p}"


def test_mentor_opens_the_mentor_center_with_the_profile_from_slack(knowhow, slack, fake_slack, people):
    assert mentor(slack, "", PROTEGE).status == 200
    view = opened_view(fake_slack)
    assert view["callback_id"] == ids.MENTOR_CENTER
    text = json.dumps(view)
    assert "Engineering Manager" in text and "Paris" in text and "Europe/Paris" in text
    assert {ids.MENTOR_OPEN_VOLUNTEER, ids.MENTOR_OPEN_FIND, ids.MENTOR_OPEN_PROFILE} <= {
        b.get("accessory", {}).get("action_id") for b in view["blocks"]
    }
    help_text = mentor(slack, "help", PROTEGE).json()["text"]
    assert "/mentor volunteer" in help_text and "/mentor pause" in help_text
    assert "I don't know" in mentor(slack, "dance", PROTEGE).json()["text"]


def test_a_request_waits_then_is_matched_introduced_and_never_named_in_a_channel(knowhow, slack, fake_slack, people):
    add_topic(slack)
    done = find(slack, fake_slack, PROTEGE)
    assert done["response_action"] == "update" and "Nobody fits" in json.dumps(done["view"])
    assert not dms_to(fake_slack, PROTEGE)  # waiting is said in the form, not by DM

    assert volunteer(slack, fake_slack, MENTOR, years="3")["response_action"] == "update"
    fake_slack.wait_for("chat.postMessage")
    _wait_until(lambda: dms_to(fake_slack, PROTEGE))
    offer = dms_to(fake_slack, PROTEGE)[-1]
    assert "Engineering Manager for 3 years, London" in json.dumps(offer.args["blocks"])
    [choose] = buttons(offer, ids.MENTOR_CHOOSE)

    told = click(slack, fake_slack, PROTEGE, choose, "choose")
    assert told["replace_original"] is True and f"<@{MENTOR}>" in told["text"]
    _wait_until(lambda: dms_to(fake_slack, MENTOR))
    ask = dms_to(fake_slack, MENTOR)[-1]
    assert "Run my first one-to-ones well" in json.dumps(ask.args["blocks"])
    [accept] = buttons(ask, ids.MENTOR_ACCEPT)

    assert "You accepted" in click(slack, fake_slack, MENTOR, accept, "accept")["text"]
    [opened] = fake_slack.wait_for("conversations.open")
    assert set(opened.args["users"].split(",")) == {MENTOR, PROTEGE}
    group = fake_slack.group_dms and next(iter(fake_slack.group_dms))
    _wait_until(lambda: fake_slack.messages.get(group))
    intro = json.dumps(fake_slack.messages[group][-1]["blocks"])
    assert "12 weeks" in intro and "Run my first one-to-ones well" in intro and "first conversation" in intro
    # A second click changes nothing: one mentorship, one introduction.
    assert "moved on" in click(slack, fake_slack, MENTOR, accept, "accept-again")["text"]
    with session_scope(knowhow.engine) as s:
        assert s.exec(select(Mentorship)).one().state == "active"
        assert s.exec(select(MentorRequest)).one().state == "matched"
    assert len(fake_slack.calls_to("conversations.open")) == 1
    assert_no_protege_named(fake_slack, PROTEGE)


def test_a_decline_sends_the_protege_back_to_choose_without_that_mentor(knowhow, slack, fake_slack, people):
    add_topic(slack)
    volunteer(slack, fake_slack, MENTOR, years="3")
    volunteer(slack, fake_slack, MENTOR_2, years="5")
    find(slack, fake_slack, PROTEGE)
    _wait_until(lambda: dms_to(fake_slack, PROTEGE))
    offer = dms_to(fake_slack, PROTEGE)[-1]
    choices = buttons(offer, ids.MENTOR_CHOOSE)
    assert [c["value"].split(":")[2] for c in choices] == [MENTOR, MENTOR_2]  # the same role ranks first
    click(slack, fake_slack, PROTEGE, choices[0], "choose")
    _wait_until(lambda: dms_to(fake_slack, MENTOR))
    [decline] = buttons(dms_to(fake_slack, MENTOR)[-1], ids.MENTOR_DECLINE)
    assert "You declined" in click(slack, fake_slack, MENTOR, decline, "decline")["text"]
    _wait_until(lambda: len(dms_to(fake_slack, PROTEGE)) == 2)
    again = dms_to(fake_slack, PROTEGE)[-1]
    assert "cannot take this on" in json.dumps(again.args["blocks"])
    assert [c["value"].split(":")[2] for c in buttons(again, ids.MENTOR_CHOOSE)] == [MENTOR_2]
    # The old list's button for the mentor who declined does nothing.
    assert "out of date" in click(slack, fake_slack, PROTEGE, choices[0], "stale")["text"]
    assert len(dms_to(fake_slack, MENTOR)) == 1


def test_forms_show_problems_in_place(knowhow, slack, fake_slack, people):
    add_topic(slack)
    mentor(slack, "volunteer", MENTOR)
    body = submit(slack, fake_slack, MENTOR, {ids.MENTOR_IN_YEARS: "three"}).json()
    assert body["response_action"] == "errors" and ids.MENTOR_IN_YEARS in body["errors"]
    body = submit(slack, fake_slack, MENTOR, {}).json()
    assert body["response_action"] == "errors" and "topic" in json.dumps(body["errors"])
    mentor(slack, "find", PROTEGE)
    body = submit(
        slack,
        fake_slack,
        PROTEGE,
        {ids.MENTOR_IN_TOPIC: topic_id(fake_slack), ids.MENTOR_IN_GOAL: "x", ids.MENTOR_IN_ROLE_PREF: "target"},
    ).json()
    assert body["errors"] == {
        ids.MENTOR_IN_TARGET_ROLE: "Say which role you are moving into, or choose another preference."
    }
    # A suggested topic is added to the list, marked as suggested.
    mentor(slack, "volunteer", MENTOR)
    assert (
        submit(slack, fake_slack, MENTOR, {ids.MENTOR_IN_SUGGEST: "Public speaking"}).json()["response_action"]
        == "update"
    )
    assert "Public speaking (suggested)" in mentor(slack, "topics", PROTEGE).json()["text"]


def test_only_admins_curate_topics_and_call_for_volunteers(knowhow, slack, fake_slack, people):
    assert "Only admins can" in mentor(slack, "topics add Leadership", MENTOR).json()["text"]
    assert "Only admins can" in mentor(slack, "broadcast", MENTOR).json()["text"]
    assert not fake_slack.calls_to("views.open")


def test_a_call_for_volunteers_shows_counts_only_and_keeps_them_current(knowhow, slack, fake_slack, people):
    add_topic(slack)
    find(slack, fake_slack, PROTEGE)
    body = broadcast(slack, fake_slack)
    assert opened_view(fake_slack)["callback_id"] == ids.MENTOR_BROADCAST_MODAL
    assert body["response_action"] == "update"
    _wait_until(lambda: fake_slack.messages.get(CHANNEL))
    post = fake_slack.messages[CHANNEL][-1]
    text = json.dumps(post["blocks"])
    # One person looking: said without a count, and that they wait for a volunteer.
    assert (
        "Colleagues are looking for a mentor in Leadership, and no volunteer has a place free: they are waiting for one."
        in text
    )
    assert "ewer than" not in text
    assert "12 weeks" in text and "2 hours a month" in text and "Help new managers" in text
    [volunteer_button] = buttons(post, ids.MENTOR_OPEN_VOLUNTEER)

    find(slack, fake_slack, PROTEGE_2)
    find(slack, fake_slack, PROTEGE_3)
    _wait_until(lambda: "3 people are looking" in json.dumps(fake_slack.messages[CHANNEL][-1]["blocks"]))
    # Volunteers with a place free are never counted in a call: supply only tells people they are not needed.
    volunteer(slack, fake_slack, MENTOR, capacity="3")
    _wait_until(
        lambda: json.dumps(fake_slack.messages[CHANNEL][-1]["blocks"]).count(
            "people are looking for a mentor in Leadership."
        )
    )
    assert "place free" not in json.dumps(fake_slack.messages[CHANNEL][-1]["blocks"])

    # The Volunteer button opens the form with the topic chosen.
    payload = slack.block_actions_payload(
        user=MENTOR, action_id=ids.MENTOR_OPEN_VOLUNTEER, value=volunteer_button["value"], message=post, channel=CHANNEL
    )
    assert slack.interaction(payload).status == 200
    _wait_until(lambda: opened_view(fake_slack)["callback_id"] == ids.MENTOR_VOLUNTEER_MODAL)
    [topics_input] = [b for b in opened_view(fake_slack)["blocks"] if b.get("block_id") == ids.MENTOR_IN_TOPICS]
    assert [o["value"] for o in topics_input["element"]["initial_options"]] == [volunteer_button["value"]]
    assert_no_protege_named(fake_slack, PROTEGE, PROTEGE_2, PROTEGE_3)


def test_check_ins_come_from_the_sweep_and_we_have_stopped_frees_the_place(knowhow, slack, fake_slack, people):
    from scheduler import jobs

    add_topic(slack)
    volunteer(slack, fake_slack, MENTOR)
    find(slack, fake_slack, PROTEGE)
    _wait_until(lambda: dms_to(fake_slack, PROTEGE))
    click(slack, fake_slack, PROTEGE, buttons(dms_to(fake_slack, PROTEGE)[-1], ids.MENTOR_CHOOSE)[0], "choose")
    _wait_until(lambda: dms_to(fake_slack, MENTOR))
    click(slack, fake_slack, MENTOR, buttons(dms_to(fake_slack, MENTOR)[-1], ids.MENTOR_ACCEPT)[0], "accept")
    find(slack, fake_slack, PROTEGE_2)  # waits: the only mentor is taken

    with session_scope(knowhow.engine) as s:
        s.execute(update(Mentorship).values(halfway_at=utcnow() - timedelta(minutes=1)))
    jobs.sweep_mentoring()
    jobs.sweep_mentoring()  # twice: still one check-in each
    _wait_until(lambda: any(buttons(m, f"{ids.MENTOR_MET}_stopped") for m in dms_to(fake_slack, PROTEGE)))
    _wait_until(lambda: any(buttons(m, f"{ids.MENTOR_MET}_stopped") for m in dms_to(fake_slack, MENTOR)))
    checkins = [m for m in dms_to(fake_slack, MENTOR) if buttons(m, f"{ids.MENTOR_MET}_stopped")]
    assert len(checkins) == 1
    [stopped] = buttons(checkins[0], f"{ids.MENTOR_MET}_stopped")
    assert "ended for both" in click(slack, fake_slack, MENTOR, stopped, "stopped")["text"]
    # The place is free: the waiting request is offered the mentor.
    _wait_until(lambda: dms_to(fake_slack, PROTEGE_2))
    assert buttons(dms_to(fake_slack, PROTEGE_2)[-1], ids.MENTOR_CHOOSE)[0]["value"].endswith(MENTOR)


def test_pause_resume_and_leave(knowhow, slack, fake_slack, people):
    add_topic(slack)
    assert "nothing to pause" in mentor(slack, "pause", MENTOR).json()["text"]
    volunteer(slack, fake_slack, MENTOR)
    assert "Paused" in mentor(slack, "pause", MENTOR).json()["text"]
    find(slack, fake_slack, PROTEGE)
    assert not dms_to(fake_slack, PROTEGE)
    assert "Resumed" in mentor(slack, "resume", MENTOR).json()["text"]
    _wait_until(lambda: dms_to(fake_slack, PROTEGE))  # offered as soon as the mentor is back
    reply = mentor(slack, "leave", MENTOR).json()["text"]
    assert "no longer offer" in reply
    assert "nothing to leave" in mentor(slack, "leave", MENTOR).json()["text"]


def matched(slack, fake_slack, protege=PROTEGE, mentor_id=MENTOR):
    find(slack, fake_slack, protege)
    _wait_until(lambda: dms_to(fake_slack, protege))
    click(
        slack, fake_slack, protege, buttons(dms_to(fake_slack, protege)[-1], ids.MENTOR_CHOOSE)[0], f"choose-{protege}"
    )
    _wait_until(lambda: dms_to(fake_slack, mentor_id))
    click(
        slack,
        fake_slack,
        mentor_id,
        buttons(dms_to(fake_slack, mentor_id)[-1], ids.MENTOR_ACCEPT)[0],
        f"accept-{protege}",
    )


def test_the_end_of_term_asks_each_privately_and_a_finished_protege_who_volunteers_is_counted(
    knowhow, slack, fake_slack, people
):
    from storage.models import ProtegeToMentor

    add_topic(slack)
    volunteer(slack, fake_slack, MENTOR)
    matched(slack, fake_slack)
    how = _end_of_term(knowhow, slack, fake_slack, PROTEGE)
    # Someone outside the mentorship cannot open it.
    opened = len(fake_slack.calls_to("views.open"))
    slack.interaction(slack.block_actions_payload(user=MENTOR_2, action_id=how["action_id"], value=how["value"]))
    body = submit(
        slack,
        fake_slack,
        PROTEGE,
        {ids.MENTOR_IN_RATING: "5", ids.MENTOR_IN_WORD: "Very useful", ids.MENTOR_IN_DECISION: "extend"},
    ).json()
    assert "4 more weeks" in json.dumps(body["view"])
    with session_scope(knowhow.engine) as s:
        m = s.exec(select(Mentorship)).one()
        assert (m.state, m.weeks, m.protege_rating, m.protege_word, m.end_sent_at) == (
            "active",
            16,
            5,
            "Very useful",
            None,
        )
    assert len(fake_slack.calls_to("views.open")) == opened

    body = submit(slack, fake_slack, PROTEGE, {ids.MENTOR_IN_DECISION: "finish"}).json()
    assert "completed for both" in json.dumps(body["view"])
    done = volunteer(slack, fake_slack, PROTEGE)
    assert "You were mentored in" in json.dumps(done["view"])
    with session_scope(knowhow.engine) as s:
        assert s.exec(select(Mentorship)).one().state == "completed"
        assert [r.user_id for r in s.exec(select(ProtegeToMentor))] == [PROTEGE]
    assert_no_protege_named(fake_slack, PROTEGE)


def test_the_center_pushes_its_forms_and_withdraw_refreshes_it(knowhow, slack, fake_slack, people):
    add_topic(slack)
    find(slack, fake_slack, PROTEGE)
    mentor(slack, "", PROTEGE)
    center = stored_view(fake_slack)
    assert "nobody fits yet" in json.dumps(center["blocks"])
    [withdraw] = buttons(center, ids.MENTOR_WITHDRAW)
    assert withdraw["confirm"]["confirm"]["text"] == "Withdraw"
    slack.interaction(
        slack.block_actions_payload(
            user=PROTEGE, action_id=ids.MENTOR_WITHDRAW, value=withdraw["value"], container="view", view=center
        )
    )
    [updated] = fake_slack.wait_for("views.update")
    assert "You have no request open" in json.dumps(updated.args["view"])
    with session_scope(knowhow.engine) as s:
        assert s.exec(select(MentorRequest)).one().state == "withdrawn"
    slack.interaction(
        slack.block_actions_payload(
            user=PROTEGE, action_id=ids.MENTOR_OPEN_FIND, value="", container="view", view=center
        )
    )
    [pushed] = fake_slack.wait_for("views.push")
    assert pushed.args["view"]["callback_id"] == ids.MENTOR_FIND_MODAL


def test_a_proposal_with_no_answer_in_three_days_lapses(knowhow, slack, fake_slack, people):
    from scheduler import jobs

    add_topic(slack)
    volunteer(slack, fake_slack, MENTOR)
    find(slack, fake_slack, PROTEGE)
    _wait_until(lambda: dms_to(fake_slack, PROTEGE))
    click(slack, fake_slack, PROTEGE, buttons(dms_to(fake_slack, PROTEGE)[-1], ids.MENTOR_CHOOSE)[0], "choose")
    _wait_until(lambda: dms_to(fake_slack, MENTOR))
    with session_scope(knowhow.engine) as s:
        s.execute(update(Mentorship).values(answer_by=utcnow() - timedelta(seconds=1)))
    jobs.sweep_mentoring()
    _wait_until(lambda: len(dms_to(fake_slack, MENTOR)) == 2 and len(dms_to(fake_slack, PROTEGE)) == 2)
    # Each side is told what happened and what happens next.
    assert dms_to(fake_slack, MENTOR)[-1].args["text"] == (
        f"<@{PROTEGE}>'s request for you to mentor them in Leadership had no answer in 3 days, so it has lapsed: "
        f"<@{PROTEGE}> has been told, and Knowhow is looking for another mentor for them. Nothing else is needed from you."
    )
    assert (
        dms_to(fake_slack, PROTEGE)[-1]
        .args["text"]
        .startswith(
            "The mentor you chose cannot take this on, and nobody else fits your request in Leadership right now. It stays open"
        )
    )
    # The mentor's late click changes nothing.
    [accept] = buttons(dms_to(fake_slack, MENTOR)[0], ids.MENTOR_ACCEPT)
    assert "moved on" in click(slack, fake_slack, MENTOR, accept, "late")["text"]


def test_the_profile_is_theirs_to_edit_and_the_time_zone_follows_slack(knowhow, slack, fake_slack, people):
    mentor(slack, "profile", PROTEGE)
    view = stored_view(fake_slack)
    assert view["callback_id"] == ids.MENTOR_PROFILE_MODAL
    body = submit(
        slack,
        fake_slack,
        PROTEGE,
        {ids.MENTOR_IN_ROLE: "Staff Engineer", ids.MENTOR_IN_YEARS: "4", ids.MENTOR_IN_LOCATION: "Berlin office"},
    ).json()
    assert body["response_action"] == "update"
    fake_slack.add_user(PROTEGE, title="Engineering Manager", tz="Asia/Tokyo", tz_offset=32400)  # moved
    mentor(slack, "", PROTEGE)
    shown_text = json.dumps(opened_view(fake_slack)["blocks"])
    assert "Staff Engineer" in shown_text and "4 years in the role" in shown_text and "Berlin office" in shown_text
    assert "Asia/Tokyo" in shown_text
    mentor(slack, "profile", PROTEGE)
    body = submit(slack, fake_slack, PROTEGE, {ids.MENTOR_IN_YEARS: "99"}).json()
    assert body["response_action"] == "errors" and ids.MENTOR_IN_YEARS in body["errors"]


# -- review findings ---------------------------------------------------------------------------------


def _text_of(message) -> str:
    return message.args["text"] + json.dumps(message.args.get("blocks") or [])


def test_leaving_tells_the_protege_who_asked_them_and_those_left_with_nobody_to_choose(
    knowhow, slack, fake_slack, people
):
    add_topic(slack)
    volunteer(slack, fake_slack, MENTOR, capacity="2")
    find(slack, fake_slack, PROTEGE)
    _wait_until(lambda: dms_to(fake_slack, PROTEGE))
    click(slack, fake_slack, PROTEGE, buttons(dms_to(fake_slack, PROTEGE)[-1], ids.MENTOR_CHOOSE)[0], "choose")
    _wait_until(lambda: dms_to(fake_slack, MENTOR))
    # The mentor's center says the answer is theirs to give.
    mentor(slack, "", MENTOR)
    assert "waiting for your answer" in json.dumps(opened_view(fake_slack)["blocks"])
    find(slack, fake_slack, PROTEGE_2)  # offered the mentor alone
    _wait_until(lambda: dms_to(fake_slack, PROTEGE_2))
    assert len(buttons(dms_to(fake_slack, PROTEGE_2)[-1], ids.MENTOR_CHOOSE)) == 1

    assert "no longer offer" in mentor(slack, "leave", MENTOR).json()["text"]
    _wait_until(lambda: len(dms_to(fake_slack, PROTEGE)) == 2 and len(dms_to(fake_slack, PROTEGE_2)) == 2)
    asked = _text_of(dms_to(fake_slack, PROTEGE)[-1])
    assert "The mentor you chose cannot take this on, and nobody else fits" in asked and "stays open" in asked
    listed = _text_of(dms_to(fake_slack, PROTEGE_2)[-1])
    assert "Nobody on your list of possible mentors can take this on any more" in listed and "stays open" in listed
    with session_scope(knowhow.engine) as s:
        assert {r.state for r in s.exec(select(MentorRequest))} == {"waiting"}
    # When a colleague volunteers, both are offered them.
    volunteer(slack, fake_slack, MENTOR_2, capacity="2")
    _wait_until(lambda: len(dms_to(fake_slack, PROTEGE)) == 3 and len(dms_to(fake_slack, PROTEGE_2)) == 3)
    assert buttons(dms_to(fake_slack, PROTEGE_2)[-1], ids.MENTOR_CHOOSE)[0]["value"].endswith(MENTOR_2)


def test_leaving_gives_a_fresh_list_to_a_protege_left_with_nobody_on_theirs(knowhow, slack, fake_slack, people):
    add_topic(slack)
    volunteer(slack, fake_slack, MENTOR)
    find(slack, fake_slack, PROTEGE)
    _wait_until(lambda: dms_to(fake_slack, PROTEGE))
    volunteer(slack, fake_slack, MENTOR_2)  # too late for that list
    mentor(slack, "leave", MENTOR)
    _wait_until(lambda: len(dms_to(fake_slack, PROTEGE)) == 2)
    fresh = dms_to(fake_slack, PROTEGE)[-1]
    assert "can no longer mentor, so here is a new list" in _text_of(fresh)
    assert [b["value"].split(":")[2] for b in buttons(fresh, ids.MENTOR_CHOOSE)] == [MENTOR_2]


def test_withdrawing_a_request_frees_the_mentor_for_one_that_waits(knowhow, slack, fake_slack, people):
    add_topic(slack)
    volunteer(slack, fake_slack, MENTOR)
    find(slack, fake_slack, PROTEGE)
    _wait_until(lambda: dms_to(fake_slack, PROTEGE))
    click(slack, fake_slack, PROTEGE, buttons(dms_to(fake_slack, PROTEGE)[-1], ids.MENTOR_CHOOSE)[0], "choose")
    find(slack, fake_slack, PROTEGE_2)  # waits: the mentor's one place is taken by the proposal
    assert not dms_to(fake_slack, PROTEGE_2)
    mentor(slack, "", PROTEGE)
    center = stored_view(fake_slack)
    [withdraw] = buttons(center, ids.MENTOR_WITHDRAW)
    slack.interaction(
        slack.block_actions_payload(
            user=PROTEGE, action_id=ids.MENTOR_WITHDRAW, value=withdraw["value"], container="view", view=center
        )
    )
    fake_slack.wait_for("views.update")
    # No sweep: the withdrawal itself sends the freed place to the request that waited.
    _wait_until(lambda: dms_to(fake_slack, PROTEGE_2))
    assert buttons(dms_to(fake_slack, PROTEGE_2)[-1], ids.MENTOR_CHOOSE)[0]["value"].endswith(MENTOR)


def _end_of_term(knowhow, slack, fake_slack, user):
    from scheduler import jobs

    with session_scope(knowhow.engine) as s:
        s.execute(update(Mentorship).values(halfway_at=utcnow(), ends_at=utcnow() - timedelta(minutes=1)))
    jobs.sweep_mentoring()
    _wait_until(lambda: any(buttons(m, ids.MENTOR_OPEN_WRAP_UP) for m in dms_to(fake_slack, user)))
    [how] = [b for m in dms_to(fake_slack, user) for b in buttons(m, ids.MENTOR_OPEN_WRAP_UP)]
    payload = slack.block_actions_payload(
        user=user, action_id=how["action_id"], value=how["value"], channel="D" + user[1:]
    )
    assert slack.interaction(payload).status == 200
    _wait_until(lambda: opened_view(fake_slack)["callback_id"] == ids.MENTOR_WRAP_UP_MODAL)
    return how  # the wrap-up button, for clicks by others


def test_the_wrap_up_preselects_nothing_and_finishing_tells_the_other_person(knowhow, slack, fake_slack, people):
    add_topic(slack)
    volunteer(slack, fake_slack, MENTOR)
    matched(slack, fake_slack)
    _end_of_term(knowhow, slack, fake_slack, PROTEGE)
    [decision] = [b for b in opened_view(fake_slack)["blocks"] if b.get("block_id") == ids.MENTOR_IN_DECISION]
    assert "initial_option" not in decision["element"] and decision["optional"] is False
    body = submit(slack, fake_slack, PROTEGE, {ids.MENTOR_IN_RATING: "4"}).json()
    assert body["response_action"] == "errors" and ids.MENTOR_IN_DECISION in body["errors"]
    with session_scope(knowhow.engine) as s:
        assert s.exec(select(Mentorship)).one().state == "active"
    before = len(dms_to(fake_slack, MENTOR))
    assert "completed for both" in json.dumps(
        submit(slack, fake_slack, PROTEGE, {ids.MENTOR_IN_DECISION: "finish"}).json()["view"]
    )
    _wait_until(lambda: len(dms_to(fake_slack, MENTOR)) == before + 1)
    told = _text_of(dms_to(fake_slack, MENTOR)[-1])
    assert f"<@{PROTEGE}> has marked your mentorship in *Leadership* as finished" in told
    # Answering again (a rating added afterwards) tells nobody anything more.
    assert "completed for both" in json.dumps(
        submit(slack, fake_slack, PROTEGE, {ids.MENTOR_IN_DECISION: "finish", ids.MENTOR_IN_RATING: "5"}).json()["view"]
    )
    settle(knowhow)
    assert len([m for m in dms_to(fake_slack, PROTEGE) if "has marked" in _text_of(m)]) == 0
    assert len([m for m in dms_to(fake_slack, MENTOR) if "has marked" in _text_of(m)]) == 1


def test_extending_twice_from_the_wrap_up_extends_once(knowhow, slack, fake_slack, people):
    add_topic(slack)
    volunteer(slack, fake_slack, MENTOR)
    matched(slack, fake_slack)
    _end_of_term(knowhow, slack, fake_slack, PROTEGE)
    for _ in range(2):  # a double click
        body = submit(slack, fake_slack, PROTEGE, {ids.MENTOR_IN_DECISION: "extend"}).json()
        assert "4 more weeks" in json.dumps(body["view"])
    with session_scope(knowhow.engine) as s:
        assert s.exec(select(Mentorship)).one().weeks == 16


def test_we_have_stopped_tells_the_other_person(knowhow, slack, fake_slack, people):
    from scheduler import jobs

    add_topic(slack)
    volunteer(slack, fake_slack, MENTOR)
    matched(slack, fake_slack)
    with session_scope(knowhow.engine) as s:
        s.execute(update(Mentorship).values(halfway_at=utcnow() - timedelta(minutes=1)))
    jobs.sweep_mentoring()
    _wait_until(lambda: any(buttons(m, f"{ids.MENTOR_MET}_stopped") for m in dms_to(fake_slack, PROTEGE)))
    [stopped] = [b for m in dms_to(fake_slack, PROTEGE) for b in buttons(m, f"{ids.MENTOR_MET}_stopped")]
    assert "ended for both" in click(slack, fake_slack, PROTEGE, stopped, "stopped")["text"]
    _wait_until(lambda: any("has ended your mentorship" in _text_of(m) for m in dms_to(fake_slack, MENTOR)))
    [told] = [m for m in dms_to(fake_slack, MENTOR) if "has ended your mentorship" in _text_of(m)]
    assert f"<@{PROTEGE}> has ended your mentorship in *Leadership*" in _text_of(told)
    assert "already over" in click(slack, fake_slack, PROTEGE, stopped, "stopped-again")["text"]
    settle(knowhow)
    assert len([m for m in dms_to(fake_slack, MENTOR) if "has ended your mentorship" in _text_of(m)]) == 1
    assert not any("has ended your mentorship" in _text_of(m) for m in dms_to(fake_slack, PROTEGE))


def test_a_topic_a_protege_names_is_not_listed_until_an_admin_adds_it(knowhow, slack, fake_slack, people):
    add_topic(slack)
    mentor(slack, "find", PROTEGE)
    done = submit(
        slack,
        fake_slack,
        PROTEGE,
        {ids.MENTOR_IN_SUGGEST: "Coming back from leave", ids.MENTOR_IN_GOAL: "Find my feet again"},
    ).json()
    assert done["response_action"] == "update" and "Coming back from leave" in json.dumps(done["view"])
    # Not on the list anyone sees, nor in the forms' options.
    assert "Coming back from leave" not in mentor(slack, "topics", MENTOR).json()["text"]
    for command in ("volunteer", "find"):
        mentor(slack, command, MENTOR)
        assert "Coming back from leave" not in json.dumps(opened_view(fake_slack))
    mentor(slack, "broadcast", ADMIN)
    assert "Coming back from leave" not in json.dumps(opened_view(fake_slack))
    # Admins see it, unnamed, to curate it.
    admin_list = mentor(slack, "topics", ADMIN).json()["text"]
    assert (
        "Asked for, not on the list" in admin_list
        and "Coming back from leave" in admin_list
        and PROTEGE not in admin_list
    )
    # A volunteer suggesting the same topic is matched with the request.
    mentor(slack, "volunteer", MENTOR)
    assert (
        submit(slack, fake_slack, MENTOR, {ids.MENTOR_IN_SUGGEST: "coming back from leave"}).json()["response_action"]
        == "update"
    )
    _wait_until(lambda: dms_to(fake_slack, PROTEGE))
    assert buttons(dms_to(fake_slack, PROTEGE)[-1], ids.MENTOR_CHOOSE)[0]["value"].endswith(MENTOR)
    assert_no_protege_named(fake_slack, PROTEGE)


def test_a_call_says_what_helps_recruit_with_the_scoreboards_figures():
    from bot.mentor import blocks as mb
    from core.scoreboard import HIDDEN, Figure, TopicDemand

    def right_now(seeking, volunteers):
        text = json.dumps(mb.call("Grow", 12, 1, TopicDemand("Leadership", seeking, volunteers), 1)["blocks"])
        return text[text.index("*Right now*") :].split("\\n")[0].split('"')[0]

    exact = {n: Figure(str(n), None, n) for n in (0, 1, 7)}
    assert right_now(exact[7], exact[1]) == "*Right now*: 7 people are looking for a mentor in Leadership."
    assert right_now(exact[1], exact[7]) == "*Right now*: 1 person is looking for a mentor in Leadership."
    # Some, but fewer than the threshold (or left out on the scoreboard): no count, and never "fewer than".
    for hidden in (Figure("fewer than 3"), HIDDEN):
        assert (
            right_now(hidden, Figure("fewer than 3"))
            == "*Right now*: Colleagues are looking for a mentor in Leadership."
        )
    assert right_now(exact[7], exact[0]) == (
        "*Right now*: 7 people are looking for a mentor in Leadership, "
        "and no volunteer has a place free: they are waiting for one."
    )
    # Nobody looking yet: the call still recruits (the first to ask are introduced at once).
    assert right_now(exact[0], exact[7]) == (
        "*Right now*: Colleagues ask for a mentor in Leadership with `/mentor find`. "
        "Volunteer now, and the first to ask can be introduced to you straight away."
    )
    assert "1 hour a month" in json.dumps(mb.call("Grow", 12, 1, TopicDemand("Leadership", exact[0], exact[0]), 1))


@pytest.mark.parametrize("leaver", ["mentor", "protege"])
def test_when_one_side_of_a_running_mentorship_leaves_the_other_is_told_it_ended(
    knowhow, slack, fake_slack, people, leaver
):
    from .test_http_privacy import user_change

    add_topic(slack)
    volunteer(slack, fake_slack, MENTOR)
    matched(slack, fake_slack)
    _wait_until(lambda: _state(knowhow) == "active")
    settle(knowhow)
    gone, stays = (MENTOR, PROTEGE) if leaver == "mentor" else (PROTEGE, MENTOR)
    told, told_gone = len(dms_to(fake_slack, stays)), len(dms_to(fake_slack, gone))

    assert slack.event(user_change(fake_slack, gone, deleted=True), event_id="Ev0LEAVER01").status == 200
    _wait_until(lambda: len(dms_to(fake_slack, stays)) > told)
    settle(knowhow)
    [message] = dms_to(fake_slack, stays)[told:]
    text = json.dumps(message.args["blocks"]) + message.args["text"]
    assert "Your mentorship in *Leadership* has ended" in text and "account was deactivated" in text
    assert ("/mentor find" in text) == (leaver == "mentor") and ("place as a mentor is free" in text) == (
        leaver == "protege"
    )
    assert "former-member" not in text and f"<@{gone}>" not in text
    assert len(dms_to(fake_slack, gone)) == told_gone  # nothing to the person who left
    assert _state(knowhow) == "stopped"


def _state(knowhow) -> str | None:
    with session_scope(knowhow.engine) as s:
        m = s.exec(select(Mentorship)).first()
        return m.state if m else None
