"""Dead letters in Slack: a workspace's admins see the messages Knowhow could not send (`/expert
outbox`), what, to whom, when and why, and retry them with a button; only their own workspace's,
and never what a mentoring message says."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from bot import ids
from core.clock import utcnow
from storage import outbox
from storage.db import session_scope
from storage.models import OutboxMessage, Question

from .conftest import QA_CHANNEL
from .test_http_ask import _wait_until

ADMIN = "U0ADMIN001"
ASKER = "U0ASKER001"


@pytest.fixture
def settings(settings):
    return settings.model_copy(update=dict(admins=frozenset({ADMIN})))


def _outbox_view(slack, fake_slack, user=ADMIN) -> dict:
    answer = slack.command("/expert", "outbox", user_id=user, response_url=fake_slack.response_url("outbox"))
    assert answer.status == 200
    return answer.json()


def _text(message: dict) -> str:
    return message.get("text", "") + json.dumps(message.get("blocks") or [], ensure_ascii=False)


def _buttons(message: dict) -> dict[str, str]:
    """Retry buttons by value."""
    found = {}
    for block in message.get("blocks") or []:
        for element in [block.get("accessory") or {}, *block.get("elements", [])]:
            if element.get("type") == "button":
                found[element.get("value")] = element["action_id"]
    return found


def _click(slack, fake_slack, message, value, user=ADMIN, action_id=ids.OUTBOX_RETRY):
    """The click's answer: what came through its own response_url (the asker's "could not be
    posted" may come through theirs at about the same time)."""

    def answers():
        return [c for c in fake_slack.calls_to("response_url") if c.path == "/response/retry"]

    before = len(answers())
    payload = slack.block_actions_payload(
        user=user,
        action_id=action_id,
        value=value,
        message={"ts": "1.0", "blocks": message["blocks"], "type": "message"},
        channel="C0GENERAL1",
        response_url=fake_slack.response_url("retry"),
        is_ephemeral=True,
    )
    assert slack.interaction(payload).status == 200
    _wait_until(lambda: len(answers()) > before)
    return answers()[-1].args


def _failed_question(knowhow, slack, fake_slack) -> int:
    """A question whose post failed for good: the Q&A channel is private and Knowhow was not invited."""
    fake_slack.private_channels.add(QA_CHANNEL)
    slack.command("/ask", "Who owns the billing service?", user_id=ASKER, response_url=fake_slack.response_url("ask"))
    _wait_until(lambda: _dead(knowhow))
    [row] = _dead(knowhow)
    return row.id


def _dead(knowhow) -> list[OutboxMessage]:
    with session_scope(knowhow.engine) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.status == "failed")).all())


def _question(knowhow) -> Question:
    with session_scope(knowhow.engine) as session:
        return session.exec(select(Question)).one()


def test_an_admin_sees_what_failed_to_whom_and_why_and_retries_it(knowhow, slack, fake_slack):
    row = _failed_question(knowhow, slack, fake_slack)

    view = _outbox_view(slack, fake_slack)
    said = _text(view)
    assert "Messages Knowhow could not send* (1)" in said
    assert "`ask.post_question` to <#C0QUESTION>" in said  # the channel Slack refused, from its answer
    assert "the bot is not in <#C0QUESTION> and cannot join it by itself (channel_not_found)" in said
    assert "Who owns the billing service?" not in said  # what a message says is never shown
    assert _buttons(view) == {str(row): ids.OUTBOX_RETRY, "all": ids.OUTBOX_RETRY_ALL}

    # The admin invites Knowhow, then retries: the question is posted after all.
    fake_slack.store.joined.add(QA_CHANNEL)
    answered = _click(slack, fake_slack, view, str(row))
    assert answered["replace_original"] is True
    assert "1 message goes out again now" in _text(answered)
    assert "None: every message of this workspace went out" in _text(answered)
    _wait_until(lambda: _question(knowhow).status == "posted")
    posted = [m for m in fake_slack.messages[QA_CHANNEL] if "billing service" in json.dumps(m)]
    assert len(posted) == 1

    # The same button again (an old copy of the list): nothing is done twice.
    again = _click(slack, fake_slack, view, str(row))
    assert "Nothing to retry" in _text(again)
    assert len([m for m in fake_slack.messages[QA_CHANNEL] if "billing service" in json.dumps(m)]) == 1


