"""settle(): what the tests use instead of sleeping must itself wait for each kind of work in flight."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from bot.outbox import Sender
from core.clock import utcnow
from storage import outbox
from storage.db import session_scope

from ..scheduler.jobs_for_tests import leave_trace_slowly
from ..settle import settle

SLOW = 0.3


class _SlowSender(Sender):
    def __init__(self, gate: threading.Event | None = None):
        self.gate = gate
        self.sent: list[str] = []

    def send(self, ctx, item):
        if self.gate is not None:
            self.gate.wait(10)
        else:
            time.sleep(SLOW)
        self.sent.append(item.dedupe_key)
        return None


def _queue(knowhow, key, *, not_before=None):
    with session_scope(knowhow.engine) as s:
        outbox.enqueue(s, team_id="T0FAKETEAM", dedupe_key=key, kind="test_slow", payload={}, not_before=not_before)
    knowhow.workers.outbox.wake()


def test_settle_waits_for_the_outbox_but_not_for_what_is_due_later(knowhow):
    sender = knowhow.workers.outbox.senders["test_slow"] = _SlowSender()
    _queue(knowhow, "now")
    _queue(knowhow, "later", not_before=utcnow() + timedelta(hours=1))
    settle(knowhow)
    assert sender.sent == ["now"]


def test_settle_waits_for_a_lazy_listener(knowhow, slack):
    done = []

    def slow(event):
        time.sleep(SLOW)
        done.append(event["type"])

    knowhow.app.event("test_lazy_event")(ack=lambda: None, lazy=[slow])
    assert slack.event({"type": "test_lazy_event", "user": "U0SOMEONE1"}).status == 200
    settle(knowhow)
    assert done == ["test_lazy_event"]


def test_settle_waits_for_a_job_that_is_due_or_running(knowhow, tmp_path):
    trace = tmp_path / "trace.txt"
    knowhow.scheduler.add_job(
        leave_trace_slowly, trigger="date", run_date=utcnow(), args=[str(trace), "ran", SLOW], id="test:slow"
    )
    settle(knowhow)
    assert trace.read_text().splitlines() == ["ran"]


def test_settle_fails_the_test_when_work_never_ends(knowhow):
    gate = threading.Event()
    knowhow.workers.outbox.senders["test_slow"] = _SlowSender(gate)
    _queue(knowhow, "stuck")
    try:
        # The message names what is still in flight: the stuck send, and whatever else had not
        # finished by then (beside a CPU hog, once, the scoreboard's sweep begun at start).
        with pytest.raises(AssertionError, match=r"not settled within 0\.5s: (.+, )?outbox test_slow sending"):
            settle(knowhow, timeout=0.5)
    finally:
        gate.set()
    settle(knowhow)
