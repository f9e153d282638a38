"""A workspace whose installation is gone: nothing more is sent to it, nothing it queued is lost,
and installing Knowhow again picks up where it stopped."""

from __future__ import annotations

from sqlmodel import select

from bot.service import Knowhow
from storage import workspaces
from storage.db import session_scope
from storage.models import OutboxMessage

from ..settle import settle, watch
from .conftest import QA_CHANNEL


def _gone(knowhow, team_id):
    with session_scope(knowhow.engine) as s:
        row = workspaces.get(s, team_id=team_id)
        return row is not None and row.gone_at is not None, row.gone_reason if row else None


def _statuses(knowhow):
    with session_scope(knowhow.engine) as s:
        return {r.dedupe_key: r.status for r in s.exec(select(OutboxMessage))}


def _posts(fake_slack, text):
    return [c for c in fake_slack.calls_to("chat.postMessage") if text in c.block_text() + c.text]


def test_slack_saying_the_account_is_inactive_holds_the_workspace_until_it_is_back(
    knowhow, slack, fake_slack, settings
):
    fake_slack.fail_next("chat.postMessage", error="account_inactive")
    slack.command("/ask", "Where is the style guide?", response_url=fake_slack.response_url("ask"))
    settle(knowhow)
    assert _gone(knowhow, fake_slack.team_id) == (True, "account_inactive")
    held = [k for k, status in _statuses(knowhow).items() if status == "held"]
    assert held, "the question's post is kept"
    tried = len(fake_slack.calls_to("chat.postMessage"))
    assert len(_posts(fake_slack, "Where is the style guide?")) == 1  # the one refused attempt

    # The token works again (an admin reactivated the workspace): at the next start, what was
    # held goes out, once.
    knowhow.stop()
    again = Knowhow(settings, host="127.0.0.1", outbox_poll_seconds=0.2)
    again.start()
    watch(again)
    try:
        fake_slack.wait_for("chat.postMessage", tried + 1)
        settle(again)
        assert _gone(again, fake_slack.team_id) == (False, None)
        [post] = _posts(fake_slack, "Where is the style guide?")[1:]
        assert post.args["channel"] == QA_CHANNEL
        assert "held" not in _statuses(again).values()
    finally:
        again.stop()


def test_app_uninstalled_stops_the_workspace_at_once(knowhow, slack, fake_slack):
    response = slack.event({"type": "app_uninstalled"})
    assert response.status == 200
    assert _gone(knowhow, fake_slack.team_id) == (True, "app_uninstalled")
    with session_scope(knowhow.engine) as s:  # the scheduler passes it over from now on
        assert fake_slack.team_id in workspaces.gone(s)


def test_a_revoked_user_token_is_not_the_installation(knowhow, slack, fake_slack):
    slack.event({"type": "tokens_revoked", "tokens": {"oauth": ["U0STUDENT1"], "bot": []}})
    assert _gone(knowhow, fake_slack.team_id) == (False, None)
    slack.event({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [fake_slack.store.bot_user_id]}})
    assert _gone(knowhow, fake_slack.team_id) == (True, "tokens_revoked")
