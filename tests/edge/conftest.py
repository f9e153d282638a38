"""The running app, in HTTP mode, against the Slack stand-in: the code path `knowhow run` takes."""

from __future__ import annotations

import pytest

from bot.ackbudget import AckBudget
from bot.config import Settings
from bot.service import Knowhow
from fakeslack import SlackSender
from fakeslack.socket_mode import SocketModeServer

from ..conftest import shown_as_typed
from ..settle import watch

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
QA_CHANNEL = "C0QUESTION"


@pytest.fixture
def settings(fake_slack, database_url):
    return Settings(
        bot_token=fake_slack.token,
        signing_secret=SECRET,
        api_url=fake_slack.api_url,
        database_url=database_url,
        port=0,
        qa_channel=QA_CHANNEL,
        # The workers as threads, which the tests reach (bot/workers.py; test_workers.py runs the
        # process that `knowhow run` starts).
        workers="threads",
    )


@pytest.fixture
def ack_budget():
    """What the running app may spend on Slack before an ack. The stand-in answers at once, so
    only a starved machine (the suite in parallel beside a CPU hog) makes a call take long: a
    larger budget than the product's keeps that from reading as "Slack is slow" where the budget
    is not what is tested. Tests of the budget itself (test_slow_slack.py, test_socket_mode.py)
    override this with the product's."""
    return AckBudget(seconds=10.0)


@pytest.fixture
def read_deadline():
    """How long an app started here waits for a request's bytes. The sender is this test's own
    thread, in the app's process: on a starved machine (the suite beside a CPU hog) it once sent a
    request's bytes more than the product's 5 s after connecting, and the server answered 408. Slack
    sends at once; the deadline is tested by test_slow_clients.py, which overrides this with the
    product's."""
    return 30.0


@pytest.fixture(autouse=True)
def _patient_reader(monkeypatch, read_deadline):
    monkeypatch.setattr("bot.service.READ_DEADLINE_SECONDS", read_deadline)


@pytest.fixture
def knowhow(settings, ack_budget):
    service = Knowhow(settings, host="127.0.0.1", outbox_poll_seconds=0.2)
    service.deps.ack_budget = ack_budget
    service.start()
    watch(service)
    yield service
    service.stop()


@pytest.fixture
def slack(knowhow, fake_slack):
    """Signs and sends requests to the running app as Slack does."""
    sender = SlackSender(f"http://127.0.0.1:{knowhow.http.port}/slack/events", SECRET)
    yield sender
    shown_as_typed(sender.shown_as_typed)


@pytest.fixture
def socket_knowhow(settings, fake_slack, ack_budget):
    """Knowhow in Socket Mode, its socket served by the stand-in: (the service, the socket server)."""
    server = SocketModeServer().start()
    fake_slack.socket_mode = server
    service = Knowhow(
        settings.model_copy(update=dict(app_token="xapp-1-fake", signing_secret=None)),
        host="127.0.0.1",
        outbox_poll_seconds=0.2,
    )
    service.deps.ack_budget = ack_budget
    service.start()
    yield service, server
    service.stop()
    server.stop()
