""" "Save as a lesson" end to end, through signed Slack requests against the stand-in: the message
shortcut on a public thread's reply, in a private channel, in a DM between people (the form asks
first), saving twice, and the button Knowhow offers it with (ids.LESSON_SAVE_OFFER)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from bot import ids
from bot.cli import main as knowhow_cli
from bot.lessons.blocks import SHARE_MEMBERS, SHARE_NOT
from storage.db import session_scope
from storage.models import Answer, Channel, Question

from ..settle import settle

HELP = "C0HELPIT01"
SECRET = "C0SECRET01"
PEOPLE_DM = "D0PEOPLE01"
ASKER, HELPER, OTHER, SAVER, STRANGER = "U0ASKER001", "U0HELPER01", "U0OTHER001", "U0SAVER001", "U0STRANGER"
QUESTION = "How do I rotate the staging API keys? Asking <!here> in case <@U0HELPER01> knows"
ANSWER = "Run rotate-keys in the <https://git.example.com/ops|ops repo> &amp; restart the gateway"


def thread(fake_slack, channel=HELP):
    """A question and two replies in `channel`, as people wrote them: (parent, answer, other reply)."""
    parent = fake_slack.add_message(channel, user=ASKER, text=QUESTION)
    answer = fake_slack.add_message(channel, user=HELPER, text=ANSWER, thread_ts=parent["ts"])
    other = fake_slack.add_message(channel, user=OTHER, text="Also clear the vault cache", thread_ts=parent["ts"])
    for reply in (answer, other):
        reply["parent_user_id"] = ASKER  # as Slack gives a reply in a shortcut's payload
    return parent, answer, other


def use_shortcut(slack, fake_slack, message, channel=HELP, user=SAVER, channel_name=None):
    """The shortcut on `message`; returns the form it opened (None when none was)."""
    before = len(fake_slack.calls_to("views.open"))
    payload = slack.message_action_payload(
        user=user,
        callback_id=ids.LESSON_SAVE_SHORTCUT,
        message=message,
        channel=channel,
        channel_name=channel_name,
        response_url=fake_slack.response_url(f"lesson-{before}"),
    )
    response = slack.interaction(payload)
    assert response.status == 200 and not response.body
    calls = fake_slack.calls_to("views.open")
    if len(calls) == before:
        return None
    assert calls[-1].args["trigger_id"] == payload["trigger_id"]
    return list(fake_slack.views.values())[-1]


def submit(slack, view, answers=None, user=SAVER) -> dict:
    values = slack.view_state_values(view, answers or {})
    response = slack.interaction(slack.view_submission_payload(user=user, view=view, values=values))
    assert response.status == 200
    return response.json()


def boxes(view) -> dict:
    return {
        b["block_id"]: b["element"].get("initial_value")
        or [o["text"]["text"] for o in b["element"].get("initial_options") or []]
        or (b["element"].get("initial_option") or {}).get("value")
        for b in view["blocks"]
        if b["type"] == "input"
    }


def lessons(knowhow):
    with session_scope(knowhow.engine) as s:
        return list(s.exec(select(Question).where(Question.saved_by.is_not(None)).order_by(Question.id)))


def search(slack, text, channel, user=STRANGER) -> str:
    return json.dumps(slack.command("/ask", f"search {text}", user_id=user, channel_id=channel).json())


def suggested_to(slack, fake_slack, user, text, channel) -> str:
    """What a colleague's `/ask` from `channel` is answered with, once Knowhow looked for earlier answers."""
    before = len(fake_slack.calls_to("response_url"))
    slack.command("/ask", text, user_id=user, channel_id=channel, response_url=fake_slack.response_url(f"ask-{user}"))
    return json.dumps(fake_slack.wait_for("response_url", before + 1)[-1].args)


