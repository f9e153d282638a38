"""The outbox worker's decisions: what is retried, when, and what is given up."""

from __future__ import annotations

import urllib.error
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.outbox import OutboxWorker, PermanentError, Retry, classify
from storage import outbox
from storage.db import session_scope


def _api_error(status=200, error=None, headers=None):
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="http://x/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": error} if error else {"ok": False},
        headers=headers or {},
        status_code=status,
    )
    return SlackApiError("failed", response)


def test_429_waits_for_retry_after():
    verdict, delay, _ = classify(_api_error(429, "ratelimited", {"Retry-After": "7"}), attempts=1)
    assert (verdict, delay) == ("retry", timedelta(seconds=7))


@pytest.mark.parametrize(
    "exc",
    [
        _api_error(503),
        _api_error(200, "internal_error"),
        _api_error(200, "invalid_auth"),
        urllib.error.URLError("connection refused"),
        TimeoutError(),
        Retry("response_url answered 502"),
    ],
)
def test_outages_are_retried_with_growing_capped_backoff(exc):
    delays = [classify(exc, attempts=n)[1] for n in (1, 2, 3, 20)]
    assert classify(exc, attempts=1)[0] == "retry"
    assert delays[0] < delays[1] < delays[2]
    assert delays[3] <= timedelta(minutes=12)


@pytest.mark.parametrize(
    "exc,reason",
    [
        (_api_error(200, "channel_not_found"), "channel_not_found"),
        (PermanentError("the bot cannot join"), "the bot cannot join"),
        (KeyError("bug"), "internal error: KeyError"),
    ],
)
def test_what_cannot_succeed_fails_with_a_reason(exc, reason):
    assert classify(exc, attempts=1) == ("fail", None, reason)


class Recorder:
    def __init__(self, raises=None, follow_up=False):
        self.raises = raises
        self.follow_up = follow_up
        self.sent, self.failures = [], []

    def send(self, ctx, item):
        if self.raises:
            raise self.raises
        self.sent.append(item.payload)
        if not self.follow_up:
            return None
        return lambda session: outbox.enqueue(
            session, team_id=item.team_id, dedupe_key=item.dedupe_key + ":next", kind="test.next", payload={}
        )

    def failed(self, session, item, reason):
        self.failures.append(reason)


def _worker(engine, senders, now):
    return OutboxWorker(engine, client=None, senders=senders, clock=lambda: now)


def test_a_sent_message_runs_its_hook_in_the_same_transaction(engine):
    with session_scope(engine) as s:
        outbox.enqueue(s, team_id="T1", dedupe_key="m1", kind="test.send", payload={"n": 1})
    recorder, nexts = Recorder(follow_up=True), Recorder()
    worker = _worker(engine, {"test.send": recorder, "test.next": nexts}, datetime.now(UTC) + timedelta(seconds=1))
    assert worker.run_once() == 1
    assert worker.run_once() == 1  # the follow-up queued by the hook
    assert worker.run_once() == 0
    assert recorder.sent == [{"n": 1}] and nexts.sent == [{}]
    with session_scope(engine) as s:
        assert outbox.get(s, team_id="T1", dedupe_key="m1").status == "sent"


def test_a_permanent_failure_marks_the_row_and_calls_the_failure_hook(engine):
    with session_scope(engine) as s:
        outbox.enqueue(s, team_id="T1", dedupe_key="m1", kind="test.send", payload={})
    recorder = Recorder(raises=_api_error(200, "channel_not_found"))
    worker = _worker(engine, {"test.send": recorder}, datetime.now(UTC) + timedelta(seconds=1))
    worker.run_once()
    assert recorder.failures == ["channel_not_found"]
    with session_scope(engine) as s:
        row = outbox.get(s, team_id="T1", dedupe_key="m1")
    assert (row.status, row.last_error) == ("failed", "channel_not_found")


def test_a_rate_limited_message_is_not_retried_before_its_time(engine):
    with session_scope(engine) as s:
        outbox.enqueue(s, team_id="T1", dedupe_key="m1", kind="test.send", payload={})
    now = datetime.now(UTC) + timedelta(seconds=1)
    recorder = Recorder(raises=_api_error(429, headers={"Retry-After": "30"}))
    _worker(engine, {"test.send": recorder}, now).run_once()
    recorder.raises = None
    assert _worker(engine, {"test.send": recorder}, now + timedelta(seconds=29)).run_once() == 0
    assert _worker(engine, {"test.send": recorder}, now + timedelta(seconds=30)).run_once() == 1
    assert len(recorder.sent) == 1


def test_an_unknown_kind_is_failed_not_retried_forever(engine):
    with session_scope(engine) as s:
        outbox.enqueue(s, team_id="T1", dedupe_key="m1", kind="test.unknown", payload={})
    _worker(engine, {}, datetime.now(UTC) + timedelta(seconds=1)).run_once()
    with session_scope(engine) as s:
        assert outbox.get(s, team_id="T1", dedupe_key="m1").status == "failed"


def test_a_stopping_worker_puts_back_what_it_claimed_and_did_not_try(engine):
    with session_scope(engine) as s:
        for n in range(3):
            outbox.enqueue(s, team_id="T1", dedupe_key=f"m{n}", kind="test.send", payload={"n": n})
    now = datetime.now(UTC) + timedelta(seconds=1)
    worker = _worker(engine, {}, now)

    class StopsAfterOne(Recorder):
        def send(self, ctx, item):
            worker.stop(timeout=0)  # asked to stop while sending the first of three claimed rows
            return super().send(ctx, item)

    recorder = StopsAfterOne()
    worker.senders["test.send"] = recorder
    worker.run_once()
    assert recorder.sent == [{"n": 0}]
    with session_scope(engine) as s:
        rows = [outbox.get(s, team_id="T1", dedupe_key=f"m{n}") for n in range(3)]
    # Free at once for whoever comes next (no five-minute lease to wait out), not counted as tried.
    assert [(r.status, r.attempts, r.lease_until) for r in rows] == [
        ("sent", 1, None),
        ("pending", 0, None),
        ("pending", 0, None),
    ]
    assert _worker(engine, {"test.send": Recorder()}, now).run_once() == 2


def test_a_database_error_is_retried_a_while_then_fails_for_good():
    from sqlalchemy.exc import OperationalError

    from bot.outbox import MAX_DATABASE_ATTEMPTS

    locked = OperationalError("INSERT …", {}, Exception("database is locked"))
    verdict, delay, reason = classify(locked, attempts=1)
    assert (verdict, reason) == ("retry", "database: database is locked") and delay is not None
    # One that does not clear by itself (a bad query, a missing table) ends, and the person is told.
    assert classify(locked, attempts=MAX_DATABASE_ATTEMPTS) == ("fail", None, "database: database is locked")
