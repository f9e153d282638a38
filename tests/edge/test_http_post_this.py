"""The private "post this?" step: a very short or very long `/ask` (or form) question is shown to its
asker before it reaches the channel, to post as it is, edit in the form, or cancel; through signed
Slack requests against the stand-in."""

from __future__ import annotations

import json

from bot import ids
from storage.db import session_scope

from ..settle import settle
from .conftest import QA_CHANNEL
from .test_http_ask import ASKER, _questions, _wait_until
from .test_http_knowledge import open_form, post_of, submit


def _buttons(blocks) -> dict[str, dict]:
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def _said(fake_slack, name: str) -> list:
    return [c for c in fake_slack.calls_to("response_url") if c.path.endswith("/" + name)]


def _review(slack, fake_slack, text, name="ask"):
    """`/ask text`; wait for what replaces its ack (the "post this?" step); return that call's args."""
    ack = slack.command("/ask", text, user_id=ASKER, response_url=fake_slack.response_url(name)).json()
    assert ack["response_type"] == "ephemeral"
    _wait_until(lambda: _said(fake_slack, name))
    return _said(fake_slack, name)[-1].args


def _click(slack, fake_slack, button, name, user=ASKER):
    slack.interaction(
        slack.block_actions_payload(
            user=user,
            action_id=button["action_id"],
            value=button["value"],
            is_ephemeral=True,
            response_url=fake_slack.response_url(name),
        )
    )


def test_a_one_word_ask_is_shown_privately_first_and_posted_once_on_post_it(knowhow, slack, fake_slack):
    # Slack delivers the command twice (a retry): one question, one private step, nothing posted.
    body = slack.command_body("/ask", "foo", user_id=ASKER, response_url=fake_slack.response_url("ask"))
    for _ in range(2):
        assert slack.send_signed(body, "application/x-www-form-urlencoded").status == 200
    _wait_until(lambda: _said(fake_slack, "ask"))
    settle(knowhow)
    assert len(_said(fake_slack, "ask")) == 1
    shown = _said(fake_slack, "ask")[0].args
    assert fake_slack.calls_to("chat.postMessage") == []  # nothing reached the channel
    assert shown["response_type"] == "ephemeral" and shown["replace_original"] is True  # replaces "Got it…"
    blocks = json.dumps(shown["blocks"])
    assert f"Post this in <#{QA_CHANNEL}>?" in blocks and "> foo" in blocks and "1 word" in blocks
    buttons = _buttons(shown["blocks"])
    assert [b["text"]["text"] for b in buttons.values()] == ["Post it", "Edit it in the form", "Cancel"]
    [question] = _questions(knowhow)
    assert question.status == "held"

    # "Post it", clicked twice (and Slack retrying a click): posted once, confirmed in place of the step.
    _click(slack, fake_slack, buttons[ids.ASK_POST_ANYWAY], "post-it")
    _click(slack, fake_slack, buttons[ids.ASK_POST_ANYWAY], "post-it-again")
    [post] = post_of(fake_slack)
    _wait_until(lambda: any("is posted" in c.args["text"] for c in _said(fake_slack, "post-it")))
    settle(knowhow)
    assert "foo" in json.dumps(post["blocks"]) and len(post_of(fake_slack)) == 1
    assert "already chose" in _said(fake_slack, "post-it-again")[-1].args["text"]


