"""The outbox worker's decisions: what is retried, when, and what is given up."""

from __future__ import annotations

import urllib.error
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.once import LookupFailed
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


def test_a_failed_look_up_is_retried_and_waits_for_slacks_retry_after():
    def failed(cause):
        exc = LookupFailed("looking for an earlier attempt")
        exc.__cause__ = cause
        return exc

    verdict, delay, _ = classify(failed(_api_error(429, headers={"Retry-After": "7"})), attempts=3)
    assert (verdict, delay) == ("retry", timedelta(seconds=7))
    assert classify(failed(_api_error(200, "access_denied")), attempts=3)[0] == "retry"  # no reason to give up soon


def test_a_look_up_slack_keeps_refusing_fails_after_about_a_day_and_an_outage_never_does():
    from bot.outbox import MAX_LOOKUP_ATTEMPTS, backoff

    def failed(cause):
        exc = LookupFailed("looking for an earlier attempt in C0QA")
        exc.__cause__ = cause
        return exc

    waited = sum((backoff(n) for n in range(1, MAX_LOOKUP_ATTEMPTS)), timedelta())
    assert timedelta(hours=20) < waited < timedelta(hours=30)
    refused = failed(_api_error(200, "access_denied"))
    assert classify(refused, attempts=MAX_LOOKUP_ATTEMPTS - 1)[0] == "retry"
    verdict, delay, reason = classify(refused, attempts=MAX_LOOKUP_ATTEMPTS)
    assert (verdict, delay) == ("fail", None) and "looking for an earlier attempt in C0QA" in reason
    for outage in (_api_error(503), urllib.error.URLError("connection refused"), _api_error(429)):
        assert classify(failed(outage), attempts=10 * MAX_LOOKUP_ATTEMPTS)[0] == "retry"


