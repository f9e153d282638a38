"""The Slack stand-in must speak Slack's protocol, or the edge tests prove nothing."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from fakeslack import SlackSender

SLACK_VECTOR_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)


def test_signatures_match_slacks_published_test_vector():
    sender = SlackSender("http://unused", "8f742231b10e8888abcd99yyyzzz85a5")
    headers = sender.sign(SLACK_VECTOR_BODY, timestamp=1531420618)
    assert headers["X-Slack-Signature"] == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_signed_requests_verify_with_slack_sdk():
    sender = SlackSender("http://unused", "s3cret")
    body = sender.command_body("/ask", "Quoi de neuf ? ✨")
    headers = sender.sign(body)
    assert SignatureVerifier("s3cret").is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])


def test_web_api_answers_have_slacks_shapes(fake_slack):
    client = WebClient(token=fake_slack.token, base_url=fake_slack.api_url)
    assert client.auth_test()["user_id"] == fake_slack.bot_user_id
    posted = client.chat_postMessage(channel="C0QUESTION", text="hi", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}])
    assert posted["ok"] and posted["channel"] == "C0QUESTION" and posted["ts"]
    [call] = fake_slack.calls_to("chat.postMessage")
    assert call.args["blocks"][0]["text"]["text"] == "hi"

    with pytest.raises(SlackApiError) as refused:
        WebClient(token="xoxb-wrong", base_url=fake_slack.api_url).auth_test()
    assert refused.value.response["error"] == "invalid_auth"

    with pytest.raises(SlackApiError) as no_text, pytest.warns(UserWarning, match="text"):
        client.chat_postMessage(channel="C0QUESTION")
    assert no_text.value.response["error"] == "no_text"


def test_scripted_failures_come_back_as_slack_sends_them(fake_slack):
    client = WebClient(token=fake_slack.token, base_url=fake_slack.api_url)
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=3)
    with pytest.raises(SlackApiError) as limited:
        client.chat_postMessage(channel="C1", text="x")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "3"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]  # only the next call failed
