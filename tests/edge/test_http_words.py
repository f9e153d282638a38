"""What people read, through the real HTTP front with the Slack stand-in: plain text where Slack
shows text as typed, one voice for refusals, one style for dates, messages that do not go stale.
(Every edge test also fails on mrkdwn sent where Slack shows it as typed: tests/conftest.py.)"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from bot import blockkit, ids

from .conftest import QA_CHANNEL
from .test_http_ask import _wait_until
from .test_http_knowledge import ASKER, _accept_button, current, post_of, reply, shown
from .test_http_mentor import MENTOR, PROTEGE, add_topic, buttons, click, dms_to, find, people, volunteer  # noqa: F401

KNOWHOW_ADMIN = "U0KNOWADM1"  # in KNOWHOW_ADMINS, not a Slack admin
ADMIN = "U0ADMIN001"  # the Mentor Center tests' admin (tests/edge/test_http_mentor.py)
NOBODY = "U0NOBODY01"


@pytest.fixture
def settings(settings):
    return settings.model_copy(update=dict(admins=frozenset({KNOWHOW_ADMIN, ADMIN})))


def shown_text(message) -> str:
    """A message's text and blocks, as one string."""
    return message.get("text", "") + json.dumps(message.get("blocks") or [], ensure_ascii=False)


# -- plain text ---------------------------------------------------------------------------------


def test_the_accept_form_lists_answers_as_slack_renders_them(knowhow, slack, fake_slack):
    slack.command("/ask", "How do I rotate the staging keys?", user_id=ASKER)
    [post] = post_of(fake_slack)
    reply(slack, fake_slack, post, text="Run `vault rotate` as *admin* :tada:")
    _wait_until(lambda: "Answered" in shown(current(fake_slack, post)))
    slack.interaction(
        slack.block_actions_payload(
            user=ASKER,
            action_id=ids.ASK_ACCEPT_OPEN,
            value=_accept_button(current(fake_slack, post))["value"],
            message=current(fake_slack, post),
            channel=QA_CHANNEL,
        )
    )
    fake_slack.wait_for("views.open")
    form = list(fake_slack.views.values())[-1]
    [text] = [o["text"] for b in form["blocks"] if b["type"] == "input" for o in b["element"]["options"]]
    # Radio buttons show mrkdwn: the author's name and the answer's formatting as in the thread
    # (options that are plain text would show the marks as typed: the stand-in fails any such).
    assert text["type"] == "mrkdwn" and text["text"].startswith("<@U0HELPER01>: ")
    assert "Run `vault rotate` as *admin* :tada:" in text["text"]


# -- one voice for refusals ------------------------------------------------------------------------


def test_admin_commands_refuse_in_one_voice_and_let_a_knowhow_admin_in(knowhow, slack, fake_slack):
    """Whoever may not is told "Only admins can …" and what to do instead, never a setting's name
    nor "workspace admins"; a Knowhow admin (KNOWHOW_ADMINS), who is not a Slack admin, may."""
    fake_slack.add_channel("C0EXPERTS1")

    def said(user, command, text, channel="C0EXPERTS1"):
        answer = slack.command(command, text, user_id=user, channel_id=channel)
        assert answer.status == 200
        return answer.json()["text"] if answer.body else ""

    commands = [
        ("/ask", "channel"),
        ("/expert", "channels add <#C0EXPERTS1|ask-the-expert>"),
        ("/mentor", "topics add Leadership"),
        ("/mentor", "broadcast"),
        ("/mentor", "scoreboard settings"),
    ]
    for command, text in commands:
        refused = said(NOBODY, command, text)
        assert refused.startswith("Only admins can "), refused
        assert "KNOWHOW_ADMINS" not in refused and "workspace admins" not in refused
        allowed = said(KNOWHOW_ADMIN, command, text)
        assert "Only admins" not in allowed, (command, text, allowed)
    assert len(fake_slack.calls_to("views.open")) == 2  # the Knowhow admin's broadcast and settings forms


# -- the Mentor Center: the introduction, and messages that do not go stale -------------------------


