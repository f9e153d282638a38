"""/ask end to end: signed Slack requests in, Web API calls out to the stand-in, rows in the database."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest
from slack_sdk.signature import SignatureVerifier
from sqlmodel import select

from bot.text import WORD_JOINER
from fakeslack.sender import slack_escape
from storage.db import session_scope
from storage.models import Answer, OutboxMessage, Question

from ..settle import settle
from .conftest import QA_CHANNEL

ASKER = "U0STUDENT1"


def _questions(knowhow):
    with session_scope(knowhow.engine) as s:
        return list(s.exec(select(Question).order_by(Question.id)))


def _answers(knowhow):
    with session_scope(knowhow.engine) as s:
        return list(s.exec(select(Answer).order_by(Answer.id)))


def _work_rows(knowhow, key):
    with session_scope(knowhow.engine) as s:
        return list(s.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == key)))


def _wait_until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def ask(slack, fake_slack, text, **kwargs):
    """Run /ask and wait for the question to be posted; return (ack response, postMessage call)."""
    before = len(fake_slack.calls_to("chat.postMessage"))
    response = slack.command("/ask", text, response_url=fake_slack.response_url("ask"), **kwargs)
    post = fake_slack.wait_for("chat.postMessage", before + 1)[-1]
    return response, post


def test_healthz_reports_the_database_and_the_scheduler(knowhow):
    with urllib.request.urlopen(f"http://127.0.0.1:{knowhow.http.port}/healthz") as answer:
        body = json.loads(answer.read())
    assert answer.status == 200
    assert body == {"database": "ok", "scheduler": "running", "outbox": "running", "slack": "ok", "status": "ok"}


def test_healthz_is_503_when_the_scheduler_is_down(knowhow):
    knowhow.scheduler.shutdown(wait=False)
    with pytest.raises(urllib.error.HTTPError) as failure:
        urllib.request.urlopen(f"http://127.0.0.1:{knowhow.http.port}/healthz")
    assert failure.value.code == 503
    assert json.loads(failure.value.read())["scheduler"] == "down"


def test_healthz_is_503_when_the_database_is_down(knowhow):
    from storage.db import make_engine

    working = knowhow.engine
    knowhow.engine = make_engine("postgresql+psycopg://knowhow@127.0.0.1:1/unreachable")
    try:
        with pytest.raises(urllib.error.HTTPError) as failure:
            urllib.request.urlopen(f"http://127.0.0.1:{knowhow.http.port}/healthz", timeout=10)
    finally:
        knowhow.engine.dispose()
        knowhow.engine = working
    assert failure.value.code == 503
    body = json.loads(failure.value.read())
    assert body["database"].startswith("down") and body["status"] == "unhealthy"
    assert "127.0.0.1:1" not in json.dumps(body)  # the URL (and any password in it) stays private


def test_auth_test_goes_to_the_configured_api_url(knowhow, fake_slack):
    calls = fake_slack.calls_to("auth.test")  # Bolt's check of the token, and Knowhow's: who it is
    assert calls and all(call.headers["authorization"] == f"Bearer {fake_slack.token}" for call in calls)


@pytest.mark.timing
def test_ask_acks_fast_posts_the_question_and_tells_the_asker_where(knowhow, slack, fake_slack):
    started = time.monotonic()
    response, post = ask(slack, fake_slack, "How do Python decorators work?")
    assert response.status == 200
    # Two steps: the ack says the question was taken; the outcome replaces it through the response_url.
    assert "Got it: looking for earlier answers" in response.json()["text"]
    assert response.json()["response_type"] == "ephemeral"

    assert post.args["channel"] == QA_CHANNEL
    assert "How do Python decorators work?" in post.block_text()
    assert f"<@{ASKER}>" in post.block_text()
    assert post.args["unfurl_links"] is False

    [confirm] = fake_slack.wait_for("response_url")
    assert confirm.args["replace_original"] is True
    assert confirm.args["response_type"] == "ephemeral"
    permalink = f"https://fake-mentors.slack.com/archives/{QA_CHANNEL}/p{post_ts(fake_slack).replace('.', '')}"
    assert permalink in confirm.args["text"]
    assert time.monotonic() - started < 3

    [question] = _questions(knowhow)
    assert (question.status, question.asker_id, question.channel_id) == ("posted", ASKER, QA_CHANNEL)
    assert question.message_ts == post_ts(fake_slack)


def post_ts(fake_slack):
    # The stand-in's answer is not recorded; its ts sequence is: read it back from the permalink call.
    return fake_slack.calls_to("chat.getPermalink")[-1].args["message_ts"]


@pytest.mark.parametrize("text", ["help", "  HELP ", "?"])
def test_ask_help_explains_itself_privately(knowhow, slack, fake_slack, text):
    response = slack.command("/ask", text)
    body = response.json()
    assert response.status == 200 and body["response_type"] == "ephemeral"
    assert "/ask" in json.dumps(body["blocks"]) and f"<#{QA_CHANNEL}>" in json.dumps(body["blocks"])
    assert _questions(knowhow) == []
    assert fake_slack.calls_to("chat.postMessage") == []


def test_ask_without_a_qa_channel_says_an_admin_must_set_it(settings, fake_slack):

    from bot.service import Knowhow
    from fakeslack import SlackSender

    from .conftest import SECRET

    service = Knowhow(settings.model_copy(update=dict(qa_channel=None)), host="127.0.0.1", outbox_poll_seconds=0.2)
    service.start()
    try:
        slack = SlackSender(f"http://127.0.0.1:{service.http.port}/slack/events", SECRET)
        body = slack.command("/ask", "Where are the OKRs?", response_url=fake_slack.response_url("okr")).json()
        assert "Got it" in body["text"] and body["response_type"] == "ephemeral"
        # No session is open in the channel to take it: the asker is told what an admin must do.
        [told] = fake_slack.wait_for("response_url")
        assert "/ask channel" in told.args["text"] and told.args["replace_original"] is True
        assert told.args["response_type"] == "ephemeral"
        assert _questions(service) == []

        # Someone who is not an admin cannot choose; an admin does, in the channel; then questions go there.
        assert "Only admins can" in slack.command("/ask", "channel", channel_id="C0ASKHERE1").json()["text"]
        fake_slack.add_user("U0ADMIN001", is_admin=True)
        assert (
            "not in a direct message"
            in slack.command("/ask", "channel", user_id="U0ADMIN001", channel_id="D0DIRECT01").json()["text"]
        )
        done = slack.command("/ask", "CHANNEL", user_id="U0ADMIN001", channel_id="C0ASKHERE1").json()
        assert "<#C0ASKHERE1>" in done["text"] and done["response_type"] == "ephemeral"
        assert "<#C0ASKHERE1>" in slack.command("/ask", "help").json()["blocks"][0]["text"]["text"]
        _, post = ask(slack, fake_slack, "Where are the OKRs, then?")
        assert post.args["channel"] == "C0ASKHERE1"
        # A question that merely starts with the word is a question.
        _, post = ask(slack, fake_slack, "channel naming rules: where are they written?")
        assert post.args["channel"] == "C0ASKHERE1"
    finally:
        service.stop()


def test_a_workspace_chooses_its_own_qa_channel_over_the_default(knowhow, slack, fake_slack):
    fake_slack.add_user("U0ADMIN001", is_admin=True)
    slack.command("/ask", "channel", user_id="U0ADMIN001", channel_id="C0OURQANDA")
    _, post = ask(slack, fake_slack, "Who books the meeting rooms?")
    assert post.args["channel"] == "C0OURQANDA"
    with session_scope(knowhow.engine) as s:
        from storage import workspaces

        assert (
            workspaces.qa_channel(s, team_id="T0OTHERWS1", default=QA_CHANNEL) == QA_CHANNEL
        )  # another keeps the default


CROWD_PINGS = [
    ("<!channel> who knows Terraform?", "<!channel>"),
    ("<!here|here> anyone know where the VPN config lives?", "<!here"),
    ("<!everyone> please help me find the expense policy", "<!everyone>"),
    ("Should I ping <!subteam^S0123ABCD|@platform-team> about it?", "<!subteam"),
    ("Does anyone mind plain @channel and @here words?", "@channel"),
]


@pytest.mark.parametrize("text,ping", CROWD_PINGS)
def test_user_text_never_pings_the_crowd(knowhow, slack, fake_slack, text, ping):
    _, post = ask(slack, fake_slack, text)
    shown = post.block_text() + "\n" + post.args["text"]
    assert ping not in shown
    assert "@" + WORD_JOINER in shown  # still readable: "@channel" with an invisible joiner
    assert post.args.get("link_names") in (None, False, 0, "0", "false")


REAL_QUESTIONS = [
    "What does \"eventual consistency\" mean for our 'orders' service?! (asking for a friend) & why <3",
    "Why does `SELECT * FROM t WHERE a = 'x';` ignore my index?\n```\nEXPLAIN ANALYZE ...\n```",
    "Is 🚀 deploy on Friday OK? 🙈🙉🙊",
    "Как настроить VPN для удалённой работы?",
    "如何申请新的笔记本电脑？",
    "متى يبدأ التقييم السنوي؟",
    "Why is my regex ^(a+)+$ so slow? [brackets] {braces} * NEAR/3 AND OR NOT -x +y",
]


@pytest.mark.parametrize("text", REAL_QUESTIONS)
def test_questions_people_really_type_are_posted_intact(knowhow, slack, fake_slack, text):
    sent = slack_escape(text)  # what Slack sends for what the person typed
    _, post = ask(slack, fake_slack, sent)
    assert sent in post.block_text()
    [question] = _questions(knowhow)
    assert question.text == sent


def test_a_3000_character_question_is_posted_whole(knowhow, slack, fake_slack):
    text = ("Our CI pipeline takes forty minutes; which caches would you try first? " * 50)[:3000]
    _, post = ask(slack, fake_slack, text)
    sections = [b["text"]["text"] for b in post.args["blocks"] if b["type"] == "section"]
    assert all(len(s) <= 3000 for s in sections)
    assert "".join(sections).replace(" ", "") == text.strip().replace(" ", "")
    assert _questions(knowhow)[0].text == text.strip()


def post_it(slack, fake_slack, text, user=ASKER):
    """Run /ask with a question shown before posting (very short or very long), choose "Post it",
    and wait for the post; return it."""
    from bot import ids

    before = len(fake_slack.calls_to("chat.postMessage"))
    slack.command("/ask", text, user_id=user, response_url=fake_slack.response_url(f"review-{before}"))
    shown_first = next(
        c for c in fake_slack.wait_for("response_url") if c.path.endswith(f"/review-{before}") and c.args.get("blocks")
    )
    [post_button] = [
        e
        for b in shown_first.args["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.ASK_POST_ANYWAY
    ]
    slack.interaction(
        slack.block_actions_payload(
            user=user,
            action_id=ids.ASK_POST_ANYWAY,
            value=post_button["value"],
            is_ephemeral=True,
            response_url=fake_slack.response_url(f"post-it-{before}"),
        )
    )
    return fake_slack.wait_for("chat.postMessage", before + 1)[-1]


def test_a_long_question_with_code_is_split_into_sections_that_render(knowhow, slack, fake_slack):
    text = "Why does this fail?\n```\n" + "\n".join(f"step_{n}()  # does a thing" for n in range(250)) + "\n```"
    post = post_it(slack, fake_slack, text)
    sections = [b["text"]["text"] for b in post.args["blocks"] if b["type"] == "section"]
    assert len(sections) >= 2 and all(len(s) <= 3000 for s in sections)
    assert all(s.count("```") % 2 == 0 for s in sections)
    assert "step_249()" in sections[-1]


def test_a_question_over_the_limit_is_refused_with_the_text_given_back(knowhow, slack, fake_slack):
    text = "x" * 9000
    body = slack.command("/ask", text).json()
    assert "8,000" in body["text"] and "xxxx" in body["text"]
    assert _questions(knowhow) == []


def test_the_bot_joins_a_public_channel_it_is_not_in(knowhow, slack, fake_slack):
    fake_slack.not_joined.add(QA_CHANNEL)
    slack.command("/ask", "Who owns the billing service?", response_url=fake_slack.response_url("ask"))
    _refused, _posted = fake_slack.wait_for("chat.postMessage", 2)
    fake_slack.wait_for("response_url")
    assert [c.args["channel"] for c in fake_slack.calls_to("conversations.join")] == [QA_CHANNEL]
    assert _questions(knowhow)[0].status == "posted"


def test_a_private_channel_the_bot_is_not_in_fails_and_the_asker_gets_their_text_back(knowhow, slack, fake_slack):
    fake_slack.private_channels.add(QA_CHANNEL)
    slack.command("/ask", "Who owns the billing service?", response_url=fake_slack.response_url("ask"))
    [told] = fake_slack.wait_for("response_url")
    assert "could not be posted" in told.args["text"] and "Who owns the billing service?" in told.args["text"]
    _wait_until(lambda: _questions(knowhow)[0].status == "failed")


@pytest.mark.timing
def test_rate_limited_posts_wait_for_retry_after_and_then_go_out_once(knowhow, slack, fake_slack):
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    slack.command("/ask", "Is there a style guide?", response_url=fake_slack.response_url("ask"))
    calls = fake_slack.wait_for("chat.postMessage", 2)
    assert calls[1].at - calls[0].at >= 0.9
    fake_slack.wait_for("response_url")
    settle(knowhow)
    assert len(fake_slack.calls_to("chat.postMessage")) == 2  # one refused, one delivered
    assert time.monotonic() - started < 8


@pytest.fixture
def quick_retries(monkeypatch):
    """Retries after a tenth of a second instead of the seconds of real back-off (whose growth
    tests/bot/test_outbox.py checks): these tests are about what is retried, not when."""
    from datetime import timedelta

    import bot.outbox

    monkeypatch.setattr(bot.outbox, "backoff", lambda attempts: timedelta(milliseconds=100))


def test_a_slack_outage_delays_the_question_but_loses_nothing(knowhow, slack, fake_slack, quick_retries):
    fake_slack.fail_next("chat.postMessage", status=503, times=2)
    slack.command("/ask", "Where is the on-call rota?", response_url=fake_slack.response_url("ask"))
    calls = fake_slack.wait_for("chat.postMessage", 3, timeout=20)
    fake_slack.wait_for("response_url")
    assert len(calls) == 3
    _wait_until(lambda: _questions(knowhow)[0].status == "posted")


def test_an_expired_response_url_falls_back_to_a_direct_message(knowhow, slack, fake_slack):
    fake_slack.fail_next("response_url", status=404)
    ask(slack, fake_slack, "Where do expenses go?")
    dm = fake_slack.wait_for("chat.postMessage", 2)[1]
    assert dm.args["channel"] == ASKER
    assert "Your question is posted" in dm.args["text"]
    # Slack cannot nest a channel mention inside a link's text: they stand side by side.
    assert f"in <#{QA_CHANNEL}> (<https://" in dm.args["text"] and "|see it>)" in dm.args["text"]


def test_a_replayed_slash_command_creates_no_second_question(knowhow, slack, fake_slack):
    body = slack.command_body("/ask", "Who approves holidays?", response_url=fake_slack.response_url("ask"))
    for _ in range(2):
        assert slack.send_signed(body, "application/x-www-form-urlencoded").status == 200
    fake_slack.wait_for("response_url")
    settle(knowhow)
    assert len(_questions(knowhow)) == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


# -- answers ----------------------------------------------------------------------------------


@pytest.fixture
def posted(knowhow, slack, fake_slack):
    """A question already posted; returns its thread ts."""
    ask(slack, fake_slack, "How do I rotate the API keys?")
    _wait_until(lambda: _questions(knowhow)[0].message_ts is not None)
    return _questions(knowhow)[0].message_ts


def test_a_thread_reply_is_stored_once_even_when_slack_retries(knowhow, slack, posted):
    reply = slack.thread_reply(
        channel=QA_CHANNEL, thread_ts=posted, ts="1754500000.000200", user="U0HELPER", text="Use the vault CLI"
    )
    assert slack.event(reply, event_id="Ev0RETRIED1").status == 200
    assert slack.event(reply, event_id="Ev0RETRIED1", retry_num=1).status == 200
    assert slack.event(reply, event_id="Ev0RETRIED1", retry_num=2).status == 200
    settle(knowhow)  # the reply is stored by its ack and recorded as an answer just after
    [answer] = _answers(knowhow)
    assert (answer.author_id, answer.text, answer.message_ts) == ("U0HELPER", "Use the vault CLI", "1754500000.000200")


def test_a_reply_that_beats_knowhow_hearing_back_from_its_post_is_kept_on_slacks_retry(knowhow, slack, fake_slack):
    """Slack can deliver a reply to the question's post before chat.postMessage's answer reaches
    Knowhow (and the post's ts is stored). The event is kept, and applied again shortly: once
    the post's ts is stored, it finds the question."""
    from core import asking
    from core.clock import utcnow

    with session_scope(knowhow.engine) as s:
        q = Question(
            team_id="T0FAKETEAM",
            asker_id="U0STUDENT1",
            text="How do I rotate the API keys?",
            channel_id=QA_CHANNEL,
            status="pending",
            request_id="early-reply",
            created_at=utcnow(),
        )
        s.add(q)
        s.flush()
        question_id = q.id
    thread_ts = f"{time.time():.6f}"
    reply = slack.thread_reply(
        channel=QA_CHANNEL, thread_ts=thread_ts, ts=f"{time.time() + 1:.6f}", user="U0HELPER", text="Use the vault CLI"
    )
    assert slack.event(reply, event_id="Ev0EARLY001").status == 200
    settle(knowhow)
    assert _answers(knowhow) == []
    [kept] = _work_rows(knowhow, "event:Ev0EARLY001")
    assert (kept.status, kept.last_error) == (
        "pending",
        f"a reply to {thread_ts} in {QA_CHANNEL} came before its post was recorded",
    )
    with session_scope(knowhow.engine) as s:
        asking.mark_posted(
            s, team_id="T0FAKETEAM", question_id=question_id, channel_id=QA_CHANNEL, message_ts=thread_ts
        )
    assert slack.event(reply, event_id="Ev0EARLY001", retry_num=1).status == 200  # Slack's retry: kept once
    _wait_until(lambda: _answers(knowhow))
    [answer] = _answers(knowhow)
    assert (answer.question_id, answer.text) == (question_id, "Use the vault CLI")
    # A reply in any other thread, with no post in flight older than it, is simply not a question.
    other = slack.thread_reply(
        channel=QA_CHANNEL, thread_ts="1754000000.000100", ts=f"{time.time():.6f}", user="U0HELPER", text="hm"
    )
    assert slack.event(other, event_id="Ev0OTHER001").status == 200
    settle(knowhow)
    assert [r.status for r in _work_rows(knowhow, "event:Ev0OTHER001")] == ["sent"]


def test_an_edit_that_beats_knowhow_hearing_back_from_its_post_waits_for_it(knowhow, slack, fake_slack):
    """An edit of a reply to a question whose post is not recorded yet is kept, and applied once
    it is (not dropped as "not a question", which would leave the old text)."""
    from core import asking
    from core.clock import utcnow

    with session_scope(knowhow.engine) as s:
        q = Question(
            team_id="T0FAKETEAM",
            asker_id="U0STUDENT1",
            text="Where do I file expenses?",
            channel_id=QA_CHANNEL,
            status="pending",
            request_id="early-edit",
            created_at=utcnow(),
        )
        s.add(q)
        s.flush()
        question_id = q.id
    thread_ts = f"{time.time():.6f}"
    reply_ts = f"{time.time() + 1:.6f}"
    edit = slack.message_changed(
        channel=QA_CHANNEL,
        thread_ts=thread_ts,
        ts=reply_ts,
        user="U0HELPER",
        text="In Concur, under Travel",
        old_text="In Concur",
        edited_ts=f"{time.time() + 2:.6f}",
    )
    assert slack.event(edit, event_id="Ev0EARLYEDIT").status == 200
    settle(knowhow)
    assert _answers(knowhow) == []
    [kept] = _work_rows(knowhow, "event:Ev0EARLYEDIT")
    assert kept.status == "pending" and "came before its post was recorded" in kept.last_error
    with session_scope(knowhow.engine) as s:
        asking.mark_posted(
            s, team_id="T0FAKETEAM", question_id=question_id, channel_id=QA_CHANNEL, message_ts=thread_ts
        )
    _wait_until(lambda: _answers(knowhow))
    [answer] = _answers(knowhow)
    assert (answer.question_id, answer.text) == (question_id, "In Concur, under Travel")


def test_racing_deliveries_of_one_reply_store_it_once(knowhow, slack, posted):
    reply = slack.thread_reply(
        channel=QA_CHANNEL, thread_ts=posted, ts="1754500000.000300", user="U0HELPER", text="race"
    )
    body = slack.event_body(reply, event_id="Ev0RACE0001")
    statuses, barrier = [], threading.Barrier(6)

    def deliver():
        barrier.wait()
        statuses.append(slack.send_signed(body, "application/json").status)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 6
    settle(knowhow)
    assert len(_answers(knowhow)) == 1


def test_edits_and_deletions_of_answers_are_followed(knowhow, slack, posted):
    ts = "1754500000.000400"
    slack.event(slack.thread_reply(channel=QA_CHANNEL, thread_ts=posted, ts=ts, user="U0HELPER", text="first"))
    slack.event(
        slack.message_changed(
            channel=QA_CHANNEL,
            thread_ts=posted,
            ts=ts,
            user="U0HELPER",
            text="better",
            old_text="first",
            edited_ts="1754500100.000000",
        )
    )
    settle(knowhow)
    assert _answers(knowhow)[0].text == "better"
    slack.event(
        slack.message_deleted(
            channel=QA_CHANNEL, thread_ts=posted, ts=ts, user="U0HELPER", text="better", at="1754500200.000000"
        )
    )
    settle(knowhow)
    [answer] = _answers(knowhow)
    assert answer.deleted_at is not None and answer.text == ""


def test_the_askers_own_replies_and_bot_messages_are_not_answers(knowhow, slack, fake_slack, posted):
    slack.event(
        slack.thread_reply(channel=QA_CHANNEL, thread_ts=posted, ts="1754500000.000500", user=ASKER, text="thanks all")
    )
    bot_reply = slack.thread_reply(
        channel=QA_CHANNEL, thread_ts=posted, ts="1754500000.000600", user="U0OTHERBOT", text="beep"
    )
    bot_reply.update(subtype="bot_message", bot_id="B0OTHERBOT")
    slack.event(bot_reply)
    own = slack.thread_reply(
        channel=QA_CHANNEL, thread_ts=posted, ts="1754500000.000700", user=fake_slack.bot_user_id, text="mine"
    )
    own["bot_id"] = fake_slack.bot_id
    slack.event(own)
    settle(knowhow)
    assert _answers(knowhow) == []


# -- security at the edge ---------------------------------------------------------------------


def _state(knowhow):
    with session_scope(knowhow.engine) as s:
        return (
            len(list(s.exec(select(Question)))),
            len(list(s.exec(select(Answer)))),
            len(list(s.exec(select(OutboxMessage)))),
        )


def _bad_requests(slack):
    body = slack.command_body("/ask", "Sneaky question <!channel>")
    good = slack.sign(body)
    stale = slack.sign(body, timestamp=int(time.time()) - 301)
    # Well past the 5 minutes allowed: the request is checked a moment after it is signed.
    future = slack.sign(body, timestamp=int(time.time()) + 330)
    form = "application/x-www-form-urlencoded"
    other_secret = SignatureVerifier("not-our-secret").generate_signature(
        timestamp=good["X-Slack-Request-Timestamp"], body=body
    )
    return {
        "unsigned": (body, form, {}),
        "wrong signature": (body, form, {**good, "X-Slack-Signature": "v0=" + "0" * 64}),
        "signed with another secret": (body, form, {**good, "X-Slack-Signature": other_secret}),
        "stale": (body, form, stale),
        "from the future": (body, form, future),
        "malformed timestamp": (body, form, {**good, "X-Slack-Request-Timestamp": "yesterday"}),
        "superscript digit timestamp": (body, form, {**good, "X-Slack-Request-Timestamp": "\u00b2"}),
        "enormous timestamp": (body, form, {**good, "X-Slack-Request-Timestamp": "9" * 5000}),
        "body changed after signing": (body + b"&text=other", form, good),
    }


BAD_REQUESTS = [
    "unsigned",
    "wrong signature",
    "signed with another secret",
    "stale",
    "from the future",
    "malformed timestamp",
    "superscript digit timestamp",
    "enormous timestamp",
    "body changed after signing",
]


@pytest.mark.parametrize("case", BAD_REQUESTS)
def test_requests_that_are_not_from_slack_get_401_and_change_nothing(knowhow, slack, fake_slack, case):
    body, ctype, headers = _bad_requests(slack)[case]
    before = _state(knowhow)
    response = slack.post(body, ctype, headers)
    assert response.status == 401
    settle(knowhow)
    assert _state(knowhow) == before
    assert fake_slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    "body,ctype",
    [
        (b'{"type": "event_callback", "event": ', "application/json"),
        (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00garbage", "application/json"),
        (b"[1, 2, 3]", "application/json"),
    ],
    ids=["truncated json", "payload not json", "not utf-8", "json not an object"],
)
def test_signed_bodies_that_are_not_what_they_claim_get_400(knowhow, slack, body, ctype):
    before = _state(knowhow)
    response = slack.send_signed(body, ctype)
    assert 400 <= response.status < 500
    assert _state(knowhow) == before


def test_other_paths_and_methods_are_not_served(knowhow):
    base = f"http://127.0.0.1:{knowhow.http.port}"
    for url, method, code in [
        (base + "/slack/events", "GET", 405),
        (base + "/admin", "GET", 404),
        (base + "/healthz", "POST", 405),
    ]:
        with pytest.raises(urllib.error.HTTPError) as failure:
            urllib.request.urlopen(urllib.request.Request(url, method=method, data=b"" if method == "POST" else None))
        assert failure.value.code == code


def test_url_verification_is_answered(knowhow, slack):
    body = json.dumps(
        {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}
    ).encode()
    response = slack.send_signed(body, "application/json")
    assert response.status == 200
    assert b"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in response.body


# -- the rest of the manifest's surface -------------------------------------------------------


def test_opening_the_home_tab_publishes_it(knowhow, slack, fake_slack):
    event = {
        "type": "app_home_opened",
        "user": ASKER,
        "channel": "D0STUDENT1",
        "tab": "home",
        "event_ts": "1754400124.556817",
    }
    assert slack.event(event).status == 200
    [call] = fake_slack.wait_for("views.publish")
    assert call.args["user_id"] == ASKER
    assert "/ask" in call.block_text()


def test_the_accept_answer_shortcut_on_a_message_that_is_no_answer_says_so_privately(knowhow, slack, fake_slack):
    payload = {
        "type": "message_action",
        "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
        "action_ts": "1754400210.123456",
        "team": {"id": "T0FAKETEAM", "domain": "fake-mentors"},
        "user": {"id": ASKER, "username": "student", "team_id": "T0FAKETEAM", "name": "student"},
        "channel": {"id": QA_CHANNEL, "name": "questions"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": "accept_answer",
        "trigger_id": "7712345678905.7700000000001.aabbccddeeff00112233445566778899",
        "response_url": fake_slack.response_url("shortcut"),
        "message_ts": "1754400200.000500",
        "message": {
            "type": "message",
            "user": "U0HELPER",
            "text": "Use functools.wraps",
            "ts": "1754400200.000500",
            "thread_ts": "1754400000.000100",
        },
    }
    assert slack.interaction(payload).status == 200
    [told] = fake_slack.wait_for("response_url")
    assert "not a reply to a question" in told.args["text"] and told.args["response_type"] == "ephemeral"
    assert fake_slack.calls_to("chat.update") == []


def test_a_post_whose_answer_was_lost_is_not_posted_twice(knowhow, slack, fake_slack, quick_retries):
    fake_slack.lose_answer_next("chat.postMessage")  # Slack posts it, the app never hears back
    slack.command("/ask", "Is the VPN down for everyone?", response_url=fake_slack.response_url("ask"))
    fake_slack.wait_for("conversations.history", timeout=15)  # the retry looks before it posts
    fake_slack.wait_for("response_url", timeout=15)
    settle(knowhow)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert len(fake_slack.messages[QA_CHANNEL]) == 1
    [question] = _questions(knowhow)
    assert question.message_ts == fake_slack.messages[QA_CHANNEL][0]["ts"]


# -- follow-ups -------------------------------------------------------------------------------


def _age_questions(knowhow, hours):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    with session_scope(knowhow.engine) as s:
        s.execute(update(Question).values(posted_at=datetime.now(UTC) - timedelta(hours=hours)))


def test_an_unanswered_question_is_raised_once_in_its_thread_and_to_the_asker(knowhow, slack, fake_slack):
    from scheduler import jobs

    ask(slack, fake_slack, "Does anyone know the guest Wi-Fi password?")
    fake_slack.wait_for("response_url")
    question = _questions(knowhow)[0]
    _age_questions(knowhow, 25)
    assert knowhow.scheduler.get_job(jobs.FOLLOW_UP_JOB_ID) is not None  # kept by the reconcile step
    assert jobs.follow_up_questions(24) == 1
    posts = fake_slack.wait_for("chat.postMessage", 3)
    in_thread = next(c for c in posts[1:] if c.args.get("thread_ts"))
    to_asker = next(c for c in posts[1:] if c.args["channel"] == ASKER)
    assert in_thread.args["thread_ts"] == question.message_ts and in_thread.args["reply_broadcast"] is True
    assert "no answer yet" in in_thread.args["text"] and "<!" not in in_thread.args["text"]
    assert "Nobody has answered" in to_asker.args["text"]
    assert jobs.follow_up_questions(24) == 0
    settle(knowhow)
    assert len(fake_slack.calls_to("chat.postMessage")) == 3


def test_an_answered_question_is_never_raised(knowhow, slack, fake_slack):
    from scheduler import jobs

    ask(slack, fake_slack, "Where are the fire exits?")
    fake_slack.wait_for("response_url")
    thread_ts = _questions(knowhow)[0].message_ts
    slack.event(
        slack.thread_reply(
            channel=QA_CHANNEL,
            thread_ts=thread_ts,
            ts=f"{float(thread_ts) + 5:.6f}",
            user="U0HELPER",
            text="By the lifts",
        )
    )
    settle(knowhow)  # the reply is recorded as an answer after its ack
    _age_questions(knowhow, 48)
    assert jobs.follow_up_questions(24) == 0
    settle(knowhow)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
