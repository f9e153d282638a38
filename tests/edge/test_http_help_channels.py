"""Help channels end to end, through signed Slack requests against the stand-in: `/ask channels`,
a question in #help-it that earlier lessons cover (shown privately, once), one that nothing covers,
one a colleague already answered, the per-channel pause, the per-person opt-out, the asker's
checkmark that offers to save the answer (once per thread), and *This answers it* counted."""

from __future__ import annotations

import json

import pytest

from bot import ids
from storage.db import session_scope
from storage.models import HelperPreference, HelpThread

from ..settle import settle
from .test_http_ask import _wait_until
from .test_http_knowledge import answered_question

ADMIN = "U0ADMIN001"
ASKER = "U0ASKHELP1"
COLLEAGUE = "U0COLLEAG1"
HELP = "C0HELPIT01"
ELSEWHERE = "C0RANDOM01"
COVERED = "How can I rotate the API keys for staging?"  # answered_question's lesson covers it


@pytest.fixture
def settings(settings):
    return settings.model_copy(update=dict(admins=frozenset({ADMIN})))


def ask_cmd(slack, text, user=ADMIN, channel=HELP):
    return slack.command("/ask", text, user_id=user, channel_id=channel).json()


@pytest.fixture
def help_it(knowhow, slack, fake_slack):
    """#help-it is a help channel, and an earlier lesson (a question answered in the Q&A channel) exists."""
    said = ask_cmd(slack, f"channels add <#{HELP}|help-it>")["text"]
    assert "now a help channel" in said
    answered_question(knowhow, slack, fake_slack)
    settle(knowhow)
    return HELP


def message_event(message: dict, channel: str) -> dict:
    return {
        "type": "message",
        "user": message["user"],
        "text": message["text"],
        "ts": message["ts"],
        "channel": channel,
        "event_ts": message["ts"],
        "channel_type": "channel",
        "team": "T0FAKETEAM",
    }


def say(slack, fake_slack, text, user=ASKER, channel=HELP) -> str:
    """A person posts a top-level message: it is in the channel, and Slack sends the event."""
    message = fake_slack.add_message(channel, user=user, text=text)
    assert slack.event(message_event(message, channel)).status == 200
    return message["ts"]


def ephemerals(fake_slack, user=ASKER):
    return [c for c in fake_slack.calls_to("chat.postEphemeral") if c.args.get("user") == user]


def row(knowhow, ts, channel=HELP) -> HelpThread | None:
    with session_scope(knowhow.engine) as s:
        found = s.get(HelpThread, ("T0FAKETEAM", channel, ts))
        if found is not None:
            s.expunge(found)
        return found


