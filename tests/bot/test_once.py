"""What a retry does about the posts of an attempt whose answer was lost (bot/once.py), one worker
against the stand-in, on a clock the tests move: each conversation's post is found where it is,
and what Slack answers the look-up decides whether the row is retried, held or let go on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient

from bot.outbox import OutboxWorker, Sender
from storage import outbox
from storage.db import session_scope

START = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)


class Post(Sender):
    """Posts `text` in each channel of `channels`, one chat.postMessage each."""

    def send(self, ctx, item):
        for channel in item.payload["channels"]:
            ctx.client.chat_postMessage(channel=channel, text=item.payload["text"])
        return None


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now


def _run(engine, fake_slack, *channels, rounds=4) -> str:
    """Queue one row posting in `channels`, and give the worker `rounds` passes, each after any
    back-off. The row's status."""
    with session_scope(engine) as s:
        outbox.enqueue(
            s,
            team_id="T1",
            dedupe_key="k",
            kind="test.post",
            payload={"text": "Hello", "channels": list(channels)},
            not_before=START - timedelta(seconds=1),
        )
    clock = Clock()
    client = WebClient(token=fake_slack.token, base_url=fake_slack.api_url, retry_handlers=[])
    worker = OutboxWorker(engine, client, {"test.post": Post()}, clock=clock)
    for _ in range(rounds):
        worker.run_once()
        clock.now += timedelta(seconds=30)  # past the first back-offs, within the look-up's margin
    with session_scope(engine) as s:
        return outbox.get(s, team_id="T1", dedupe_key="k").status


def test_each_conversation_of_a_row_is_looked_in_for_its_own_post(engine, fake_slack):
    fake_slack.lose_answer_next("chat.postMessage", lambda call: call.args["channel"] == "C0SECOND1")
    assert _run(engine, fake_slack, "C0FIRST01", "C0SECOND1", "U0PERSON1") == "sent"
    assert [len(fake_slack.messages[c]) for c in ("C0FIRST01", "C0SECOND1", "D0PERSON1")] == [1, 1, 1]
    markers = [fake_slack.messages[c][0]["metadata"]["event_payload"] for c in ("C0FIRST01", "C0SECOND1")]
    assert markers[0] == markers[1]  # the row's first post in each conversation
    # The retry looked in each conversation, the person's DM too (found by conversations.open).
    looked = [c.args["channel"] for c in fake_slack.calls_to("conversations.history")]
    assert looked == ["C0FIRST01", "C0SECOND1", "D0PERSON1"]


def test_a_look_up_that_says_the_installation_is_gone_holds_the_row(engine, fake_slack):
    fake_slack.lose_answer_next("chat.postMessage")
    fake_slack.fail_next("conversations.history", error="account_inactive")
    assert _run(engine, fake_slack, "C0FIRST01", rounds=2) == "held"
    assert len(fake_slack.messages["C0FIRST01"]) == 1


def test_a_dm_to_someone_gone_gets_slacks_answer_for_good_rather_than_a_look_up_for_ever(engine, fake_slack):
    fake_slack.fail_next("chat.postMessage", status=503)  # nothing posted: the retry looks
    fake_slack.fail_next("conversations.open", error="user_disabled")
    fake_slack.fail_next("chat.postMessage", error="user_disabled")
    assert _run(engine, fake_slack, "U0GONE001") == "failed"
    assert len(fake_slack.calls_to("chat.postMessage")) == 2 and not fake_slack.calls_to("conversations.history")
