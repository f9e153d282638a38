"""The knowledge base end to end: the /ask form, suggestions before posting, accepting answers,
helper invitations and /expert topics, through signed Slack requests against the stand-in."""

from __future__ import annotations

import json
import time

import pytest

from bot import ids
from bot.text import WORD_JOINER
from fakeslack.answers import suggestion_problem
from storage.db import session_scope
from storage.models import Question

from ..settle import settle
from .conftest import QA_CHANNEL
from .test_http_ask import _questions, _wait_until

ASKER = "U0STUDENT1"
HELPER = "U0HELPER01"
STRANGER = "U0STRANGER"


def open_form(slack, fake_slack, user=ASKER):
    before = len(fake_slack.calls_to("views.open"))
    response = slack.command("/ask", "", user_id=user, response_url=fake_slack.response_url(f"form-{before}"))
    assert response.status == 200 and not response.body  # a plain ack: the form is the answer
    call = fake_slack.wait_for("views.open", before + 1)[-1]
    assert call.args["trigger_id"]
    return list(fake_slack.views.values())[-1]


def submit(slack, view, answers, user=ASKER):
    values = slack.view_state_values(view, answers)
    return slack.interaction(slack.view_submission_payload(user=user, view=view, values=values))


def post_of(fake_slack, count=1):
    """The question posts in the Q&A channel (top-level messages), oldest first."""
    _wait_until(lambda: len(fake_slack.messages[QA_CHANNEL]) >= count)
    return [m for m in fake_slack.messages[QA_CHANNEL] if "thread_ts" not in m]


def reply(slack, fake_slack, post, *, user=HELPER, text="Use the vault CLI", ts=None):
    # Knowhow knows its post once it asks for the post's permalink (after recording it): a reply
    # sooner than that would be a reply to a message Knowhow has not finished posting.
    _wait_until(lambda: any(c.args.get("message_ts") == post["ts"] for c in fake_slack.calls_to("chat.getPermalink")))
    ts = ts or f"{float(post['ts']) + 1:.6f}"
    assert (
        slack.event(slack.thread_reply(channel=QA_CHANNEL, thread_ts=post["ts"], ts=ts, user=user, text=text)).status
        == 200
    )
    return ts


def current(fake_slack, post):
    return fake_slack.message(QA_CHANNEL, post["ts"])


def shown(message) -> str:
    return json.dumps(message.get("blocks") or [], ensure_ascii=False) + message.get("text", "")


def answered_question(
    knowhow, slack, fake_slack, text="How do I rotate the staging API keys?", answer="Run rotate-keys in the ops repo"
):
    slack.command("/ask", text, user_id=ASKER, response_url=fake_slack.response_url("ask"))
    [post] = post_of(fake_slack)[-1:]
    answer_ts = reply(slack, fake_slack, post, text=answer)
    _wait_until(lambda: "Answered" in shown(current(fake_slack, post)))
    return post, answer_ts


# -- the form -------------------------------------------------------------------------------------


