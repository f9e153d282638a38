"""What an attacker or a clumsy person can send through a correctly signed request: ids that are not
ids (huge numbers, junk) on buttons, in forms and after commands; NUL and other control characters
in any text; a question made only of invisible characters; a refused form naming new topics.
Each gets a clear, private answer and changes nothing it should not, the same on both databases."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from bot import ids
from storage.db import session_scope
from storage.models import Answer, Question, Topic

from ..settle import settle
from .conftest import QA_CHANNEL
from .test_http_ask import _wait_until, ask
from .test_http_knowledge import open_form, post_of, submit

ASKER = "U0STUDENT1"
NOT_IDS = [str(2**31), str(2**63), "junk", "0", "²", ""]


def _questions(knowhow):
    with session_scope(knowhow.engine) as s:
        return list(s.exec(select(Question).order_by(Question.id)))


def _told(fake_slack, name: str) -> dict:
    """What Knowhow said through the response_url named `name`."""
    _wait_until(lambda: any(c.path.endswith(f"/{name}") for c in fake_slack.calls_to("response_url")))
    return [c for c in fake_slack.calls_to("response_url") if c.path.endswith(f"/{name}")][-1].args


def _says_not_valid(said: dict) -> None:
    assert "isn't valid" in said["text"], said
    assert "try again in a minute" not in said["text"]
    assert said.get("response_type", "ephemeral") == "ephemeral" and said.get("replace_original") is not True


# -- ids from outside ----------------------------------------------------------------------------


BUTTONS = [
    (ids.ASK_ACCEPT_OPEN, "{}"),
    (ids.ASK_POST_ANYWAY, '{{"q": {}}}'),
    (ids.ASK_THIS_ANSWERS_IT, '{{"q": 1, "by": {}}}'),
    (ids.ASK_EDIT_HELD, '{{"q": {}}}'),
    (ids.MENTOR_CHOOSE, "{}:1:U0MENTOR01"),
    (ids.MENTOR_ACCEPT, "{}"),
    (ids.MENTOR_DECLINE, "{}"),
    (f"{ids.MENTOR_MET}_yes", "{}"),
    (ids.MENTOR_OPEN_WRAP_UP, "{}"),
    (ids.SESSION_TAKE_OVER, "{}:U0EXPERT01"),
]


@pytest.mark.parametrize("value", [str(2**31), str(10**30), "junk"])
@pytest.mark.parametrize("action_id, template", BUTTONS, ids=[b[0] for b in BUTTONS])
def test_a_button_whose_id_is_not_one_is_told_privately(knowhow, slack, fake_slack, action_id, template, value):
    in_json = template.startswith("{{") and not value.isdigit()
    shown_value = template.format(json.dumps(value) if in_json else value)
    payload = slack.block_actions_payload(
        user=ASKER, action_id=action_id, value=shown_value, response_url=fake_slack.response_url("click")
    )
    assert slack.interaction(payload).status == 200
    _says_not_valid(_told(fake_slack, "click"))
    settle(knowhow)
    assert _questions(knowhow) == []


@pytest.mark.parametrize("value", [str(2**63), str(10**30), "junk"])
def test_a_date_picker_on_a_question_that_is_not_one_is_told_privately(knowhow, slack, fake_slack, value):
    payload = slack.block_actions_payload(
        user=ASKER,
        action_id=ids.SESSION_DEFER,
        block_id=f"defer:{value}",
        action_type="datepicker",
        response_url=fake_slack.response_url("click"),
    )
    payload["actions"][0]["selected_date"] = "2031-01-06"
    assert slack.interaction(payload).status == 200
    _says_not_valid(_told(fake_slack, "click"))


@pytest.mark.parametrize("value", NOT_IDS)
def test_the_mentor_withdraw_button_with_a_bad_request_id_shows_the_center_again(knowhow, slack, fake_slack, value):
    """The Withdraw button is in the Mentor Center (a modal, with no response_url): the center is
    shown again, saying that button was not valid, and where the person's requests stand."""
    assert slack.command("/mentor", "", user_id=ASKER).status == 200
    fake_slack.wait_for("views.open")
    center = list(fake_slack.views.values())[-1]
    payload = slack.block_actions_payload(
        user=ASKER, action_id=ids.MENTOR_WITHDRAW, value=value, container="view", view=center
    )
    assert slack.interaction(payload).status == 200
    [update] = fake_slack.wait_for("views.update")
    assert update.args["view_id"] == center["id"] and "isn't valid" in json.dumps(update.args["view"])


