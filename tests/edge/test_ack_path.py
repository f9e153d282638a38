"""The ack path stores the request and nothing else; everything it implies happens after the ack.

Signed requests into the running app, the Slack stand-in on loopback, and the work worker held
back where a test needs the moment between the ack and the worker's turn.
"""

from __future__ import annotations

import json

from sqlmodel import select

from bot.service import Knowhow
from fakeslack import SlackSender
from notify import kinds
from storage.db import session_scope
from storage.models import Answer, OutboxMessage, Question

from ..settle import settle, watch
from .conftest import QA_CHANNEL, SECRET

ASKER = "U0STUDENT1"


def _rows(engine, kind=None):
    with session_scope(engine) as s:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        return list(s.exec(query))


def _questions(engine):
    with session_scope(engine) as s:
        return list(s.exec(select(Question).order_by(Question.id)))


def _start(settings, *, with_scheduler: bool = True) -> Knowhow:
    service = Knowhow(settings, host="127.0.0.1", outbox_poll_seconds=0.2, with_scheduler=with_scheduler)
    service.start()
    watch(service)
    return service


def _crash(service: Knowhow) -> None:
    """Gone without a word: no request finishes, no worker drains (as after kill -9)."""
    service.workers.work.stop()
    service.workers.outbox.stop()
    service.http.stop()
    if service.scheduler is not None:
        service.scheduler.shutdown(wait=False)
    service.engine.dispose()


def test_ask_acks_with_only_the_request_stored_and_the_worker_does_the_rest(settings, fake_slack):
    service = _start(settings)
    try:
        service.workers.work.stop()  # the worker's turn has not come yet
        slack = SlackSender(f"http://127.0.0.1:{service.http.port}/slack/events", SECRET)
        ack = slack.command("/ask", "Where is the VPN guide?", user_id=ASKER, response_url=fake_slack.response_url("a"))
        assert ack.status == 200 and "looking for earlier answers" in ack.json()["text"]
        # Acked means stored: the request, as one work row, and nothing done yet.
        [work] = _rows(service.engine)
        assert (work.kind, work.status) == (kinds.WORK_ASK, "pending")
        assert json.loads(work.payload)["text"] == "Where is the VPN guide?"
        assert _questions(service.engine) == []
        assert fake_slack.calls_to("chat.postMessage") == [] and fake_slack.calls_to("response_url") == []

        service.workers.work.start()
        service.workers.work.wake()
        [post] = fake_slack.wait_for("chat.postMessage")
        assert post.args["channel"] == QA_CHANNEL and "Where is the VPN guide?" in post.block_text()
        [told] = fake_slack.wait_for("response_url")
        assert told.args["replace_original"] is True and "is posted" in told.args["text"]
        settle(service)
        [work] = _rows(service.engine, kinds.WORK_ASK)
        # Done, and the row no longer holds the person's words.
        assert (work.status, work.payload) == ("sent", "{}")
    finally:
        service.stop()


def test_nothing_is_lost_when_the_process_dies_between_the_ack_and_the_workers_turn(settings, fake_slack):
    first = _start(settings, with_scheduler=False)  # a scheduler's leadership would outlive the crash
    first.workers.work.stop()
    slack = SlackSender(f"http://127.0.0.1:{first.http.port}/slack/events", SECRET)
    texts = [f"Question {n}: who approves travel to the Lyon office?" for n in range(3)]
    for n, text in enumerate(texts):
        assert slack.command("/ask", text, user_id=ASKER, response_url=fake_slack.response_url(f"r{n}")).status == 200
    reply = slack.thread_reply(
        channel=QA_CHANNEL, thread_ts="1754000000.000100", ts="1754000001.000100", user="U0X", text="hi"
    )
    assert slack.event(reply, event_id="Ev0LOST0001").status == 200
    _crash(first)
    assert [r.status for r in _rows(first.engine)] == ["pending"] * 4

    second = _start(settings, with_scheduler=False)
    try:
        posts = fake_slack.wait_for("chat.postMessage", 3)
        assert sorted(t for p in posts for t in texts if t in p.block_text()) == sorted(texts)
        fake_slack.wait_for("response_url", 3)
        settle(second)
        assert len(fake_slack.calls_to("chat.postMessage")) == 3  # each once
        assert {c.path for c in fake_slack.calls_to("response_url")} == {f"/response/r{n}" for n in range(3)}
        assert [q.status for q in _questions(second.engine)] == ["posted"] * 3
        assert {r.status for r in _rows(second.engine, kinds.WORK_MESSAGE)} == {"sent"}
    finally:
        second.stop()


def test_a_request_delivered_twice_is_stored_once(knowhow, slack, fake_slack):
    body = slack.command_body("/ask", "How do I book a desk?", response_url=fake_slack.response_url("twice"))
    assert slack.send_signed(body, "application/x-www-form-urlencoded").status == 200
    assert slack.send_signed(body, "application/x-www-form-urlencoded").status == 200
    fake_slack.wait_for("chat.postMessage")
    settle(knowhow)
    assert len(_rows(knowhow.engine, kinds.WORK_ASK)) == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 1 and len(_questions(knowhow.engine)) == 1


def test_a_reply_is_acked_before_it_is_recorded_and_recorded_after(settings, fake_slack):
    service = _start(settings)
    try:
        slack = SlackSender(f"http://127.0.0.1:{service.http.port}/slack/events", SECRET)
        slack.command("/ask", "Which printer is on floor 3?", user_id=ASKER, response_url=fake_slack.response_url())
        fake_slack.wait_for("response_url")
        [question] = _questions(service.engine)
        service.workers.work.stop()
        reply = slack.thread_reply(
            channel=QA_CHANNEL, thread_ts=question.message_ts, ts="1754500000.000900", user="U0HELPER", text="Zebra"
        )
        assert slack.event(reply, event_id="Ev0AFTER001").status == 200
        with session_scope(service.engine) as s:
            assert list(s.exec(select(Answer))) == []
        service.workers.work.start()
        service.workers.work.wake()
        settle(service)
        with session_scope(service.engine) as s:
            assert [a.text for a in s.exec(select(Answer))] == ["Zebra"]
        # The post follows its answer (an update to "Answered").
        assert fake_slack.wait_for("chat.update")
    finally:
        service.stop()


def test_chatter_the_bot_cannot_use_is_not_stored(knowhow, slack):
    joined = {"type": "message", "subtype": "channel_join", "channel": QA_CHANNEL, "user": "U0NEW", "ts": "1.2"}
    bot = {"type": "message", "subtype": "bot_message", "channel": QA_CHANNEL, "bot_id": "B0X", "ts": "1.3"}
    for event in (joined, bot):
        assert slack.event(event).status == 200
    assert _rows(knowhow.engine, kinds.WORK_MESSAGE) == []


def test_a_question_the_worker_cannot_take_is_told_to_the_asker_with_its_text(settings, fake_slack):
    service = _start(settings.model_copy(update=dict(qa_channel=None)))
    try:
        slack = SlackSender(f"http://127.0.0.1:{service.http.port}/slack/events", SECRET)
        ack = slack.command("/ask", "Is there parking?", response_url=fake_slack.response_url("np"))
        assert "Got it" in ack.json()["text"]
        [told] = fake_slack.wait_for("response_url")
        assert "/ask channel" in told.args["text"] and told.args["replace_original"] is True
        settle(service)
        assert fake_slack.calls_to("chat.postMessage") == []
    finally:
        service.stop()