def test_ask_alone_opens_the_form(knowhow, slack, fake_slack):
    view = open_form(slack, fake_slack)
    assert view["callback_id"] == ids.ASK_MODAL
    inputs = {b["block_id"]: b["element"]["type"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs == {
        ids.ASK_MODAL_QUESTION: "plain_text_input",
        ids.ASK_MODAL_DETAILS: "plain_text_input",
        ids.ASK_MODAL_TOPICS: "multi_external_select",
        ids.ASK_MODAL_ANONYMOUS: "checkboxes",
    }
    assert _questions(knowhow) == []


def test_the_topic_picker_offers_existing_topics_and_the_typed_one(knowhow, slack, fake_slack):
    view = open_form(slack, fake_slack)
    assert (
        submit(
            slack, view, {ids.ASK_MODAL_QUESTION: "Helm or Kustomize?", ids.ASK_MODAL_TOPICS: ["new:Kubernetes"]}
        ).status
        == 200
    )
    settle(knowhow)  # the question and its new topic are stored just after the ack
    view = open_form(slack, fake_slack)
    payload = slack.block_suggestion_payload(
        user=ASKER, action_id=ids.ASK_MODAL_TOPICS, block_id=ids.ASK_MODAL_TOPICS, value="kube", view=view
    )
    answer = slack.interaction(payload).json()
    # Slack shows "either an options array, or an option_groups array": options alone, as Slack takes them.
    assert suggestion_problem(answer) is None and "option_groups" not in answer
    options = answer["options"]
    assert [o["text"]["text"] for o in options] == ["Kubernetes", "New topic: kube"]
    payload["value"] = "kubernetes "  # a spelling of the existing topic is not offered as new
    assert [o["text"]["text"] for o in slack.interaction(payload).json()["options"]] == ["Kubernetes"]
    payload["value"] = "Terraform"
    options = slack.interaction(payload).json()["options"]
    assert [(o["text"]["text"], o["value"]) for o in options] == [("New topic: Terraform", "new:Terraform")]


def test_the_form_posts_details_and_normalised_topics(knowhow, slack, fake_slack):
    view = open_form(slack, fake_slack)
    response = submit(
        slack,
        view,
        {
            ids.ASK_MODAL_QUESTION: "Why does the deploy hang?",
            ids.ASK_MODAL_DETAILS: "It stops at `helm upgrade` for 10 minutes",
            ids.ASK_MODAL_TOPICS: ["new:Kubernetes", "new:kubernetes ", "new:Helm"],
        },
    )
    # Checked and stored before the ack; the form says "looking…" until the outcome replaces it.
    assert response.status == 200 and response.json()["response_action"] == "update"
    assert "looking for earlier answers" in json.dumps(response.json()["view"])
    [post] = post_of(fake_slack)
    [shown_in_form] = fake_slack.wait_for("views.update")
    assert shown_in_form.args["view_id"] == view["id"] and "posting your question" in shown_in_form.block_text()
    text = shown(post)
    assert "Why does the deploy hang?" in text and "helm upgrade" in text
    assert text.count("*Kubernetes*") == 1 and "*Helm*" in text and f"<@{ASKER}>" in text
    # Confirmed as `/ask <text>` is: privately where /ask was typed, through the command's response_url
    # (its ack left no message to replace).
    [told] = fake_slack.wait_for("response_url")
    assert told.path.endswith("/form-0") and "Your question is posted" in told.args["text"]
    assert told.args["response_type"] == "ephemeral" and told.args["replace_original"] is False
    assert [c.args["channel"] for c in fake_slack.calls_to("chat.postMessage")] == [QA_CHANNEL]  # no DM


def test_an_anonymous_question_never_shows_who_asked(knowhow, slack, fake_slack):
    view = open_form(slack, fake_slack)
    submit(
        slack,
        view,
        {
            ids.ASK_MODAL_QUESTION: "Is it OK to ask for a raise after six months?",
            ids.ASK_MODAL_ANONYMOUS: ["anonymous"],
        },
    )
    [post] = post_of(fake_slack)
    assert "Asked anonymously" in shown(post) and ASKER not in json.dumps(post)
    reply(slack, fake_slack, post, text="Yes, with evidence")
    _wait_until(lambda: "Answered" in shown(current(fake_slack, post)))
    assert ASKER not in json.dumps(current(fake_slack, post))  # the updated post neither
    told = [c for c in fake_slack.calls_to("response_url") if "is posted" in c.args["text"]]
    assert told, "the asker still hears privately"
    for call in fake_slack.calls_to("chat.postMessage") + fake_slack.calls_to("chat.update"):
        if call.args["channel"] != ASKER:
            assert ASKER not in json.dumps(call.args)


@pytest.mark.parametrize(
    "answers, block, words",
    [
        ({ids.ASK_MODAL_QUESTION: "   "}, ids.ASK_MODAL_QUESTION, "Write your question"),
        ({ids.ASK_MODAL_QUESTION: "Fine", ids.ASK_MODAL_TOPICS: ["new:" + "x" * 60]}, ids.ASK_MODAL_TOPICS, "too long"),
        (
            {ids.ASK_MODAL_QUESTION: "Fine", ids.ASK_MODAL_TOPICS: [f"new:t{n}" for n in range(6)]},
            ids.ASK_MODAL_TOPICS,
            "at most 5",
        ),
        (
            {ids.ASK_MODAL_QUESTION: "<&>" * 1000},
            ids.ASK_MODAL_QUESTION,
            "question shorter",
        ),  # 3,000 typed, 13,000 stored
        ({ids.ASK_MODAL_QUESTION: "Fine", ids.ASK_MODAL_DETAILS: "&" * 2000}, ids.ASK_MODAL_DETAILS, "details shorter"),
    ],
)
def test_a_bad_form_stays_open_with_the_problem_shown(knowhow, slack, fake_slack, answers, block, words):
    view = open_form(slack, fake_slack)
    body = submit(slack, view, answers).json()
    assert body["response_action"] == "errors" and words in body["errors"][block]
    assert _questions(knowhow) == [] and fake_slack.messages[QA_CHANNEL] == []


def test_mentions_in_topics_and_details_are_made_inert(knowhow, slack, fake_slack):
    view = open_form(slack, fake_slack)
    submit(
        slack,
        view,
        {
            ids.ASK_MODAL_QUESTION: "Who owns billing? @here <!here>",
            ids.ASK_MODAL_DETAILS: "cc <!channel> and <!subteam^S0123|@finance> <https://evil.example/sso|Reset your SSO password> <@U0CEO0001>",
            ids.ASK_MODAL_TOPICS: ["new:<!everyone>", "new:R&D"],
        },
    )
    [post] = post_of(fake_slack)
    text = shown(post)
    assert "<!here>" not in text and "<!channel>" not in text and "<!subteam" not in text and "<!everyone>" not in text
    assert f"@{WORD_JOINER}here" in text
    # Typed into a form, markup is shown as typed: no disguised link, no mention under the bot's name.
    assert "<https://evil" not in text and "&lt;https://evil.example/sso|Reset your SSO password&gt;" in text
    assert "<@U0CEO0001>" not in text
    assert "*R&amp;D*" in text


# -- lessons already learned ------------------------------------------------------------------------


def _suggested_buttons(blocks_):
    return [e for b in blocks_ if b["type"] == "actions" for e in b["elements"]]


def test_an_earlier_answer_is_suggested_and_this_answers_it_posts_nothing(knowhow, slack, fake_slack):
    answered_question(knowhow, slack, fake_slack)
    posts_before = len(fake_slack.messages[QA_CHANNEL])
    responses_before = len(fake_slack.calls_to("response_url"))
    ack = slack.command(
        "/ask",
        "How can I rotate the API keys for staging?",
        user_id="U0NEWCOMER",
        response_url=fake_slack.response_url("ask2"),
    ).json()
    # The ack only says the question was taken; the suggestions replace it through the response_url.
    assert ack["response_type"] == "ephemeral" and "looking for earlier answers" in ack["text"]
    suggested = fake_slack.wait_for("response_url", responses_before + 1)[-1]
    assert suggested.path.endswith("/ask2") and suggested.args["replace_original"] is True
    body = suggested.args
    assert body["response_type"] == "ephemeral" and "answered this already" in body["text"]
    assert "rotate-keys in the ops repo" in json.dumps(body["blocks"])
    buttons = _suggested_buttons(body["blocks"])
    assert [b["action_id"] for b in buttons] == [ids.ASK_THIS_ANSWERS_IT, ids.ASK_POST_ANYWAY]
    held = _questions(knowhow)[-1]
    assert held.status == "held"

    # Someone else cannot choose for the asker.
    payload = slack.block_actions_payload(
        user=STRANGER,
        action_id=ids.ASK_THIS_ANSWERS_IT,
        value=buttons[0]["value"],
        is_ephemeral=True,
        response_url=fake_slack.response_url("stranger"),
    )
    slack.interaction(payload)
    assert "Only the person who asked" in fake_slack.wait_for("response_url", responses_before + 2)[-1].args["text"]

    payload = slack.block_actions_payload(
        user="U0NEWCOMER",
        action_id=ids.ASK_THIS_ANSWERS_IT,
        value=buttons[0]["value"],
        is_ephemeral=True,
        response_url=fake_slack.response_url("choice"),
    )
    slack.interaction(payload)
    told = fake_slack.wait_for("response_url", responses_before + 3)[-1]
    assert told.args["replace_original"] is True and "not posted" in told.args["text"]
    with session_scope(knowhow.engine) as s:
        question = s.get(Question, held.id)
        assert question.status == "deflected" and question.deflected_by_id == _questions(knowhow)[0].id
    assert len(fake_slack.messages[QA_CHANNEL]) == posts_before


def test_post_anyway_posts_the_held_question(knowhow, slack, fake_slack):
    answered_question(knowhow, slack, fake_slack)
    responses_before = len(fake_slack.calls_to("response_url"))
    slack.command(
        "/ask",
        "How do I rotate the staging API keys without downtime?",
        user_id="U0NEWCOMER",
        response_url=fake_slack.response_url("ask2"),
    )
    body = fake_slack.wait_for("response_url", responses_before + 1)[-1].args
    post_anyway = _suggested_buttons(body["blocks"])[-1]
    payload = slack.block_actions_payload(
        user="U0NEWCOMER",
        action_id=ids.ASK_POST_ANYWAY,
        value=post_anyway["value"],
        is_ephemeral=True,
        response_url=fake_slack.response_url("anyway"),
    )
    slack.interaction(payload)
    posts = post_of(fake_slack, 2)
    assert "without downtime" in shown(posts[-1])
    _wait_until(lambda: any("is posted" in c.args.get("text", "") for c in fake_slack.calls_to("response_url")))
    # A second click (a new trigger) changes nothing.
    slack.interaction({**payload, "trigger_id": slack.trigger_id()})
    _wait_until(lambda: any("already chose" in c.args.get("text", "") for c in fake_slack.calls_to("response_url")))
    assert len(post_of(fake_slack, 2)) == 2


def test_suggestions_for_a_form_closed_meanwhile_come_by_direct_message(knowhow, slack, fake_slack):
    answered_question(knowhow, slack, fake_slack)
    view = open_form(slack, fake_slack, user="U0NEWCOMER")
    fake_slack.fail_next("views.update", error="not_found")  # the person closed the form
    submit(slack, view, {ids.ASK_MODAL_QUESTION: "Rotating staging API keys: how?"}, user="U0NEWCOMER")
    dm = _wait_until_found(
        lambda: [c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == "U0NEWCOMER"]
    )
    assert "answered this already" in dm[0].args["text"]
    assert [b["action_id"] for b in _suggested_buttons(dm[0].args["blocks"])] == [
        ids.ASK_THIS_ANSWERS_IT,
        ids.ASK_POST_ANYWAY,
    ]


def _wait_until_found(find, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := find():
            return found
        time.sleep(0.02)
    raise AssertionError("nothing found in time")


def test_the_form_shows_suggestions_in_place(knowhow, slack, fake_slack):
    answered_question(knowhow, slack, fake_slack)
    view = open_form(slack, fake_slack, user="U0NEWCOMER")
    ack = submit(slack, view, {ids.ASK_MODAL_QUESTION: "Rotating staging API keys: how?"}, user="U0NEWCOMER").json()
    assert ack["response_action"] == "update" and "looking for earlier answers" in json.dumps(ack["view"])
    # The suggestions replace the "looking…" form, in place, after the ack.
    [suggested] = fake_slack.wait_for("views.update")
    assert suggested.args["view_id"] == view["id"]
    body = {"view": suggested.args["view"]}
    assert body["view"]["callback_id"] == ids.ASK_SUGGESTIONS_VIEW
    post_anyway = _suggested_buttons(body["view"]["blocks"])[-1]
    payload = slack.block_actions_payload(
        user="U0NEWCOMER",
        action_id=ids.ASK_POST_ANYWAY,
        value=post_anyway["value"],
        container="view",
        view={**view, **body["view"], "id": view["id"]},
    )
    slack.interaction(payload)
    update = fake_slack.wait_for("views.update", 2)[-1]
    assert update.args["view_id"] == view["id"] and "posting" in update.block_text()
    assert "Rotating staging API keys" in shown(post_of(fake_slack, 2)[-1])
    # Confirmed where /ask was typed (the command's response_url, kept by the form), not by DM.
    [confirmed] = _wait_until_found(
        lambda: [c for c in fake_slack.calls_to("response_url") if c.path.endswith("/form-0")]
    )
    assert "is posted" in confirmed.args["text"]
    assert not [c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == "U0NEWCOMER"]


# -- accepting answers ------------------------------------------------------------------------------


def _accept_button(message):
    return next(e for e in _suggested_buttons(message["blocks"]) if e["action_id"] == ids.ASK_ACCEPT_OPEN)


def test_the_post_shows_its_state_and_the_asker_accepts_through_the_button(knowhow, slack, fake_slack):
    slack.command("/ask", "Where are the on-call runbooks?", user_id=ASKER)
    [post] = post_of(fake_slack)
    assert "Open" in shown(post) and not _suggested_buttons(post["blocks"])  # nothing to accept yet
    answer_ts = reply(slack, fake_slack, post, text="In the ops wiki, under Runbooks")
    _wait_until(lambda: "Answered" in shown(current(fake_slack, post)))
    button = _accept_button(current(fake_slack, post))

    # A stranger is refused, privately.
    slack.interaction(
        slack.block_actions_payload(
            user=STRANGER,
            action_id=ids.ASK_ACCEPT_OPEN,
            value=button["value"],
            message=current(fake_slack, post),
            channel=QA_CHANNEL,
            response_url=fake_slack.response_url("refused"),
        )
    )
    refusal = fake_slack.wait_for("response_url")[-1]
    assert "only the person who asked" in refusal.args["text"] and refusal.args["response_type"] == "ephemeral"
    assert refusal.args["replace_original"] is False
    assert fake_slack.calls_to("views.open") == []

    slack.interaction(
        slack.block_actions_payload(
            user=ASKER,
            action_id=ids.ASK_ACCEPT_OPEN,
            value=button["value"],
            message=current(fake_slack, post),
            channel=QA_CHANNEL,
        )
    )
    fake_slack.wait_for("views.open")
    form = list(fake_slack.views.values())[-1]
    assert form["callback_id"] == ids.ACCEPT_MODAL and "ops wiki" in json.dumps(form["blocks"])
    assert submit(slack, form, {ids.ACCEPT_MODAL_ANSWER: answer_ts}).status == 200
    _wait_until(lambda: "Resolved" in shown(current(fake_slack, post)))
    resolved = shown(current(fake_slack, post))
    assert f"<@{HELPER}>" in resolved and f"p{answer_ts.replace('.', '')}" in resolved  # links to the accepted answer


def test_the_shortcut_accepts_for_a_slack_admin_and_refuses_a_stranger(knowhow, slack, fake_slack):
    post, answer_ts = answered_question(knowhow, slack, fake_slack)
    reply_message = {
        "type": "message",
        "user": HELPER,
        "text": "Run rotate-keys",
        "ts": answer_ts,
        "thread_ts": post["ts"],
    }
    slack.interaction(
        slack.message_action_payload(
            user=STRANGER,
            callback_id=ids.ACCEPT_ANSWER_SHORTCUT,
            message=reply_message,
            channel=QA_CHANNEL,
            response_url=fake_slack.response_url("s1"),
        )
    )
    assert "only the person who asked" in fake_slack.wait_for("response_url")[-1].args["text"]
    assert "Resolved" not in shown(current(fake_slack, post))

    fake_slack.add_user("U0ADMIN001", is_admin=True)
    slack.interaction(
        slack.message_action_payload(
            user="U0ADMIN001",
            callback_id=ids.ACCEPT_ANSWER_SHORTCUT,
            message=reply_message,
            channel=QA_CHANNEL,
            response_url=fake_slack.response_url("s2"),
        )
    )
    told = fake_slack.wait_for("response_url", 2)[-1]
    assert "Accepted" in told.args["text"] and told.args["response_type"] == "ephemeral"
    _wait_until(lambda: "Resolved" in shown(current(fake_slack, post)))


def test_knowhow_admins_and_topic_experts_may_accept(settings, fake_slack):

    from bot.service import Knowhow
    from fakeslack import SlackSender

    from .conftest import SECRET

    service = Knowhow(
        settings.model_copy(update=dict(admins=frozenset({"U0KNOWADMN"}))), host="127.0.0.1", outbox_poll_seconds=0.2
    )
    service.start()
    try:
        slack = SlackSender(f"http://127.0.0.1:{service.http.port}/slack/events", SECRET)
        assert (
            "Added *Security*" in slack.command("/expert", "topics add Security", user_id="U0EXPERT01").json()["text"]
        )
        view = open_form(slack, fake_slack)
        submit(
            slack,
            view,
            {ids.ASK_MODAL_QUESTION: "Is our TLS config current?", ids.ASK_MODAL_TOPICS: ["topic:security"]},
        )
        [post] = post_of(fake_slack)
        first = reply(slack, fake_slack, post, text="Yes, A+ on SSL Labs")
        second = reply(
            slack, fake_slack, post, user="U0HELPER02", text="Check the cipher list", ts=f"{float(post['ts']) + 2:.6f}"
        )
        replies = (
            ("U0EXPERT01", first, HELPER, "Yes, A+ on SSL Labs"),
            ("U0KNOWADMN", second, "U0HELPER02", "Check the cipher list"),
        )
        for user, ts, author, text in replies:
            # The shortcut carries the reply as Slack shows it: its author and its text.
            message = {"type": "message", "user": author, "text": text, "ts": ts, "thread_ts": post["ts"]}
            slack.interaction(
                slack.message_action_payload(
                    user=user,
                    callback_id=ids.ACCEPT_ANSWER_SHORTCUT,
                    message=message,
                    channel=QA_CHANNEL,
                    response_url=fake_slack.response_url(user),
                )
            )
            _wait_until(
                lambda: any("Accepted" in c.args.get("text", "") for c in fake_slack.calls_to("response_url")[-1:])
            )
        assert fake_slack.calls_to("users.info") == []  # neither needed Slack's admin check
        _wait_until(lambda: "U0HELPER02" in shown(current(fake_slack, post)))
    finally:
        service.stop()


# -- helpers and /expert topics -------------------------------------------------------------------


def test_likely_helpers_are_invited_in_the_thread_never_the_asker_nor_paused_people(knowhow, slack, fake_slack):
    for user in ("U0EXPERT01", "U0EXPERT02", ASKER):
        slack.command("/expert", "topics add Kubernetes", user_id=user)
    assert "paused" in slack.command("/expert", "topics pause", user_id="U0EXPERT02").json()["text"]
    view = open_form(slack, fake_slack)
    submit(slack, view, {ids.ASK_MODAL_QUESTION: "Pods stuck in Pending?", ids.ASK_MODAL_TOPICS: ["topic:kubernetes"]})
    [post] = post_of(fake_slack)
    _wait_until(lambda: any(m.get("thread_ts") == post["ts"] for m in fake_slack.messages[QA_CHANNEL]))
    [invite] = [m for m in fake_slack.messages[QA_CHANNEL] if m.get("thread_ts") == post["ts"]]
    assert "<@U0EXPERT01>" in invite["text"] and "U0EXPERT02" not in invite["text"] and ASKER not in invite["text"]
    [call] = [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("thread_ts") == post["ts"]]
    assert not call.args.get("reply_broadcast")  # in the thread only
    assert not any(c.args["channel"] == "U0EXPERT01" for c in fake_slack.calls_to("chat.postMessage"))  # never by DM


def test_expert_topics_lists_declared_and_learned_topics(knowhow, slack, fake_slack):
    assert "no topics yet" in slack.command("/expert", "topics", user_id=HELPER).json()["text"]
    assert "Say which topic" in slack.command("/expert", "topics add", user_id=HELPER).json()["text"]
    slack.command("/expert", "topics add  #Incident-Response ", user_id=HELPER)
    view = open_form(slack, fake_slack)
    submit(slack, view, {ids.ASK_MODAL_QUESTION: "Budget for conferences?", ids.ASK_MODAL_TOPICS: ["new:Finance"]})
    [post] = post_of(fake_slack)
    reply(slack, fake_slack, post, text="1500 a year")
    _wait_until(lambda: "Answered" in shown(current(fake_slack, post)))
    text = slack.command("/expert", "topics list", user_id=HELPER).json()["text"]
    assert "*Incident-Response*: listed by you" in text and "*Finance*: 1 answer" in text
    assert "Removed" in slack.command("/expert", "topics remove incident response", user_id=HELPER).json()["text"]
    assert "I don't know" in slack.command("/expert", "topics <!channel>", user_id=HELPER).json()["text"]
    assert "<!channel>" not in slack.command("/expert", "topics <!channel>", user_id=HELPER).json()["text"]


def test_a_held_question_nobody_chose_for_expires_unposted_and_the_asker_is_told_once(knowhow, slack, fake_slack):
    from datetime import timedelta

    from sqlalchemy import update

    from core import asking
    from core.clock import utcnow
    from scheduler import jobs

    answered_question(knowhow, slack, fake_slack)
    responses_before = len(fake_slack.calls_to("response_url"))
    text = "How do I rotate the staging API keys when on call?"
    slack.command("/ask", text, user_id="U0NEWCOMER", response_url=fake_slack.response_url("held"))
    body = fake_slack.wait_for("response_url", responses_before + 1)[-1].args
    post_anyway = _suggested_buttons(body["blocks"])[-1]
    held = _questions(knowhow)[-1]
    assert held.status == "held"
    posts_before = len(fake_slack.messages[QA_CHANNEL])

    assert knowhow.scheduler.get_job(jobs.EXPIRE_HELD_JOB_ID) is not None  # kept by the reconcile step
    assert jobs.expire_held_questions() == 0  # a day is not a week
    with session_scope(knowhow.engine) as s:
        s.execute(
            update(Question)
            .where(Question.id == held.id)
            .values(created_at=utcnow() - asking.HELD_EXPIRES_AFTER - timedelta(minutes=1))
        )
    assert jobs.expire_held_questions() == 1
    assert jobs.expire_held_questions() == 0  # a second run tells nobody twice
    settle(knowhow)
    told = [c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == "U0NEWCOMER"]
    assert len(told) == 1
    assert "not posted" in told[0].args["text"] and "/ask" in told[0].args["text"]
    assert "when on call" in shown(told[0].args)  # their text, given back
    with session_scope(knowhow.engine) as s:
        assert s.get(Question, held.id).status == "expired"

    # A late click on the old suggestions posts nothing and says why.
    slack.interaction(
        slack.block_actions_payload(
            user="U0NEWCOMER",
            action_id=ids.ASK_POST_ANYWAY,
            value=post_anyway["value"],
            is_ephemeral=True,
            response_url=fake_slack.response_url("late"),
        )
    )
    _wait_until(lambda: any("was not posted" in c.args.get("text", "") for c in fake_slack.calls_to("response_url")))
    settle(knowhow)
    assert len(fake_slack.messages[QA_CHANNEL]) == posts_before
    # Counted nowhere: the week's figures do not take it for a question asked, answered or settled.
    home = [q for q in _questions(knowhow) if q.asker_id == "U0NEWCOMER"]
    assert [q.status for q in home] == ["expired"]