@pytest.mark.parametrize("number", ["99999999999999999999", str(2**31), str(2**63), "0", "-3", "²"])
def test_expert_cancel_with_a_number_that_is_no_session_number_says_so(knowhow, slack, number):
    body = slack.command("/expert", f"cancel {number}").json()
    assert body["response_type"] == "ephemeral"
    assert "isn't valid" in body["text"] and "/expert list" in body["text"]


@pytest.mark.parametrize("offset", [10**30, "junk", -1])
def test_a_more_button_with_an_offset_that_is_not_one_says_so(knowhow, slack, fake_slack, offset):
    payload = slack.block_actions_payload(
        user=ASKER,
        action_id=ids.ASK_SEARCH_MORE,
        value=json.dumps({"q": "vpn", "o": offset}),
        response_url=fake_slack.response_url("more"),
    )
    assert slack.interaction(payload).status == 200
    _says_not_valid(_told(fake_slack, "more"))


@pytest.mark.parametrize("metadata", ['{"q": 9223372036854775808}', '{"q": 1e400}', '{"q": "x"}', "not json"])
def test_the_accept_form_with_a_question_that_is_not_one_says_so_on_the_form(knowhow, slack, metadata):
    view = {
        "id": "V0ACCEPT01",
        "type": "modal",
        "callback_id": ids.ACCEPT_MODAL,
        "private_metadata": metadata,
        "blocks": [
            {
                "type": "input",
                "block_id": ids.ACCEPT_MODAL_ANSWER,
                "element": {"type": "radio_buttons", "action_id": ids.ACCEPT_MODAL_ANSWER, "options": []},
                "label": {"type": "plain_text", "text": "Answer"},
            }
        ],
    }
    values = {
        ids.ACCEPT_MODAL_ANSWER: {
            ids.ACCEPT_MODAL_ANSWER: {
                "type": "radio_buttons",
                "selected_option": {"text": {"type": "plain_text", "text": "a"}, "value": "1754500000.000200"},
            }
        }
    }
    response = slack.interaction(slack.view_submission_payload(user=ASKER, view=view, values=values))
    assert response.status == 200
    body = response.json()
    assert body["response_action"] == "errors" and "isn't valid" in body["errors"][ids.ACCEPT_MODAL_ANSWER]


# -- control characters ---------------------------------------------------------------------------


def test_a_question_with_nul_and_control_characters_is_posted_without_them(knowhow, slack, fake_slack):
    response, post = ask(slack, fake_slack, "Why does the build\x00 fail\x07 on\x1b main?\tIt\r\nstops.")
    assert response.status == 200 and "try again" not in response.body.decode()
    [question] = _questions(knowhow)
    assert question.text == "Why does the build fail on main?\tIt\r\nstops."
    assert "\x00" not in json.dumps(post.args)


def test_a_thread_reply_with_nul_is_kept_as_an_answer(knowhow, slack, fake_slack):
    ask(slack, fake_slack, "How do I rotate the API keys?")
    _wait_until(lambda: _questions(knowhow)[0].message_ts is not None)
    thread = _questions(knowhow)[0].message_ts
    reply = slack.thread_reply(
        channel=QA_CHANNEL, thread_ts=thread, ts="1754500000.000200", user="U0HELPER", text="Use\x00 the vault CLI"
    )
    assert slack.event(reply).status == 200
    settle(knowhow)
    with session_scope(knowhow.engine) as s:
        [answer] = s.exec(select(Answer)).all()
        assert answer.text == "Use the vault CLI"