def test_cancel_posts_nothing_and_gives_the_text_back(knowhow, slack, fake_slack):
    shown = _review(slack, fake_slack, "kubectl get pods -n staging")
    buttons = _buttons(shown["blocks"])
    _click(slack, fake_slack, buttons[ids.ASK_CANCEL_HELD], "cancel")
    _wait_until(lambda: _said(fake_slack, "cancel"))
    told = _said(fake_slack, "cancel")[-1].args
    assert told["replace_original"] is True and "nothing was posted" in told["text"]
    assert "kubectl get pods -n staging" in json.dumps(told["blocks"])
    assert _questions(knowhow)[0].status == "withdrawn"
    # The step's other buttons no longer post it.
    _click(slack, fake_slack, buttons[ids.ASK_POST_ANYWAY], "late")
    _wait_until(lambda: _said(fake_slack, "late"))
    settle(knowhow)
    assert fake_slack.calls_to("chat.postMessage") == []
    # The Home leaves a cancelled question out.
    from core.clock import utcnow
    from core.home import picture

    with session_scope(knowhow.engine) as s:
        mine = picture(s, team_id="T0FAKETEAM", user_id=ASKER, now=utcnow())
    assert mine.questions == [] and mine.asked == 0


def test_edit_opens_the_form_prefilled_and_the_edited_question_replaces_the_first(knowhow, slack, fake_slack):
    shown = _review(slack, fake_slack, "VPN broken")
    _click(slack, fake_slack, _buttons(shown["blocks"])[ids.ASK_EDIT_HELD], "edit")
    fake_slack.wait_for("views.open")
    form = list(fake_slack.views.values())[-1]
    assert form["callback_id"] == ids.ASK_MODAL
    boxes = {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert boxes[ids.ASK_MODAL_QUESTION]["initial_value"] == "VPN broken"
    settle(knowhow)
    assert _questions(knowhow)[0].status == "held"  # opening the form changes nothing yet

    submit(slack, form, {ids.ASK_MODAL_QUESTION: "Is the VPN broken for everyone since this morning?"})
    [post] = post_of(fake_slack)
    assert "since this morning" in json.dumps(post["blocks"])
    # Confirmed in place of the "post this?" step (the click's response_url).
    _wait_until(lambda: any("is posted" in c.args["text"] for c in _said(fake_slack, "edit")))
    assert [c.args["replace_original"] for c in _said(fake_slack, "edit") if "is posted" in c.args["text"]] == [True]
    first, edited = _questions(knowhow)
    assert (first.status, edited.status) == ("withdrawn", "posted")
    settle(knowhow)
    assert len(post_of(fake_slack)) == 1


def _prose(chars: int) -> str:
    sentences, n = [], 0
    while sum(len(s) + 1 for s in sentences) < chars:
        n += 1
        sentences.append(f"Step {n} of our build restores the cache, which takes a while on Mondays.")
    return " ".join(sentences)[:chars].rsplit(".", 1)[0] + "."


def test_a_6000_character_ask_is_shown_first_and_posted_in_blocks_cut_at_sentence_ends(knowhow, slack, fake_slack):
    text = "Why is our CI so slow?\n\n" + _prose(6000)
    shown = _review(slack, fake_slack, text)
    blocks = json.dumps(shown["blocks"])
    assert f"{len(text):,} characters" in blocks and "3 parts" in blocks
    buttons = _buttons(shown["blocks"])
    # More than the form's two boxes hold: no "Edit it in the form" that would drop some of it.
    assert set(buttons) == {ids.ASK_POST_ANYWAY, ids.ASK_CANCEL_HELD} and "too long for the form" in blocks

    # "Post it": posted as typed, in sections that each end at a paragraph or a sentence.
    _click(slack, fake_slack, buttons[ids.ASK_POST_ANYWAY], "post-it")
    [post] = post_of(fake_slack)
    sections = [b["text"]["text"] for b in post["blocks"] if b["type"] == "section"]
    assert len(sections) == 3 and all(len(s) <= 3000 for s in sections)
    assert all(s.rstrip().endswith(("?", ".")) for s in sections)
    assert " ".join(" ".join(sections).split()) == " ".join(text.split())  # nothing lost


def test_a_long_ask_is_edited_in_the_form_as_a_short_question_and_details(knowhow, slack, fake_slack):
    text = "Why is our CI so slow?\n\n" + _prose(2990)
    shown = _review(slack, fake_slack, text)
    _click(slack, fake_slack, _buttons(shown["blocks"])[ids.ASK_EDIT_HELD], "edit")
    fake_slack.wait_for("views.open")
    form = list(fake_slack.views.values())[-1]
    boxes = {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert boxes[ids.ASK_MODAL_QUESTION]["initial_value"] == "Why is our CI so slow?"
    assert boxes[ids.ASK_MODAL_DETAILS]["initial_value"] == _prose(2990)


def test_a_question_that_reads_as_one_is_posted_without_the_step(knowhow, slack, fake_slack):
    slack.command("/ask", "Where are the fire exits?", user_id=ASKER, response_url=fake_slack.response_url("ask"))
    [post] = post_of(fake_slack)
    assert "fire exits" in json.dumps(post["blocks"])
    _wait_until(lambda: any("is posted" in c.args["text"] for c in _said(fake_slack, "ask")))
    assert not any(c.args.get("blocks") for c in _said(fake_slack, "ask"))


def test_the_form_shows_the_step_in_place_and_edits_there(knowhow, slack, fake_slack):
    view = open_form(slack, fake_slack)
    submit(slack, view, {ids.ASK_MODAL_QUESTION: "foo"})
    [step] = fake_slack.wait_for("views.update")
    assert step.args["view_id"] == view["id"] and "Post this in" in step.block_text()
    buttons = _buttons(step.args["view"]["blocks"])
    assert set(buttons) == {ids.ASK_POST_ANYWAY, ids.ASK_EDIT_HELD, ids.ASK_CANCEL_HELD}
    shown = {**view, **step.args["view"], "id": view["id"]}
    slack.interaction(
        slack.block_actions_payload(
            user=ASKER,
            action_id=ids.ASK_EDIT_HELD,
            value=buttons[ids.ASK_EDIT_HELD]["value"],
            container="view",
            view=shown,
        )
    )
    again = fake_slack.wait_for("views.update", 2)[-1]
    assert again.args["view_id"] == view["id"] and again.args["view"]["callback_id"] == ids.ASK_MODAL
    form = fake_slack.views[view["id"]]
    submit(slack, form, {ids.ASK_MODAL_QUESTION: "How do I foo the bar in staging?"})
    [post] = post_of(fake_slack)
    assert "foo the bar" in json.dumps(post["blocks"])
    # Confirmed where /ask was typed, as after `/ask <text>` (the command's response_url, carried along).
    _wait_until(lambda: any("is posted" in c.args["text"] for c in _said(fake_slack, "form-0")))
    assert [q.status for q in _questions(knowhow)] == ["withdrawn", "posted"]


def test_edit_on_a_question_that_expired_says_it_was_not_posted_and_what_to_do(knowhow, slack, fake_slack):
    from datetime import timedelta

    from sqlalchemy import update

    from core import asking
    from core.clock import utcnow
    from storage.models import Question

    shown = _review(slack, fake_slack, "VPN broken")
    [held] = _questions(knowhow)
    with session_scope(knowhow.engine) as s:
        s.execute(
            update(Question)
            .where(Question.id == held.id)
            .values(created_at=utcnow() - asking.HELD_EXPIRES_AFTER - timedelta(minutes=1))
        )
        assert asking.expire_held(s, now=utcnow()) == [(held.team_id, held.id)]
    # A week later the asker clicks "Edit it in the form" on the old step: not "you already chose"
    # (they never did), but that it was not posted and how to ask again, with their text.
    _click(slack, fake_slack, _buttons(shown["blocks"])[ids.ASK_EDIT_HELD], "late-edit")
    _wait_until(lambda: _said(fake_slack, "late-edit"))
    said = json.dumps(_said(fake_slack, "late-edit")[-1].args)
    assert "already chose" not in said
    assert "not posted" in said and "/ask" in said and "VPN broken" in said
    assert not fake_slack.calls_to("views.open")