def _chosen(slack, fake_slack):
    """Nia asks for a mentor in Leadership and chooses Olu from the list in her DM; returns that
    message as it stands in her DM (the list, replaced by the word that Olu was asked)."""
    add_topic(slack)
    volunteer(slack, fake_slack, MENTOR)
    find(slack, fake_slack, PROTEGE)
    _wait_until(lambda: dms_to(fake_slack, PROTEGE))
    dm = "D" + PROTEGE[1:]
    [listed] = [m for m in fake_slack.messages[dm] if buttons(m, ids.MENTOR_CHOOSE)]
    choose = buttons(listed, ids.MENTOR_CHOOSE)[0]
    payload = slack.block_actions_payload(
        user=PROTEGE,
        action_id=choose["action_id"],
        value=choose["value"],
        message=listed,
        channel=dm,
        response_url=fake_slack.response_url("choose"),
    )
    assert slack.interaction(payload).status == 200
    _wait_until(lambda: fake_slack.calls_to("response_url"))
    assert "you will hear either way" in fake_slack.calls_to("response_url")[-1].args["text"]
    _wait_until(lambda: dms_to(fake_slack, MENTOR))
    return dm, listed["ts"]


def test_the_protege_hears_once_and_the_word_that_the_mentor_was_asked_is_brought_up_to_date(
    knowhow, slack, fake_slack, people
):
    dm, ts = _chosen(slack, fake_slack)
    ask = dms_to(fake_slack, MENTOR)[-1]
    click(slack, fake_slack, MENTOR, buttons(ask, ids.MENTOR_ACCEPT)[0], "accept")
    _wait_until(lambda: any(c.args.get("ts") == ts for c in fake_slack.calls_to("chat.update")))
    [update] = [c for c in fake_slack.calls_to("chat.update") if c.args.get("ts") == ts]
    assert update.args["channel"] == dm
    now = shown_text(update.args)
    assert "you will hear" not in now and f"<@{MENTOR}> accepted to mentor you in *Leadership*" in now

    # The introduction names each of them once, then speaks to them.
    _wait_until(lambda: [c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"].startswith("G")])
    [intro] = [c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"].startswith("G")]
    said = shown_text(intro.args)
    assert said.count(f"<@{MENTOR}>") == 1 and said.count(f"<@{PROTEGE}>") == 1, said


def test_a_declined_request_no_longer_says_the_protege_will_hear(knowhow, slack, fake_slack, people):
    dm, ts = _chosen(slack, fake_slack)
    ask = dms_to(fake_slack, MENTOR)[-1]
    click(slack, fake_slack, MENTOR, buttons(ask, ids.MENTOR_DECLINE)[0], "decline")
    _wait_until(lambda: any(c.args.get("ts") == ts for c in fake_slack.calls_to("chat.update")))
    now = shown_text(fake_slack.message(dm, ts))
    assert "you will hear" not in now and f"<@{MENTOR}> cannot take this on" in now


# -- an expert session: one style for dates, a refused date not left in the picker ----------------

DAY = re.compile(
    r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), "
    r"(January|February|March|April|May|June|July|August|September|October|November|December) "
    r"\d{1,2}(st|nd|rd|th), \d{4}"
)


def _dates_in(text: str) -> list[str]:
    """Every date token's format, and every day written out, in `text`."""
    return re.findall(r"<!date\^\d+\^([^|>]*)", text)


def test_a_session_flow_writes_every_date_in_one_style_and_a_refused_date_leaves_the_picker(knowhow, slack, fake_slack):
    from .test_http_sessions import CHANNEL, EXPERT, _list_of, _open_panel, _pick_date, _row, expert, in_channel, say

    _open_panel(knowhow, slack, fake_slack, topic="Kubernetes")
    say(slack, fake_slack, "U0ASKER001", "How is the node pool used?")
    _wait_until(lambda: fake_slack.calls_to("reactions.add"))
    assert "closed" in expert(slack, "close")["text"]
    _wait_until(lambda: any(m["text"].startswith("Questions from") for m in fake_slack.messages["D" + EXPERT[1:]]))
    listing = _list_of(fake_slack, EXPERT)
    row = _row(listing, "node pool")

    # A day that is refused: the list is shown again, so its picker no longer holds it.
    updates = len(fake_slack.calls_to("chat.update"))
    today = datetime.now(UTC).date()
    assert _pick_date(slack, fake_slack, EXPERT, listing, row, today) == "Pick a date after today."
    _wait_until(lambda: any(c.args.get("ts") == listing["ts"] for c in fake_slack.calls_to("chat.update")[updates:]))
    assert "initial_date" not in json.dumps(_row(_list_of(fake_slack, EXPERT), "node pool"))

    due = today + timedelta(days=3)
    said = _pick_date(slack, fake_slack, EXPERT, listing, row, due)
    assert said.startswith(f"Deferred to {blockkit.day(due)}:") and DAY.search(said)
    _wait_until(lambda: any("will answer by" in shown_text(m) for m in _summaries(fake_slack, CHANNEL)))
    [summary] = _summaries(fake_slack, CHANNEL)
    text = shown_text(summary)
    # The question's own "?" is not followed by a colon.
    assert f"How is the node pool used? — <@{EXPERT}> will answer by {blockkit.day(due)}" in text

    # Every date in the channel and the expert's DMs is one style: Slack's {date_long} (a time of
    # the same day alone, {time}), or a day written out the same way.
    everything = [shown_text(m) for m in in_channel(fake_slack) + fake_slack.messages["D" + EXPERT[1:]]]
    formats = {f for t in everything for f in _dates_in(t)}
    assert formats and formats <= {"{date_long}", "{date_long} at {time}", "{time}"}, formats
    assert any(DAY.search(t) for t in everything)


def _summaries(fake_slack, channel):
    return [fake_slack.message(channel, m["ts"]) for m in fake_slack.messages[channel] if "is closed" in m["text"]]


def test_someone_with_no_topics_is_not_told_about_these_topics(knowhow, slack, fake_slack):
    said = slack.command("/expert", "topics", user_id=NOBODY).json()["text"]
    assert said.startswith("You have no topics yet.") and "these topics" not in said
    slack.command("/expert", "topics add Kubernetes", user_id=NOBODY)
    assert (
        "You may be invited to help with questions in these topics"
        in slack.command("/expert", "topics", user_id=NOBODY).json()["text"]
    )


# -- where a person is: the profile's own location field first, and where it came from ------------

BANGALORE = "U0BLR00001"
PUNE = "U0PUNE0001"


def _center(slack, fake_slack, user) -> str:
    before = len(fake_slack.calls_to("views.open"))
    assert slack.command("/mentor", "", user_id=user, channel_id="C0GENERAL1").status == 200
    return json.dumps(fake_slack.wait_for("views.open", before + 1)[-1].args["view"], ensure_ascii=False)


def test_location_comes_from_the_profiles_location_field_and_says_where_from(knowhow, slack, fake_slack):
    fake_slack.add_user(BANGALORE, title="Engineer", tz="Asia/Kolkata", tz_offset=19800)
    fake_slack.add_user(PUNE, title="Engineer", tz="Asia/Kolkata", tz_offset=19800)
    fake_slack.set_profile_field(BANGALORE, "Location", "Bangalore")

    center = _center(slack, fake_slack, BANGALORE)
    assert "Bangalore _(from your Slack profile's Location field" in center and "Kolkata _(" not in center

    # Without the field, the time zone's city, saying so, so the person can correct it.
    center = _center(slack, fake_slack, PUNE)
    assert "Kolkata _(from your Slack time zone, Asia/Kolkata: edit your profile if you are elsewhere)_" in center

    # Filled in later in Slack, the field wins over the time zone's city.
    fake_slack.set_profile_field(PUNE, "Location", "Pune")
    assert "Pune _(from your Slack profile's Location field" in _center(slack, fake_slack, PUNE)

    # The profile form says the same under the field, where the person corrects it.
    before = len(fake_slack.calls_to("views.open"))
    slack.command("/mentor", "profile", user_id=PUNE, channel_id="C0GENERAL1")
    form = fake_slack.wait_for("views.open", before + 1)[-1].args["view"]
    [location] = [b for b in form["blocks"] if b.get("block_id") == ids.MENTOR_IN_LOCATION]
    assert location["hint"]["text"].startswith("From your Slack profile's Location field; change it")
