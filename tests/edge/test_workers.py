"""The outbox's workers in a process of their own, as `knowhow run` starts them (bot/workers.py)."""

from __future__ import annotations

import json
import os
import urllib.request

from bot.service import Knowhow
from fakeslack import SlackSender

from .conftest import QA_CHANNEL, SECRET


def test_the_workers_process_does_the_work_and_stops_with_the_service(settings, fake_slack):
    # The workers poll once an hour here: what they send after they are up, they were woken for.
    service = Knowhow(settings.model_copy(update=dict(workers="process")), host="127.0.0.1", outbox_poll_seconds=3600)
    service.start()
    try:
        process = service.workers._process
        assert process.is_alive() and process.pid != os.getpid()
        with urllib.request.urlopen(f"http://127.0.0.1:{service.http.port}/healthz") as answer:
            assert json.loads(answer.read())["outbox"] == "running"
        slack = SlackSender(f"http://127.0.0.1:{service.http.port}/slack/events", SECRET)
        # The first question may be found by the workers' first look as they start (a busy machine
        # takes seconds to start a process); the second comes once they are up and waiting.
        for n, question in enumerate(("Who signs off expenses?", "Who orders the office plants?"), start=1):
            ack = slack.command("/ask", question, response_url=fake_slack.response_url(f"w{n}"))
            assert "looking for earlier answers" in ack.json()["text"]
            post = fake_slack.wait_for("chat.postMessage", n, timeout=30)[-1]
            assert post.args["channel"] == QA_CHANNEL and question in post.block_text()
            told = fake_slack.wait_for("response_url", n, timeout=30)[-1]
            assert "is posted" in told.args["text"]
    finally:
        service.stop()
    assert not process.is_alive() and process.exitcode == 0


def test_a_workers_process_that_dies_is_started_again(settings, fake_slack):
    import signal
    import time

    service = Knowhow(settings.model_copy(update=dict(workers="process")), host="127.0.0.1", outbox_poll_seconds=5)
    service.start()
    try:
        first = service.workers._process
        os.kill(first.pid, signal.SIGKILL)  # out of memory, say
        deadline = time.monotonic() + 10
        while service.workers._process is first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert service.workers._process is not first and service.workers.running
        slack = SlackSender(f"http://127.0.0.1:{service.http.port}/slack/events", SECRET)
        slack.command("/ask", "Is the canteen open on Fridays?", response_url=fake_slack.response_url("c"))
        # Not a timing: the new process starts Python and imports Knowhow first (6 s once, beside a CPU hog).
        [post] = fake_slack.wait_for("chat.postMessage", timeout=30)
        assert "canteen" in post.block_text()
    finally:
        service.stop()
    assert not service.workers._process.is_alive()
