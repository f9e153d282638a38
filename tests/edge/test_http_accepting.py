"""Accepting an answer, as people meet it: who may (said on the post before anyone clicks), what
the form offers, what it says once sent, and the mark on the accepted reply in its thread; through
signed Slack requests against the stand-in."""

from __future__ import annotations

import json

from bot import ids

from ..settle import settle
from .conftest import QA_CHANNEL
from .test_http_ask import _wait_until
from .test_http_knowledge import ASKER, HELPER, _accept_button, current, post_of, reply, shown, submit

SECOND = "U0HELPER02"
FIRST_ANSWER = "Run rotate-keys in the ops repo, then restart the API pods one at a time so nobody notices the switch."
SECOND_ANSWER = "Ask the platform team on their channel: they rotate the staging keys every quarter anyway."


def _question_with_two_answers(knowhow, slack, fake_slack):
    """A posted question with two replies, each also in the stand-in's channel (so it can be reacted
    to), both recorded as answers (a reply is recorded after its ack)."""
    slack.command(
        "/ask", "How do I rotate the staging API keys?", user_id=ASKER, response_url=fake_slack.response_url("ask")
    )
    [post] = post_of(fake_slack)
    answers = []
    for n, (user, text) in enumerate(((HELPER, FIRST_ANSWER), (SECOND, SECOND_ANSWER)), start=1):
        ts = f"{float(post['ts']) + n:.6f}"
        fake_slack.add_message(QA_CHANNEL, user=user, text=text, ts=ts, thread_ts=post["ts"])
        answers.append(reply(slack, fake_slack, post, user=user, text=text, ts=ts))
    _wait_until(lambda: "Answered" in shown(current(fake_slack, post)))
    settle(knowhow)  # the second reply too: "Answered" shows once the first is recorded
    return post, answers


def _open_accept_form(slack, fake_slack, post, user=ASKER):
    before = len(fake_slack.calls_to("views.open"))
    slack.interaction(
        slack.block_actions_payload(
            user=user,
            action_id=ids.ASK_ACCEPT_OPEN,
            value=_accept_button(current(fake_slack, post))["value"],
            message=current(fake_slack, post),
            channel=QA_CHANNEL,
            response_url=fake_slack.response_url(f"accept-{before}"),
        )
    )
    return fake_slack.wait_for("views.open", before + 1)[-1].args["view"]


def _shortcut(slack, fake_slack, post, ts, author, text, user=ASKER, name="shortcut"):
    message = {"type": "message", "user": author, "text": text, "ts": ts, "thread_ts": post["ts"]}
    slack.interaction(
        slack.message_action_payload(
            user=user,
            callback_id=ids.ACCEPT_ANSWER_SHORTCUT,
            message=message,
            channel=QA_CHANNEL,
            response_url=fake_slack.response_url(name),
        )
    )


def _marked(fake_slack, ts) -> bool:
    reactions = (fake_slack.message(QA_CHANNEL, ts) or {}).get("reactions") or []
    return any(r["name"] == "white_check_mark" and fake_slack.bot_user_id in r["users"] for r in reactions)


def test_the_form_names_who_wrote_each_answer_and_cuts_it_at_a_word(knowhow, slack, fake_slack):
    post, (first, second) = _question_with_two_answers(knowhow, slack, fake_slack)
    form = _open_accept_form(slack, fake_slack, post)
    [element] = [b["element"] for b in form["blocks"] if b["type"] == "input"]
    options = {o["value"]: o for o in element["options"]}
    assert list(options) == [first, second]
    for ts, author, text in ((first, HELPER, FIRST_ANSWER), (second, SECOND, SECOND_ANSWER)):
        label, more = options[ts]["text"]["text"], options[ts]["description"]["text"]
        assert label.startswith(f"<@{author}>: ") and len(label) <= 75 and len(more) <= 75
        shown_words = (label.split(": ", 1)[1] + " " + more).replace("…", " ").split()
        assert shown_words == text.split()[: len(shown_words)]  # whole words, in order, nothing repeated
        assert label.endswith("…")  # cut at a word's end, and says so
    assert "initial_option" not in element  # nothing accepted yet


def test_accepting_with_the_button_confirms_as_the_shortcut_does_and_marks_the_reply(knowhow, slack, fake_slack):
    post, (first, second) = _question_with_two_answers(knowhow, slack, fake_slack)
    form = _open_accept_form(slack, fake_slack, post)
    answer = submit(slack, form, {ids.ACCEPT_MODAL_ANSWER: first}).json()
    assert answer["response_action"] == "update"
    said = json.dumps(answer["view"])
    assert "Accepted" in said and "resolved" in said
    _wait_until(lambda: _marked(fake_slack, first))  # marked in its thread
    _wait_until(lambda: "Resolved" in shown(current(fake_slack, post)))

    # Accepting the other one (the shortcut) moves the mark.
    _shortcut(slack, fake_slack, post, second, SECOND, SECOND_ANSWER)
    _wait_until(lambda: _marked(fake_slack, second))
    _wait_until(lambda: not _marked(fake_slack, first))
    said_by_shortcut = fake_slack.wait_for("response_url")[-1].args["text"]
    assert said_by_shortcut in said  # the same words either way
    settle(knowhow)
    assert [c.args["timestamp"] for c in fake_slack.calls_to("reactions.add")] == [first, second]


def test_the_post_says_who_may_accept_and_a_resolved_one_offers_to_change_it(knowhow, slack, fake_slack):
    post, (_first, second) = _question_with_two_answers(knowhow, slack, fake_slack)
    answered = shown(current(fake_slack, post))
    assert "Only the asker, an expert in its topics or an admin can accept" in answered
    assert _accept_button(current(fake_slack, post))["text"]["text"] == "Accept an answer"

    _shortcut(slack, fake_slack, post, second, SECOND, SECOND_ANSWER)
    _wait_until(lambda: "Resolved" in shown(current(fake_slack, post)))
    assert _accept_button(current(fake_slack, post))["text"]["text"] == "Change the accepted answer"

    # The form, opened on a resolved question, has the accepted answer chosen.
    form = _open_accept_form(slack, fake_slack, post)
    [element] = [b["element"] for b in form["blocks"] if b["type"] == "input"]
    assert element["initial_option"]["value"] == second
    # Sent unchanged, it says so (and changes nothing).
    answer = submit(slack, form, {}).json()
    assert answer["response_action"] == "update" and "already the accepted one" in json.dumps(answer["view"])
