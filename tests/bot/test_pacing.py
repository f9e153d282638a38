"""The outbox paces its posts per channel (bot/pacing.py): a post with no token waits its turn
instead of failing, one channel's wait or 429 never holds up another, a channel's rows go out in
the order they were queued, and nothing is posted twice because of pacing.

The worker and the stand-in's limit share one clock that the tests move: nothing here is timed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient

from bot.outbox import OutboxWorker, Sender
from bot.pacing import Pacer
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

    def seconds(self) -> float:
        return self.now.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def slack(fake_slack, clock):
    """The stand-in, limiting posts per channel as Slack does (1 a second, no burst), on the test's clock."""
    fake_slack.limit_posts(1.0, 1).clock = clock.seconds
    return fake_slack


def _queue(engine, key, text, *channels, at=None):
    with session_scope(engine) as s:
        outbox.enqueue(
            s,
            team_id="T1",
            dedupe_key=key,
            kind="test.post",
            payload={"text": text, "channels": list(channels)},
            not_before=at or START - timedelta(seconds=1),
        )


def _worker(engine, slack, clock, rate=1.0, burst=1):
    client = WebClient(token=slack.token, base_url=slack.api_url, retry_handlers=[])
    return OutboxWorker(engine, client, {"test.post": Post()}, clock=clock, pacer=Pacer(rate, burst))


def _drain(worker) -> None:
    while worker.run_once():
        pass


def _row(engine, key):
    with session_scope(engine) as s:
        row = outbox.get(s, team_id="T1", dedupe_key=key)
        return row.status, row.attempts, row.next_attempt_at


def _texts(slack, channel):
    return [m["text"] for m in slack.messages.get(channel, [])]


def test_a_post_with_no_token_waits_its_turn_instead_of_failing(engine, slack, clock):
    for n in range(3):
        _queue(engine, f"m{n}", f"m{n}", "C1")
    worker = _worker(engine, slack, clock)
    _drain(worker)
    assert _texts(slack, "C1") == ["m0"]
    # Put back, one token apart, without counting an attempt.
    assert _row(engine, "m1") == ("pending", 0, START + timedelta(seconds=1))
    assert _row(engine, "m2") == ("pending", 0, START + timedelta(seconds=2))
    clock.advance(1)
    _drain(worker)
    clock.advance(1)
    _drain(worker)
    assert _texts(slack, "C1") == ["m0", "m1", "m2"]
    assert [_row(engine, f"m{n}")[:2] for n in range(3)] == [("sent", 1)] * 3
    assert slack.post_limit.total_refused == 0  # never faster than Slack allows


def test_a_backlog_in_one_channel_does_not_hold_up_another(engine, slack, clock):
    for n in range(10):
        _queue(engine, f"busy{n}", f"busy{n}", "C1")
    _queue(engine, "other", "other", "C2")
    _drain(_worker(engine, slack, clock))
    assert _texts(slack, "C1") == ["busy0"] and _texts(slack, "C2") == ["other"]


def test_a_429_holds_its_channel_only(engine, slack, clock):
    _queue(engine, "a", "a", "C1")
    _queue(engine, "b", "b", "C1")
    _queue(engine, "c", "c", "C2")
    slack.fail_next("chat.postMessage", status=429, retry_after=30)  # what another process's posts may cause
    worker = _worker(engine, slack, clock, burst=3)
    _drain(worker)
    assert _texts(slack, "C2") == ["c"]  # not delayed by C1's Retry-After
    assert _texts(slack, "C1") == []
    assert _row(engine, "a") == ("pending", 1, START + timedelta(seconds=30))  # the 429 counts as an attempt
    status, attempts, at = _row(engine, "b")
    assert (status, attempts) == ("pending", 0) and at >= START + timedelta(seconds=30)  # b waits, uncounted
    clock.advance(29)
    _drain(worker)
    assert _texts(slack, "C1") == []
    clock.advance(1)
    for _ in range(3):
        _drain(worker)
        clock.advance(1)
    assert _texts(slack, "C1") == ["a", "b"]  # in the order queued, the 429'd row first


def test_a_late_worker_still_posts_a_channel_in_queued_order_and_within_the_limit(engine, slack, clock):
    for n in range(6):
        _queue(engine, f"m{n}", f"m{n}", "C1")
    worker = _worker(engine, slack, clock)
    _drain(worker)
    clock.advance(10)  # every row's turn has come at once
    for _ in range(8):
        _drain(worker)
        clock.advance(1)
    assert _texts(slack, "C1") == [f"m{n}" for n in range(6)]
    assert slack.post_limit.total_refused == 0


def test_a_send_that_already_posted_is_never_told_to_wait(engine, slack, clock):
    # C2's token is taken by the first row; the second row posts in C1, then in C2: it cannot be
    # refused there, or running it again would post in C1 twice.
    _queue(engine, "first", "first", "C2")
    _queue(engine, "both", "both", "C1", "C2")
    slack.limit_posts(1.0, 2).clock = clock.seconds  # Slack tolerates the short burst
    worker = _worker(engine, slack, clock)
    _drain(worker)
    assert _texts(slack, "C1") == ["both"] and _texts(slack, "C2") == ["first", "both"]
    assert _row(engine, "both")[:2] == ("sent", 1)
    # The C2 token it took in advance makes C2's next row wait the longer.
    _queue(engine, "next", "next", "C2")
    _drain(worker)
    clock.advance(1)
    _drain(worker)
    assert _texts(slack, "C2") == ["first", "both"]
    clock.advance(1)
    _drain(worker)
    assert _texts(slack, "C2") == ["first", "both", "next"]


def test_a_send_refused_before_it_posted_anything_posts_once_later(engine, slack, clock):
    _queue(engine, "first", "first", "C1")
    _queue(engine, "both", "both", "C1", "C2")
    worker = _worker(engine, slack, clock)
    _drain(worker)
    assert _texts(slack, "C1") == ["first"] and _texts(slack, "C2") == []  # refused at its first post
    clock.advance(1)
    _drain(worker)
    assert _texts(slack, "C1") == ["first", "both"] and _texts(slack, "C2") == ["both"]
    assert len(slack.calls_to("chat.postMessage")) == 3


def test_the_pacer_gives_a_backlog_one_turn_each_in_order():
    pacer = Pacer(2.0, 2)
    assert pacer.admit("C1", 1, 100.0) is None
    assert pacer.admit("C1", 2, 100.0) is None  # the burst
    assert [pacer.admit("C1", row, 100.0) for row in (3, 4, 5)] == [100.5, 101.0, 101.5]
    assert pacer.admit("C2", 6, 100.0) is None  # another channel, another bucket
    assert pacer.admit("C1", 7, 100.5) == 102.0  # a newcomer queues behind the line
    assert pacer.admit("C1", 3, 100.5) is None  # its turn
    assert pacer.admit("C1", 4, 100.6) == 101.0  # early: keeps its place
    pacer.block("C1", None, 110.0)
    assert pacer.admit("C1", 4, 101.0) == 110.0


def test_due_rows_are_claimed_in_the_order_they_were_queued(engine):
    # A row put back to wait for its channel may fall due after a row queued behind it: when both
    # are due, the one queued first still goes first.
    _queue(engine, "older", "older", "C1", at=START - timedelta(seconds=1))
    _queue(engine, "newer", "newer", "C1", at=START - timedelta(seconds=5))
    with session_scope(engine) as s:
        claimed = outbox.claim_due(s, now=START, lease=timedelta(minutes=5))
    assert [item.dedupe_key for item in claimed] == ["older", "newer"]