def test_only_admins_see_or_retry_dead_letters(knowhow, slack, fake_slack):
    row = _failed_question(knowhow, slack, fake_slack)
    refused = _outbox_view(slack, fake_slack, user=ASKER)
    assert refused["text"].startswith("Only admins can see or retry the messages Knowhow could not send.")
    assert "C0QUESTION" not in _text(refused)

    view = {"blocks": [{"type": "actions", "elements": [{"type": "button", "action_id": ids.OUTBOX_RETRY}]}]}
    answered = _click(slack, fake_slack, view, str(row), user=ASKER)
    assert answered["text"].startswith("Only admins can")
    assert [r.id for r in _dead(knowhow)] == [row]


def _dead_letter(engine, team_id: str, key: str, kind: str, error: str, to: str | None = None, **payload) -> int:
    """A message that failed for good, as the worker leaves it (queued and failed in one
    transaction here, so the running Knowhow's workers never see it pending)."""
    with session_scope(engine) as session:
        outbox.enqueue(session, team_id=team_id, dedupe_key=key, kind=kind, payload=payload)
        row = outbox.get(session, team_id=team_id, dedupe_key=key)
        row.status, row.attempts, row.last_error, row.failed_to, row.failed_at = "failed", 1, error, to, utcnow()
        session.add(row)
        session.flush()
        return row.id


def test_an_admin_sees_only_their_workspaces_dead_letters(knowhow, slack, fake_slack):
    theirs = _dead_letter(
        knowhow.engine, "T0OTHERORG", "session:9:opened", "session.opened", "channel_not_found", "C0ELSE", session_id=9
    )
    view = _outbox_view(slack, fake_slack)
    assert "None: every message of this workspace went out" in _text(view)
    assert "C0ELSE" not in _text(view)

    # Another workspace's id in a (forged) button changes nothing.
    forged = {"blocks": [{"type": "actions", "elements": [{"type": "button", "action_id": ids.OUTBOX_RETRY}]}]}
    assert "Nothing to retry" in _text(_click(slack, fake_slack, forged, str(theirs)))
    assert "Nothing to retry" in _text(_click(slack, fake_slack, forged, "all", action_id=ids.OUTBOX_RETRY_ALL))
    assert [r.id for r in _dead(knowhow)] == [theirs]


@pytest.mark.parametrize("value", ["abc", "-3", "0", "9" * 30, "१२"])
def test_a_junk_button_value_gets_a_private_answer(knowhow, slack, fake_slack, value):
    forged = {"blocks": [{"type": "actions", "elements": [{"type": "button", "action_id": ids.OUTBOX_RETRY}]}]}
    answered = _click(slack, fake_slack, forged, value)
    assert "That button is out of date: run `/expert outbox` again." in answered["text"]


def test_mentoring_dead_letters_show_their_kind_and_recipient_only(knowhow, slack, fake_slack):
    _dead_letter(
        knowhow.engine,
        "T0FAKETEAM",
        "mentorship:4:intro",
        "mentor.intro",
        "internal error: could not introduce Ana to Bo about their burnout",
        "U0PROTEGE1,U0MENTOR01",
        mentorship_id=4,
        goal="Talk about my burnout",
    )
    _dead_letter(
        knowhow.engine, "T0FAKETEAM", "mentorship:5:ask", "mentor.ask", "user_not_found", None, mentorship_id=5
    )
    said = _text(_outbox_view(slack, fake_slack))
    assert "`mentor.intro` to <@U0PROTEGE1>, <@U0MENTOR01>" in said
    assert "not shown (mentoring is private)" in said
    assert "`mentor.ask` to someone Knowhow did not record" in said
    assert "Slack does not know that person any more" in said and "user_not_found" not in said  # in words
    for secret in ("burnout", "Ana", "mentorship", "goal"):
        assert secret not in said


def test_a_request_that_failed_is_listed_but_not_retried(knowhow, slack, fake_slack):
    work = _dead_letter(
        knowhow.engine,
        "T0FAKETEAM",
        "cmd:abc",
        "work.ask",
        "internal error: ValueError",
        None,
        user_id=ASKER,
        text="hi",
    )
    view = _outbox_view(slack, fake_slack)
    assert "_Not retried: the person was told to try again._" in _text(view)
    assert str(work) not in _buttons(view) and "all" not in _buttons(view)  # no Retry all with nothing to retry
    # A Retry all from an older list (when something could be retried) finds nothing to retry now.
    assert "Nothing to retry" in _text(_click(slack, fake_slack, view, "all", action_id=ids.OUTBOX_RETRY_ALL))
    assert [r.id for r in _dead(knowhow)] == [work]
