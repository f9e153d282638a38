"""The ack's budget (bot/ackbudget.py) against the stand-in told to hang: a request's Web API calls
give up together when the budget is spent, never retry, and only a bounded number of requests wait
on Slack at once; the others are told at once, without waiting for a slot."""

from __future__ import annotations

import threading
import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.ackbudget import AckBudget, SlackSlow, briefly

# Wall-clock bounds: run by `make test` in one process, after the others (pyproject.toml's markers).
pytestmark = pytest.mark.timing


@pytest.fixture
def client(fake_slack):
    return WebClient(token=fake_slack.token, base_url=fake_slack.api_url, timeout=15)


def test_calls_share_one_budget_and_are_not_retried(fake_slack, client):
    budget = AckBudget(seconds=0.6)
    fake_slack.hang("users.info", seconds=10)
    started = time.monotonic()
    with budget.client(client) as quick:
        with pytest.raises(SlackSlow):
            quick.users_info(user="U0ANYONE01")
        with pytest.raises(SlackSlow):  # what the first call spent is gone for the second
            quick.users_info(user="U0ANYONE02")
    assert time.monotonic() - started < 1.5
    assert len(fake_slack.calls_to("users.info")) == 1  # no retry, and no time left for the second
    fake_slack.release()
    # Slack's refusals are still Slack's (not slowness), and a healthy call goes through.
    with budget.client(client) as quick:
        assert quick.auth_test()["ok"]
        with pytest.raises(SlackApiError):
            quick.views_open(trigger_id="", view={})


def test_a_lookup_leaves_the_rest_of_the_budget(fake_slack, client):
    budget = AckBudget(seconds=1.0)
    fake_slack.hang("users.info", seconds=10)
    with budget.client(client) as quick:
        started = time.monotonic()
        with pytest.raises(SlackSlow), briefly(quick, 0.3):
            quick.users_info(user="U0ANYONE01")
        assert time.monotonic() - started < 0.8
        assert quick.auth_test()["ok"]  # the rest of the budget is there for what follows


def test_only_so_many_requests_wait_on_slack_and_the_others_do_not_wait_for_a_slot(fake_slack, client):
    budget = AckBudget(slots=2, seconds=1.5)
    fake_slack.hang("views.open", seconds=10)
    waiting = threading.Barrier(3)
    outcomes = []

    def hold():
        with budget.client(client) as quick:
            waiting.wait()
            try:
                quick.views_open(trigger_id="t", view={"type": "modal"})
            except SlackSlow:
                outcomes.append("slow")

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for thread in threads:
        thread.start()
    waiting.wait()
    fake_slack.wait_for("views.open", 2)  # both slots are taken, waiting on Slack
    with budget.client(client) as quick:
        started = time.monotonic()
        with pytest.raises(SlackSlow):
            quick.auth_test()
        assert time.monotonic() - started < 0.2  # told at once
    assert fake_slack.calls_to("auth.test") == []
    for thread in threads:
        thread.join()
    assert outcomes == ["slow", "slow"]
    with budget.client(client) as quick:  # the slots are given back
        assert quick.auth_test()["ok"]