def buttons(call) -> list[dict]:
    blocks = call.args["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def click(slack, fake_slack, button: dict, user=ASKER, name="click"):
    before = len(fake_slack.calls_to("response_url"))
    payload = slack.block_actions_payload(
        user=user,
        action_id=button["action_id"],
        value=button["value"],
        is_ephemeral=True,
        channel=HELP,
        response_url=fake_slack.response_url(name),
    )
    assert slack.interaction(payload).status == 200
    return fake_slack.wait_for("response_url", before + 1)[-1].args


def test_only_admins_choose_help_channels_and_the_command_is_no_question(knowhow, slack, fake_slack):
    refused = ask_cmd(slack, f"channels add <#{HELP}|help-it>", user=ASKER)["text"]
    assert "Only admins can choose the help channels" in refused
    assert "No help channels yet" in ask_cmd(slack, "channels", user=ASKER)["text"]
    assert "now a help channel" in ask_cmd(slack, f"channels add <#{HELP}|help-it>")["text"]
    assert [c.args["channel"] for c in fake_slack.calls_to("conversations.join")] == [HELP]  # to read it
    assert "already a help channel" in ask_cmd(slack, f"channels add <#{HELP}|help-it>")["text"]
    assert f"<#{HELP}>" in ask_cmd(slack, "channels list", user=ASKER)["text"]
    settle(knowhow)
    assert not fake_slack.calls_to("chat.postMessage")  # none of these was taken for a question
    # /ask comes unescaped (should_escape: false): "#help-it" is a name, found among the help channels.
    paused = slack.command("/ask", "channels pause #help-it", user_id=ADMIN, channel_id=ELSEWHERE).json()["text"]
    assert f"Paused: Knowhow says nothing in <#{HELP}>" in paused
    elsewhere = slack.command("/ask", "channels add #random", user_id=ADMIN, channel_id=HELP).json()["text"]
    assert "in #random itself" in elsewhere
    assert "no longer a help channel" in ask_cmd(slack, f"channels remove <#{HELP}|help-it>")["text"]


def test_a_question_earlier_lessons_cover_gets_them_privately_once_and_this_answers_it_counts(
    knowhow, slack, fake_slack, help_it
):
    ts = say(slack, fake_slack, COVERED)
    [shown] = fake_slack.wait_for("chat.postEphemeral")
    assert shown.args["channel"] == HELP and shown.args["user"] == ASKER
    text = json.dumps(shown.args["blocks"]) + shown.args["text"]
    assert "rotate-keys in the ops repo" in text
    assert "<@" not in text and "<!" not in text  # never a ping
    found = buttons(shown)
    assert [b["action_id"] for b in found] == [ids.HELP_ANSWERS_IT, ids.HELP_NOT_QUITE, ids.HELP_STOP]
    # The same message delivered again (another event id, a racing delivery): still one reply.
    message = {"user": ASKER, "text": COVERED, "ts": ts}
    assert slack.event(message_event(message, HELP)).status == 200
    settle(knowhow)
    assert len(ephemerals(fake_slack)) == 1 and row(knowhow, ts).state == "suggested"

    # Someone else cannot choose for the asker; the asker's click counts, once.
    assert "Only the person who asked" in click(slack, fake_slack, found[0], user=COLLEAGUE, name="other")["text"]
    told = click(slack, fake_slack, found[0])
    assert told["replace_original"] is True and "Glad it helped" in told["text"]
    assert "already chose" in click(slack, fake_slack, found[1], name="again")["text"]
    assert row(knowhow, ts).answered_at is not None
    board = json.dumps(slack.command("/mentor", "scoreboard", user_id=ASKER).json()["blocks"], ensure_ascii=False)
    assert "Answered in help channels from earlier lessons: *1*" in board


def test_nothing_is_said_when_no_lesson_is_good_enough_or_the_message_asks_nothing(knowhow, slack, fake_slack, help_it):
    unanswered = say(slack, fake_slack, "Does anyone know a good Thai restaurant near the office?")
    thanks = say(slack, fake_slack, "Thanks everyone, that worked!")
    settle(knowhow)
    assert not ephemerals(fake_slack)
    assert row(knowhow, unanswered).state == "nothing"
    assert row(knowhow, thanks) is None  # not a question: nothing kept


def test_a_thread_a_colleague_already_answered_gets_nothing(knowhow, slack, fake_slack, help_it):
    question = fake_slack.add_message(HELP, user=ASKER, text=COVERED)
    fake_slack.add_message(HELP, user=COLLEAGUE, text="Use rotate-keys, in the ops repo", thread_ts=question["ts"])
    assert slack.event(message_event(question, HELP)).status == 200
    settle(knowhow)
    assert not ephemerals(fake_slack)
    assert row(knowhow, question["ts"]).state == "answered"


def test_a_paused_channel_gets_nothing_until_it_is_resumed(knowhow, slack, fake_slack, help_it):
    assert "Only admins" in ask_cmd(slack, f"channels pause <#{HELP}|help-it>", user=ASKER)["text"]
    assert "Paused" in ask_cmd(slack, f"channels pause <#{HELP}|help-it>")["text"]
    assert "paused" in ask_cmd(slack, "channels", user=ASKER)["text"]
    while_paused = say(slack, fake_slack, COVERED)
    settle(knowhow)
    assert not ephemerals(fake_slack) and row(knowhow, while_paused) is None
    assert "on again" in ask_cmd(slack, f"channels resume <#{HELP}|help-it>")["text"]
    say(slack, fake_slack, COVERED)
    fake_slack.wait_for("chat.postEphemeral")


def test_dont_suggest_to_me_stops_suggestions_to_that_person_only(knowhow, slack, fake_slack, help_it):
    say(slack, fake_slack, COVERED)
    [shown] = fake_slack.wait_for("chat.postEphemeral")
    stop = next(b for b in buttons(shown) if b["action_id"] == ids.HELP_STOP)
    assert "won't suggest" in click(slack, fake_slack, stop)["text"]
    with session_scope(knowhow.engine) as s:
        assert s.get(HelperPreference, ("T0FAKETEAM", ASKER)).help_suggestions_off is True
    again = say(slack, fake_slack, "Is there a way to rotate the staging API keys myself?")
    say(slack, fake_slack, COVERED, user=COLLEAGUE)  # others still get them
    _wait_until(lambda: len(ephemerals(fake_slack, COLLEAGUE)) == 1)
    settle(knowhow)
    assert len(ephemerals(fake_slack)) == 1 and row(knowhow, again) is None
    assert "on again" in ask_cmd(slack, "suggestions on", user=ASKER)["text"]
    say(slack, fake_slack, "How do I rotate the staging API keys?")
    _wait_until(lambda: len(ephemerals(fake_slack)) == 2)


def reaction(user: str, channel: str, ts: str, item_user: str, name: str = "white_check_mark") -> dict:
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": name,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "item_user": item_user,
        "event_ts": ts,
    }