def test_a_public_threads_reply_saved_as_a_lesson_is_found_and_suggested(
    knowhow, slack, fake_slack, monkeypatch, capsys
):
    parent, answer, _other = thread(fake_slack)
    view = use_shortcut(slack, fake_slack, answer)
    assert view["callback_id"] == ids.LESSON_MODAL
    # Prefilled from the thread: the parent as the question, the reply the shortcut was used on as
    # the answer, editable as a person reads them (links by label and address, a person kept).
    assert fake_slack.calls_to("conversations.replies")[-1].args["ts"] == parent["ts"]
    assert boxes(view) == {
        ids.LESSON_IN_QUESTION: "How do I rotate the staging API keys? Asking @here in case <@U0HELPER01> knows",
        ids.LESSON_IN_ANSWER: "Run rotate-keys in the ops repo (https://git.example.com/ops) & restart the gateway",
        ids.ASK_MODAL_TOPICS: None,
    }
    shown = json.dumps(view["blocks"])
    assert f"Asked by <@{ASKER}>" in shown and f"Answer by <@{HELPER}>" in shown
    assert lessons(knowhow) == []  # nothing is stored until the form is sent

    answered = submit(slack, view, {ids.ASK_MODAL_TOPICS: ["new:Security"]})
    assert answered["response_action"] == "update" and "Saved as a lesson" in json.dumps(answered["view"])
    [lesson] = lessons(knowhow)  # stored by the ack
    assert (lesson.asker_id, lesson.saved_by, lesson.channel_id, lesson.message_ts) == (
        ASKER,
        SAVER,
        HELP,
        parent["ts"],
    )
    # Never a ping: the crowd ping is inert; the person stays named.
    assert "<!here>" not in lesson.text and "@\u2060here" in lesson.text and "<@U0HELPER01>" in lesson.text
    settle(knowhow)  # after the ack: its link, whether the channel is public, the thread's other reply
    with session_scope(knowhow.engine) as s:
        lesson = s.get(Question, lesson.id)
        assert lesson.permalink and lesson.permalink.endswith(f"/archives/{HELP}/p{parent['ts'].replace('.', '')}")
        assert s.get(Channel, (lesson.team_id, HELP)).private is False
        answers = {a.author_id: a for a in s.exec(select(Answer).where(Answer.question_id == lesson.id))}
        assert answers[HELPER].accepted_at is not None and answers[HELPER].accepted_by == SAVER
        assert (
            answers[HELPER].text
            == "Run rotate-keys in the ops repo (https://git.example.com/ops) &amp; restart the gateway"
        )
        assert answers[OTHER].accepted_at is None and answers[OTHER].text == "Also clear the vault cache"
    # Found by anyone, from anywhere, and suggested before a colleague's question is posted.
    assert "rotate the staging API keys" in search(slack, "rotate staging keys", "C0GENERAL1")
    told = suggested_to(slack, fake_slack, STRANGER, "How can I rotate the API keys for staging?", "C0GENERAL1")
    assert "answered this already" in told and "rotate-keys in the ops repo" in told
    # And `knowhow similar` ranks it.
    monkeypatch.setenv("DATABASE_URL", knowhow.settings.database_url)
    assert knowhow_cli(["similar", "--team", lesson.team_id, "--json", "rotate the staging API keys"]) == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["id"] == str(lesson.id)


def test_a_private_channels_lesson_is_shown_only_to_people_in_it(knowhow, slack, fake_slack):
    fake_slack.add_channel(SECRET, private=True)  # Knowhow was invited: it reads the thread
    _parent, answer, _ = thread(fake_slack, SECRET)
    view = use_shortcut(slack, fake_slack, answer, channel=SECRET)
    assert "only people searching or asking from this channel" in json.dumps(view["blocks"])
    submit(slack, view)
    settle(knowhow)
    [lesson] = lessons(knowhow)
    with session_scope(knowhow.engine) as s:
        assert s.get(Channel, (lesson.team_id, SECRET)).private is True
    assert "rotate the staging API keys" in search(slack, "rotate staging keys", SECRET)
    assert "rotate the staging API keys" not in search(slack, "rotate staging keys", "C0GENERAL1")
    # Another person's /ask elsewhere is not shown it: nothing good enough, so their question is posted.
    told = suggested_to(slack, fake_slack, STRANGER, "How can I rotate the API keys for staging?", "C0GENERAL1")
    assert "answered this already" not in told and "rotate-keys" not in told


def test_saving_from_a_dm_asks_first_and_a_no_saves_nothing(knowhow, slack, fake_slack):
    fake_slack.add_channel(PEOPLE_DM, without_bot=True)  # two people's DM: Knowhow cannot read it
    _parent, answer, _ = thread(fake_slack, PEOPLE_DM)
    view = use_shortcut(slack, fake_slack, answer, channel=PEOPLE_DM)
    assert fake_slack.calls_to("conversations.replies")[-1].args["channel"] == PEOPLE_DM  # tried, refused
    shown = json.dumps(view["blocks"])
    assert "This conversation is private" in shown and "Save it anyway?" in shown
    found = boxes(view)
    assert found[ids.LESSON_IN_SHARE] == SHARE_MEMBERS  # kept to the conversation unless the saver says otherwise
    assert found[ids.LESSON_IN_QUESTION] is None  # only the reply itself came with the shortcut
    assert found[ids.LESSON_IN_ANSWER].startswith("Run rotate-keys")
    assert f"Asked by <@{ASKER}>" in shown  # its parent's author, from the reply

    declined = submit(slack, view, {ids.LESSON_IN_SHARE: SHARE_NOT})
    assert declined["response_action"] == "update" and "Nothing was saved" in json.dumps(declined["view"])
    settle(knowhow)
    with session_scope(knowhow.engine) as s:
        assert s.exec(select(Question)).all() == [] and s.exec(select(Channel)).all() == []

    # The question is needed when Knowhow could not read it.
    refused = submit(slack, view)
    assert refused["response_action"] == "errors" and ids.LESSON_IN_QUESTION in refused["errors"]
    saved = submit(slack, view, {ids.LESSON_IN_QUESTION: "How do I rotate the staging API keys?"})
    assert "the people in that conversation only" in json.dumps(saved["view"])
    settle(knowhow)
    [lesson] = lessons(knowhow)
    assert (lesson.channel_id, lesson.asker_id) == (PEOPLE_DM, ASKER)
    assert "rotate the staging API keys" in search(slack, "rotate staging keys", PEOPLE_DM)
    assert "rotate the staging API keys" not in search(slack, "rotate staging keys", "C0GENERAL1")


