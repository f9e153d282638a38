"""The workspace refuses what Slack refuses: a Home tab breaking Block Kit's rules, and a
view_submission answered with errors for blocks that are not input blocks of the view."""

from __future__ import annotations

import json

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from playground import sample
from tests.playground.test_workspace import DEVIKA, MODAL, app, ws  # noqa: F401 (fixtures)

HOME = {"type": "home", "blocks": [{"type": "header", "block_id": "h", "text": {"type": "plain_text", "text": "Hi"}}]}


def test_views_publish_checks_the_home_against_block_kit(ws):
    client = WebClient(token=ws.token, base_url=ws.api_url)
    assert client.views_publish(user_id=DEVIKA, view=HOME)["ok"]
    for bad, message in (
        (
            {**HOME, "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 300}}]},
            "[ERROR] must be less than 151 characters [json-pointer:/view/blocks/0/text/text]",
        ),
        (
            {**HOME, "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "Hi"}}]},
            "[ERROR] must be a valid enum value [json-pointer:/view/blocks/0/text/type]",
        ),
        (
            {**HOME, "blocks": HOME["blocks"] * 2},
            "[ERROR] duplicate block_id: h [json-pointer:/view/blocks/1/block_id]",
        ),
        (
            {**HOME, "blocks": [{"type": "divider"}] * 101},
            "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]",
        ),
    ):
        with pytest.raises(SlackApiError) as refused:
            client.views_publish(user_id=DEVIKA, view=bad)
        assert refused.value.response["error"] == "invalid_arguments"
        assert refused.value.response["response_metadata"]["messages"] == [message]
    assert (
        ws.homes[(DEVIKA, sample.SINGAPORE)]["blocks"][0]["text"]["text"] == "Hi"
    )  # the refused ones left the Home as it was
    with pytest.raises(SlackApiError, match="user_not_found"):
        client.views_publish(user_id="U0NOBODY01", view=HOME)


@pytest.mark.parametrize(
    "errors",
    [{"nope": "Too vague"}, {"q": ""}, {}, "Too vague"],
    ids=["not-a-block", "empty-message", "no-errors", "not-an-object"],
)
def test_errors_for_what_is_not_an_input_block_fail_the_submission(ws, app, errors):
    client = WebClient(token=ws.token, base_url=ws.api_url)
    view = client.views_open(trigger_id=ws.new_trigger(DEVIKA), view=MODAL)["view"]
    app.answer = json.dumps({"response_action": "errors", "errors": errors}).encode()
    answer = ws.submit_view(DEVIKA, view["id"], {"q": {"q": {"type": "plain_text_input", "value": "why?"}}})
    assert answer == {"ok": True, "problem": "Knowhow answered with errors Slack would refuse."}
    assert ws.modal_of(DEVIKA)["errors"] == {} and ws.modal_of(DEVIKA)["stack_depth"] == 1

    app.answer = json.dumps({"response_action": "errors", "errors": {"q": "Too vague"}}).encode()
    answer = ws.submit_view(DEVIKA, view["id"], {"q": {"q": {"type": "plain_text_input", "value": "why?"}}})
    assert answer == {"ok": True, "errors": {"q": "Too vague"}}


BAD_BLOCKS = [{"type": "header", "text": {"type": "mrkdwn", "text": "Hi"}}]  # a header takes plain_text only


def test_a_command_answer_or_response_url_with_blocks_slack_refuses_is_refused(ws, app):
    from slack_sdk.webhook import WebhookClient

    from playground import sample
    from playground.workspace import Responder

    qa = sample.QA_CHANNEL
    app.answer = json.dumps({"response_type": "ephemeral", "text": "hi", "blocks": BAD_BLOCKS}).encode()
    assert ws.slash_command(DEVIKA, qa, "/ask hello")["error"] == "invalid_blocks"
    [said] = [m for m in ws.conversation(DEVIKA, qa) if m["ephemeral"]]
    assert said["text"] == '/ask failed with the error "invalid_blocks"'  # and nothing of the refused answer

    url = ws.new_response_url(Responder(user=DEVIKA, channel=qa, kind="command"))
    refused = WebhookClient(url).send(text="hi", blocks=BAD_BLOCKS)
    assert (refused.status_code, refused.body) == (400, "invalid_blocks")
    assert WebhookClient(url).send(text="fine").status_code == 200
