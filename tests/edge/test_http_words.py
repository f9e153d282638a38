"""What people read, through the real HTTP front with the Slack stand-in: plain text where Slack
shows text as typed, one voice for refusals, one style for dates, messages that do not go stale.
(Every edge test also fails on mrkdwn sent where Slack shows it as typed: tests/conftest.py.)"""

from __future__ import annotations

import pytest

from bot import ids

from .conftest import QA_CHANNEL
from .test_http_ask import _wait_until
from .test_http_knowledge import ASKER, _accept_button, current, post_of, reply, shown

KNOWHOW_ADMIN = "U0KNOWADM1"  # in KNOWHOW_ADMINS, not a Slack admin
NOBODY = "U0NOBODY01"


@pytest.fixture
def settings(settings):
    return settings.model_copy(update=dict(admins=frozenset({KNOWHOW_ADMIN})))


# -- plain text ---------------------------------------------------------------------------------


def test_the_accept_form_lists_answers_as_plain_text(knowhow, slack, fake_slack):
    slack.command("/ask", "How do I rotate the staging keys?", user_id=ASKER)
    [post] = post_of(fake_slack)
    reply(slack, fake_slack, post, text="Run `vault rotate` as *admin* :tada:")
    _wait_until(lambda: "Answered" in shown(current(fake_slack, post)))
    slack.interaction(
        slack.block_actions_payload(
            user=ASKER,
            action_id=ids.ASK_ACCEPT_OPEN,
            value=_accept_button(current(fake_slack, post))["value"],
            message=current(fake_slack, post),
            channel=QA_CHANNEL,
        )
    )
    fake_slack.wait_for("views.open")
    form = list(fake_slack.views.values())[-1]
    [label] = [o["text"]["text"] for b in form["blocks"] if b["type"] == "input" for o in b["element"]["options"]]
    assert "Run vault rotate as admin 🎉" in label and "`" not in label and "*" not in label


# -- one voice for refusals ------------------------------------------------------------------------


def test_admin_commands_refuse_in_one_voice_and_let_a_knowhow_admin_in(knowhow, slack, fake_slack):
    """Whoever may not is told "Only admins can …" and what to do instead, never a setting's name
    nor "workspace admins"; a Knowhow admin (KNOWHOW_ADMINS), who is not a Slack admin, may."""
    fake_slack.add_channel("C0EXPERTS1")

    def said(user, command, text, channel="C0EXPERTS1"):
        answer = slack.command(command, text, user_id=user, channel_id=channel)
        assert answer.status == 200
        return answer.json()["text"] if answer.body else ""

    commands = [
        ("/ask", "channel"),
        ("/expert", "channels add <#C0EXPERTS1|ask-the-expert>"),
        ("/mentor", "topics add Leadership"),
        ("/mentor", "broadcast"),
        ("/mentor", "scoreboard settings"),
    ]
    for command, text in commands:
        refused = said(NOBODY, command, text)
        assert refused.startswith("Only admins can "), refused
        assert "KNOWHOW_ADMINS" not in refused and "workspace admins" not in refused
        allowed = said(KNOWHOW_ADMIN, command, text)
        assert "Only admins" not in allowed, (command, text, allowed)
    assert len(fake_slack.calls_to("views.open")) == 2  # the Knowhow admin's broadcast and settings forms