@pytest.mark.parametrize(
    "exc",
    [
        _api_error(503),
        _api_error(200, "internal_error"),
        _api_error(200, "not_authed"),
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


class TokenRecorder(Recorder):
    """Records which token each row was sent with; a workspace in `revoked` answers token_revoked."""

    def __init__(self, revoked=()):
        super().__init__()
        self.revoked = set(revoked)
        self.tokens = []

    def send(self, ctx, item):
        if item.team_id in self.revoked:
            raise _api_error(200, "token_revoked")
        self.tokens.append((item.payload["n"], getattr(ctx.client, "token", None)))
        return super().send(ctx, item)


class Tokens:
    """An installation per workspace, as bot.oauth's store would give them."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.forgotten = []

    def token_for(self, team_id):
        from bot.installs import NotInstalled

        if team_id not in self.tokens:
            raise NotInstalled(team_id)
        return self.tokens[team_id]

    def forget(self, team_id):
        self.forgotten.append(team_id)


def _statuses(engine, team_id, n):
    with session_scope(engine) as s:
        return [outbox.get(s, team_id=team_id, dedupe_key=f"{team_id}:{k}").status for k in range(n)]


def test_each_row_goes_out_with_its_own_workspace_token(engine):
    from slack_sdk import WebClient

    with session_scope(engine) as s:
        for n, team in enumerate(["T1", "T2", "T1"]):
            outbox.enqueue(s, team_id=team, dedupe_key=f"{team}:{n}", kind="test.send", payload={"n": n})
        outbox.enqueue(s, team_id="T3", dedupe_key="T3:0", kind="test.send", payload={"n": 9})
    recorder = TokenRecorder()
    worker = OutboxWorker(
        engine,
        WebClient(token="xoxb-default", base_url="http://127.0.0.1:9/"),
        {"test.send": recorder},
        clock=lambda: datetime.now(UTC) + timedelta(seconds=1),
        installs=Tokens({"T1": "xoxb-one", "T2": "xoxb-two"}),
    )
    worker.run_once()
    assert recorder.tokens == [(0, "xoxb-one"), (1, "xoxb-two"), (2, "xoxb-one")]
    # T3 was never installed: its row is kept, not sent, not counted as an attempt, not failed.
    with session_scope(engine) as s:
        row = outbox.get(s, team_id="T3", dedupe_key="T3:0")
    assert (row.status, row.attempts) == ("held", 0)
    assert "not installed" in row.last_error


def test_a_revoked_workspace_is_held_whole_and_never_delays_another(engine):
    from storage import workspaces

    with session_scope(engine) as s:
        for k in range(3):
            outbox.enqueue(s, team_id="TDEAD", dedupe_key=f"TDEAD:{k}", kind="test.send", payload={"n": k})
        for k in range(2):
            outbox.enqueue(s, team_id="TLIVE", dedupe_key=f"TLIVE:{k}", kind="test.send", payload={"n": k})
    recorder = TokenRecorder(revoked={"TDEAD"})
    worker = _worker(engine, {"test.send": recorder}, datetime.now(UTC) + timedelta(seconds=1))
    worker.run_once()
    # One refusal was enough: the dead workspace's other rows were held without a call to Slack.
    assert _statuses(engine, "TDEAD", 3) == ["held"] * 3
    assert _statuses(engine, "TLIVE", 2) == ["sent"] * 2
    with session_scope(engine) as s:
        assert workspaces.is_gone(s, team_id="TDEAD")
        assert workspaces.get(s, team_id="TDEAD").gone_reason == "token_revoked"
    assert worker.run_once() == 0  # nothing of it is claimed again

    # Installed again: what it queued goes out, in the order it was queued.
    recorder.revoked.clear()
    with session_scope(engine) as s:
        assert workspaces.mark_back(s, team_id="TDEAD")
    worker.run_once()
    assert _statuses(engine, "TDEAD", 3) == ["sent"] * 3
    assert [n for n, _ in recorder.tokens[2:]] == [0, 1, 2]


# -- claims: leases renewed while held, dead holders' rows freed at once -------------------------


def _holder(pid: int | None = None, nonce: str | None = None, host: str | None = None) -> str:
    from bot import liveness

    parts = liveness.claimant("knowhow-outbox").split("|")
    if host is not None:
        parts[0] = host
    if pid is not None:
        parts[2] = str(pid)
    if nonce is not None:
        parts[3] = nonce
    return "|".join(parts)


def test_a_holder_is_dead_only_when_this_machine_surely_says_so():
    import subprocess
    import sys

    from bot import liveness

    if liveness._boot() == "-":
        pytest.skip("the operating system gives no boot id (not Linux)")
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert not liveness.dead(_holder(pid=running.pid))
        assert not liveness.dead(_holder(pid=running.pid, host="another-machine"))
    finally:
        running.kill()
        running.wait()
    assert liveness.dead(_holder(pid=running.pid))  # killed and reaped
    assert not liveness.dead(_holder(pid=running.pid, host="another-machine"))  # cannot know: its lease will
    assert not liveness.dead(_holder())  # this very process
    assert liveness.dead(_holder(nonce="0123456789ab"))  # this pid in another life (a restarted container)
    assert not liveness.dead("garbage") and not liveness.dead("a|b|c|d")


class Slow:
    """A send that takes longer than a lease."""

    def __init__(self, seconds):
        self.seconds, self.sent, self.started = seconds, [], False

    def send(self, ctx, item):
        import time

        self.started = True
        time.sleep(self.seconds)
        self.sent.append(item.payload["n"])

    def failed(self, session, item, reason):
        raise AssertionError(reason)


@pytest.mark.timing  # its heartbeat must renew a 1.5 s lease in time: not beside the parallel tests
def test_a_live_worker_keeps_its_claim_through_a_send_longer_than_its_lease(engine):
    import time

    with session_scope(engine) as s:
        outbox.enqueue(s, team_id="T1", dedupe_key="slow", kind="test.send", payload={"n": 1})
    slow, other = Slow(3.5), Slow(0)
    lease = timedelta(seconds=1.5)
    worker = OutboxWorker(engine, client=None, senders={"test.send": slow}, lease=lease, poll_seconds=0.1)
    rival = OutboxWorker(engine, client=None, senders={"test.send": other}, lease=lease, name="rival")
    worker.start()
    try:
        while not slow.started:  # the worker claimed it (else the rival could claim it first)
            time.sleep(0.01)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:  # past the first lease, again and again
            assert rival.run_once() == 0
            time.sleep(0.1)
    finally:
        worker.stop()
    assert slow.sent == [1] and other.sent == []
    with session_scope(engine) as s:
        row = outbox.get(s, team_id="T1", dedupe_key="slow")
    assert (row.status, row.attempts, row.claimed_by) == ("sent", 1, None)


def test_a_worker_frees_the_claims_of_a_dead_process_on_this_machine_when_it_starts(engine):
    import subprocess
    import sys
    import time

    from bot import liveness

    if liveness._boot() == "-":
        pytest.skip("the operating system gives no boot id (not Linux)")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with session_scope(engine) as s:
        for n in range(3):
            outbox.enqueue(s, team_id="T1", dedupe_key=f"d{n}", kind="test.send", payload={"n": n})
        outbox.enqueue(s, team_id="T1", dedupe_key="far", kind="test.send", payload={"n": 9})
    now = datetime.now(UTC) + timedelta(seconds=1)
    with session_scope(engine) as s:
        dead = outbox.claim_due(s, now=now, lease=timedelta(hours=1), limit=3, claimant=_holder(pid=gone.pid))
        [_elsewhere] = outbox.claim_due(
            s, now=now, lease=timedelta(hours=1), claimant=_holder(pid=gone.pid, host="another-machine")
        )
    assert len(dead) == 3
    recorder = Slow(0)
    worker = OutboxWorker(engine, client=None, senders={"test.send": recorder}, poll_seconds=0.1)
    worker.start()
    try:
        deadline = time.monotonic() + 5
        while len(recorder.sent) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop()
    assert sorted(recorder.sent) == [0, 1, 2]  # at once, not after their hour's lease
    with session_scope(engine) as s:  # another machine's holder may be alive: its lease decides
        assert outbox.get(s, team_id="T1", dedupe_key="far").status == "sending"


def test_a_worker_that_cannot_renew_its_claims_lets_the_rest_of_its_batch_go(engine):
    """Its heartbeat fails (here: it has none, and its clock runs on), so before a lease could run
    out under a send, the rows it has not tried go back, untried, for any worker."""
    start = datetime.now(UTC) + timedelta(seconds=1)
    ticks = iter(range(1000))
    with session_scope(engine) as s:
        for n in range(3):
            outbox.enqueue(s, team_id="T1", dedupe_key=f"b{n}", kind="test.send", payload={"n": n})
    recorder = Slow(0)
    worker = OutboxWorker(
        engine,
        client=None,
        senders={"test.send": recorder},
        lease=timedelta(seconds=15),
        clock=lambda: start + timedelta(seconds=3 * next(ticks)),
    )
    assert worker.run_once() == 3
    assert recorder.sent == [0]  # three seconds a call: the second row would start half a lease in
    with session_scope(engine) as s:
        rows = [outbox.get(s, team_id="T1", dedupe_key=f"b{n}") for n in range(3)]
    assert [(r.status, r.attempts, r.claimed_by) for r in rows] == [("sent", 1, None)] + [("pending", 0, None)] * 2