def test_the_askers_checkmark_on_a_reply_offers_to_save_it_once_per_thread(knowhow, slack, fake_slack, help_it):
    question = fake_slack.add_message(HELP, user=ASKER, text="Where is the VPN config for Linux?")
    first = fake_slack.add_message(HELP, user=COLLEAGUE, text="In the IT wiki", thread_ts=question["ts"])
    second = fake_slack.add_message(HELP, user=ADMIN, text="Also in #it-docs", thread_ts=question["ts"])
    # Not the asker's mark, not on a reply, not a checkmark, not a help channel: nothing offered.
    slack.event(reaction(COLLEAGUE, HELP, first["ts"], COLLEAGUE))
    slack.event(reaction(ASKER, HELP, question["ts"], ASKER))
    slack.event(reaction(ASKER, HELP, first["ts"], COLLEAGUE, name="eyes"))
    other = fake_slack.add_message(ELSEWHERE, user=ASKER, text="Where is the printer?")
    elsewhere = fake_slack.add_message(ELSEWHERE, user=COLLEAGUE, text="2nd floor", thread_ts=other["ts"])
    slack.event(reaction(ASKER, ELSEWHERE, elsewhere["ts"], COLLEAGUE))
    settle(knowhow)
    assert not ephemerals(fake_slack)

    assert slack.event(reaction(ASKER, HELP, first["ts"], COLLEAGUE)).status == 200
    [offer] = fake_slack.wait_for("chat.postEphemeral")
    assert offer.args["user"] == ASKER and offer.args["thread_ts"] == question["ts"]
    [button] = buttons(offer)
    assert button["action_id"] == ids.LESSON_SAVE_OFFER == "lesson_save_offer"
    assert json.loads(button["value"]) == {"c": HELP, "t": question["ts"], "a": first["ts"]}
    # Another mark in the same thread: the offer was made, once.
    slack.event(reaction(ASKER, HELP, second["ts"], ADMIN, name="heavy_check_mark"))
    settle(knowhow)
    assert len(ephemerals(fake_slack)) == 1
    assert row(knowhow, question["ts"]).save_offered_at is not None


def test_the_offer_made_on_a_checkmark_saves_the_marked_answer_as_a_lesson(knowhow, slack, fake_slack, help_it):
    """The loop closed end to end: the asker marks a colleague's reply, takes Knowhow's offer, and
    the form it opens holds their question and that reply; saved, it is a lesson found at once."""
    from tests.edge.test_http_lessons import boxes, lessons, submit

    question = fake_slack.add_message(HELP, user=ASKER, text="Where is the VPN config for Linux laptops?")
    fake_slack.add_message(HELP, user=ADMIN, text="Ask in #it-docs", thread_ts=question["ts"])
    marked = fake_slack.add_message(HELP, user=COLLEAGUE, text="In the IT wiki, under Linux", thread_ts=question["ts"])
    slack.event(reaction(ASKER, HELP, marked["ts"], COLLEAGUE))
    [offer] = fake_slack.wait_for("chat.postEphemeral")
    [button] = buttons(offer)
    before = len(fake_slack.calls_to("views.open"))
    payload = slack.block_actions_payload(
        user=ASKER, action_id=button["action_id"], value=button["value"], is_ephemeral=True, channel=HELP
    )
    assert slack.interaction(payload).status == 200
    fake_slack.wait_for("views.open", before + 1)
    view = list(fake_slack.views.values())[-1]
    found = boxes(view)
    assert found[ids.LESSON_IN_QUESTION].startswith("Where is the VPN config for Linux laptops?")
    assert found[ids.LESSON_IN_ANSWER].startswith("In the IT wiki, under Linux")  # the reply marked
    submit(slack, view, user=ASKER)
    settle(knowhow)
    [lesson] = lessons(knowhow)
    assert lesson.saved_by == ASKER and lesson.asker_id == ASKER and lesson.message_ts == question["ts"]