def test_the_form_with_nul_in_every_box_posts_the_question_without_it(knowhow, slack, fake_slack):
    view = open_form(slack, fake_slack)
    response = submit(
        slack,
        view,
        {
            ids.ASK_MODAL_QUESTION: "Why\x00 does the deploy hang?",
            ids.ASK_MODAL_DETAILS: "At helm\x00 upgrade",
            ids.ASK_MODAL_TOPICS: ["new:Kube\x00rnetes"],
        },
    )
    assert response.status == 200 and response.json()["response_action"] == "update"
    [post] = post_of(fake_slack)
    assert "\\u0000" not in json.dumps(post)
    [question] = _questions(knowhow)
    assert (question.text, question.details) == ("Why does the deploy hang?", "At helm upgrade")
    with session_scope(knowhow.engine) as s:
        assert [t.name for t in s.exec(select(Topic))] == ["Kubernetes"]


# -- invisible questions ----------------------------------------------------------------------------

INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200b\u200c\u200d",  # and the zero-width non-joiner and joiner
    "\u2060\ufeff",  # word joiner, byte order mark
    "\u00ad\u180e",  # soft hyphen, Mongolian vowel separator
    "\u3164\u115f",  # Hangul fillers
    "\u2800",  # Braille blank
    "\u3000\u00a0\u202f",  # ideographic, no-break and narrow no-break spaces
    "\u2062\u2063\u2064",  # invisible times, separator, plus
    "\U000e0020\U000e007f",  # tag space, cancel tag
    "\u200e\u200f\u202a\u202c",  # direction marks and embeddings
    "\x00\x01",  # control characters only
]


@pytest.mark.parametrize("text", INVISIBLE, ids=[t.encode("unicode_escape").decode() for t in INVISIBLE])
def test_a_question_of_only_invisible_characters_is_not_posted(knowhow, slack, fake_slack, text):
    """`/ask` followed by nothing that shows is `/ask` alone: the form opens, to write the question in."""
    response = slack.command("/ask", f"{text} {text}", response_url=fake_slack.response_url("ask"))
    assert response.status == 200
    [opened] = fake_slack.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == ids.ASK_MODAL
    settle(knowhow)
    assert _questions(knowhow) == [] and fake_slack.messages[QA_CHANNEL] == []


@pytest.mark.parametrize("text", INVISIBLE[:4], ids=[t.encode("unicode_escape").decode() for t in INVISIBLE[:4]])
def test_the_form_with_a_question_of_only_invisible_characters_stays_open(knowhow, slack, fake_slack, text):
    view = open_form(slack, fake_slack)
    body = submit(slack, view, {ids.ASK_MODAL_QUESTION: text}).json()
    assert body["response_action"] == "errors" and "Write your question" in body["errors"][ids.ASK_MODAL_QUESTION]
    settle(knowhow)
    assert _questions(knowhow) == []


def test_a_question_with_words_and_invisible_characters_is_posted_with_them(knowhow, slack, fake_slack):
    """Only a question with nothing visible is refused: a joiner inside an emoji or a word stays."""
    text = "Who owns the 👩\u200d💻 dev\u00adportal?"
    ask(slack, fake_slack, text)
    assert [q.text for q in _questions(knowhow)] == [text]


# -- a refused form writes nothing --------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers",
    [
        {ids.ASK_MODAL_QUESTION: "   ", ids.ASK_MODAL_TOPICS: ["new:Terraform"]},
        {ids.ASK_MODAL_QUESTION: "\u200b", ids.ASK_MODAL_TOPICS: ["new:Terraform"]},
        {ids.ASK_MODAL_QUESTION: "Fine", ids.ASK_MODAL_TOPICS: ["new:Terraform", "new:" + "x" * 60]},
        {ids.ASK_MODAL_QUESTION: "Fine", ids.ASK_MODAL_TOPICS: ["new:Terraform", "new:#!?"]},
        {ids.ASK_MODAL_QUESTION: "<&>" * 1000, ids.ASK_MODAL_TOPICS: ["new:Terraform"]},
        {ids.ASK_MODAL_QUESTION: "Fine", ids.ASK_MODAL_TOPICS: [f"new:t{n}" for n in range(6)]},
    ],
)
def test_a_refused_form_creates_no_topic(knowhow, slack, fake_slack, answers):
    view = open_form(slack, fake_slack)
    body = submit(slack, view, answers).json()
    assert body["response_action"] == "errors"
    settle(knowhow)
    with session_scope(knowhow.engine) as s:
        assert s.exec(select(Topic)).all() == []
    assert _questions(knowhow) == []
