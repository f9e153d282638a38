"""`/ask search` through signed Slack requests: private results, five at a time, a working "More"."""

from __future__ import annotations

import json
import time

import pytest

from bot.text import WORD_JOINER

from ..settle import settle
from .conftest import QA_CHANNEL
from .test_http_ask import _questions, ask


def _block_actions(payload_message, *, user="U0SEARCHER", response_url):
    button = next(e for b in payload_message["blocks"] if b["type"] == "actions" for e in b["elements"])
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "searcher", "name": "searcher", "team_id": "T0FAKETEAM"},
        "api_app_id": "A0FAKEAPP1",
        "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
        "container": {
            "type": "message",
            "message_ts": "1754400200.000500",
            "channel_id": "C0GENERAL1",
            "is_ephemeral": True,
        },
        "trigger_id": "7712345678902.7700000000001.fedcba9876543210fedcba9876543210",
        "team": {"id": "T0FAKETEAM", "domain": "fake-mentors"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": "C0GENERAL1", "name": "general"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": "more",
                "text": button["text"],
                "value": button["value"],
                "type": "button",
                "action_ts": "1754400210.123456",
            }
        ],
    }


def _wait_permalinks(knowhow, count, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(1 for q in _questions(knowhow) if q.permalink) >= count:
            return
        time.sleep(0.05)
    raise AssertionError("permalinks were not recorded")


def test_search_lists_matches_privately_with_links_and_more(knowhow, slack, fake_slack):
    for n in range(7):
        ask(slack, fake_slack, f"Onboarding question {n}: where is the laptop policy?")
    ask(slack, fake_slack, "Unrelated: who orders the coffee?")
    _wait_permalinks(knowhow, 8)

    response = slack.command("/ask", "search laptop onboarding", user_id="U0SEARCHER")
    body = response.json()
    assert response.status == 200 and body["response_type"] == "ephemeral"
    shown = json.dumps(body["blocks"])
    assert shown.count("Onboarding question") == 5 and "coffee" not in shown
    assert f"https://fake-mentors.slack.com/archives/{QA_CHANNEL}/p" in shown
    assert "<!date^" in shown  # ages in each reader's own time zone

    fake_slack.clear()
    assert slack.interaction(_block_actions(body, response_url=fake_slack.response_url("more"))).status == 200
    [more] = fake_slack.wait_for("response_url")
    assert more.args["replace_original"] is True
    page_two = json.dumps(more.args["blocks"])
    assert page_two.count("Onboarding question") == 2
    assert not any(b["type"] == "actions" for b in more.args["blocks"])  # nothing after the last page
    assert fake_slack.calls_to("chat.postMessage") == []  # searching never posts in a channel


def test_search_with_nothing_found_suggests_asking(knowhow, slack):
    body = slack.command("/ask", "search quantum teleportation").json()
    assert "No earlier questions match" in body["text"] and "/ask quantum teleportation" in body["text"]


@pytest.mark.parametrize("terms", ["", '"" * ()', "the of"])
def test_search_without_words_says_what_to_type(knowhow, slack, terms):
    body = slack.command("/ask", f"search {terms}").json()
    assert "Say what to look for" in body["text"]


def test_search_results_never_ping_the_crowd(knowhow, slack, fake_slack):
    ask(slack, fake_slack, "<!channel> where is the holiday calendar?")
    _wait_permalinks(knowhow, 1)
    body = slack.command("/ask", "search <!here> holiday calendar").json()
    shown = json.dumps(body, ensure_ascii=False)
    assert "<!channel>" not in shown and "<!here>" not in shown
    assert f"@{WORD_JOINER}channel" in shown


def test_a_forged_more_button_is_answered_privately_that_it_is_not_valid(knowhow, slack, fake_slack):
    payload = _block_actions(
        {
            "blocks": [
                {
                    "type": "actions",
                    "elements": [
                        {
                            "action_id": "ask_search_more",
                            "text": {"type": "plain_text", "text": "More"},
                            "value": "not json",
                        }
                    ],
                }
            ]
        },
        response_url=fake_slack.response_url("forged"),
    )
    assert slack.interaction(payload).status == 200
    settle(knowhow)
    [told] = fake_slack.calls_to("response_url")
    assert "isn't valid" in told.args["text"] and told.args["replace_original"] is False