def test_saving_the_same_thread_twice_updates_it(knowhow, slack, fake_slack):
    _parent, answer, other = thread(fake_slack)
    submit(slack, use_shortcut(slack, fake_slack, answer))
    settle(knowhow)
    # Used again, on the other reply: the form says it was saved, and saving updates the one lesson.
    view = use_shortcut(slack, fake_slack, other, user=STRANGER)
    assert "saved as a lesson already" in json.dumps(view["blocks"])
    again = submit(slack, view, user=STRANGER)
    assert "Updated" in json.dumps(again["view"])
    settle(knowhow)
    [lesson] = lessons(knowhow)
    assert lesson.saved_by == SAVER
    with session_scope(knowhow.engine) as s:
        accepted = s.exec(select(Answer).where(Answer.question_id == lesson.id, Answer.accepted_at.is_not(None))).all()
        assert [a.author_id for a in accepted] == [OTHER]
        assert len(s.exec(select(Answer).where(Answer.question_id == lesson.id)).all()) == 2


def test_a_thread_that_is_a_knowhow_question_is_pointed_to_accept_as_answer(knowhow, slack, fake_slack):
    from .conftest import QA_CHANNEL
    from .test_http_knowledge import answered_question

    post, answer_ts = answered_question(knowhow, slack, fake_slack)
    reply = fake_slack.message(QA_CHANNEL, answer_ts) or {
        "ts": answer_ts,
        "thread_ts": post["ts"],
        "user": "U0HELPER01",
    }
    reply = {**reply, "thread_ts": post["ts"], "text": reply.get("text", "Run rotate-keys")}
    before = len(fake_slack.calls_to("response_url"))
    assert use_shortcut(slack, fake_slack, reply, channel=QA_CHANNEL) is None
    told = fake_slack.wait_for("response_url", before + 1)[-1].args
    assert "Accept as answer" in told["text"] and told["response_type"] == "ephemeral"
    assert lessons(knowhow) == []


@pytest.mark.parametrize("answer_given", [True, False])
def test_the_offer_button_opens_the_same_form_for_its_thread(knowhow, slack, fake_slack, answer_given):
    parent, _answer, other = thread(fake_slack)
    value = json.dumps({"c": HELP, "t": parent["ts"], "a": other["ts"] if answer_given else None})
    before = len(fake_slack.calls_to("views.open"))
    payload = slack.block_actions_payload(
        user=ASKER,
        action_id=ids.LESSON_SAVE_OFFER,
        value=value,
        channel="D0ASKER001",
        message={"type": "message", "ts": "1765000900.000100", "text": "Save it as a lesson?"},
    )
    assert slack.interaction(payload).status == 200
    call = fake_slack.wait_for("views.open", before + 1)[-1]
    assert call.args["trigger_id"] == payload["trigger_id"]
    view = list(fake_slack.views.values())[-1]
    found = boxes(view)
    assert found[ids.LESSON_IN_QUESTION].startswith("How do I rotate the staging API keys?")
    # The answer the offer names; without one, the thread's first reply by someone else than its asker.
    expected = "Also clear the vault cache" if answer_given else "Run rotate-keys in the ops repo"
    assert found[ids.LESSON_IN_ANSWER].startswith(expected)
    submit(slack, view, user=ASKER)
    settle(knowhow)
    [lesson] = lessons(knowhow)
    assert lesson.saved_by == ASKER and lesson.message_ts == parent["ts"]


def test_an_offer_with_a_broken_value_says_so_privately(knowhow, slack, fake_slack):
    before = len(fake_slack.calls_to("response_url"))
    payload = slack.block_actions_payload(
        user=ASKER, action_id=ids.LESSON_SAVE_OFFER, value="{not json", response_url=fake_slack.response_url("offer")
    )
    assert slack.interaction(payload).status == 200
    told = fake_slack.wait_for("response_url", before + 1)[-1].args
    assert "no longer works" in told["text"]
    assert fake_slack.calls_to("views.open") == []
