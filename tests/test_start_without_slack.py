"""`knowhow run` during a Slack outage: a real process, its SLACK_API_URL a loopback port where
nothing listens yet. It starts, says in /healthz that it runs degraded and why, and once the Slack
stand-in comes up on that port it catches up: /healthz is ok, the work that waited is done and sent,
and new requests are served."""

from __future__ import annotations

import signal
import subprocess
import time

from fakeslack import FakeSlack, SlackSender
from notify import kinds, queue_work
from storage.db import make_engine

from .test_cli import SECRET, _env, _free_port, _health, _knowhow, _wait_healthy

TEAM = "T0FAKETEAM"  # the stand-in's workspace


def _queued_before(database_url: str) -> None:
    """A question the previous run acked and had no time to do (the ack path's one write)."""
    engine = make_engine(database_url)
    try:
        from storage import migrate

        migrate.upgrade(engine)
        queue_work(
            engine,
            TEAM,
            "ask:before-the-outage",
            kinds.WORK_ASK,
            asker_id="U0STUDENT1",
            text="Where do I find the on-call rota?",
            channel_id="C0GENERAL1",
            request_id="before-the-outage",
            response_url=None,
            requested_at=time.time(),
        )
    finally:
        engine.dispose()


def _posts(fake: FakeSlack) -> list:
    """The questions posted in the Q&A channel (not the confirmations to their askers)."""
    return [c for c in fake.calls_to("chat.postMessage") if c.args.get("channel") == "C0QUESTION"]


def _wait_until(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def _wait_for_health(port: int, status: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code, report = _health(port)
        if report.get("status") == status:
            return report
        time.sleep(0.2)
    raise AssertionError(f"/healthz never said {status!r}: {code} {report}")


def test_knowhow_starts_while_slack_is_unreachable_and_catches_up_when_it_is_back(tmp_path, database_url):
    _queued_before(database_url)
    fake = FakeSlack(port=_free_port())  # its port, closed until it starts
    port = _free_port()
    env = _env(
        tmp_path,
        SLACK_BOT_TOKEN=fake.token,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=f"http://127.0.0.1:{fake.port}/api/",
        DATABASE_URL=database_url,
        KNOWHOW_QA_CHANNEL="C0QUESTION",
        PORT=str(port),
    )
    proc = subprocess.Popen(
        _knowhow("run"), cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        code, report = _wait_healthy(proc, port, timeout=60)
        assert code == 200 and report["status"] == "degraded", report
        assert report["slack"].startswith("unreachable") and report["database"] == "ok"
        with fake:
            report = _wait_for_health(port, "ok")
            assert report["slack"] == "ok"
            _wait_until(lambda: len(_posts(fake)) == 1)
            assert "on-call rota" in _posts(fake)[0].block_text()
            slack = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET)
            answer = slack.command("/ask", "Who approves travel to Lisbon?", response_url=fake.response_url("after"))
            assert answer.status == 200
            _wait_until(lambda: len(_posts(fake)) == 2)
            assert "Lisbon" in _posts(fake)[1].block_text()
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err
