"""Who administers what (bot/admins.py), asked of users.info as the stand-in answers it: a
workspace's admins their workspace, a Grid organisation's admins and owners every workspace of it
and what is set for the whole organisation, KNOWHOW_ADMINS everything."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.admins import is_admin, is_org_admin
from bot.config import Settings
from bot.deps import Deps


def _deps(admins=()):
    return Deps(engine=None, settings=Settings(admins=frozenset(admins)))


def test_workspace_and_organisation_admins(fake_slack):
    client = WebClient(token=fake_slack.token, base_url=fake_slack.api_url)
    fake_slack.add_user("U0WSADMIN1", is_admin=True)
    fake_slack.add_user("U0MEMBER01")
    # Outside Grid, the workspace is its own organisation: its admins administer both.
    assert is_admin(_deps(), client, "U0WSADMIN1") and is_org_admin(_deps(), client, "U0WSADMIN1")
    assert not is_admin(_deps(), client, "U0MEMBER01") and not is_org_admin(_deps(), client, "U0MEMBER01")
    assert is_admin(_deps({"U0MEMBER01"}), client, "U0MEMBER01")

    fake_slack.grid("E0ACME0001")
    fake_slack.add_user("W0WSADMIN1", is_admin=True)
    fake_slack.add_user("W0ORGOWNR1", is_org_owner=True)
    fake_slack.add_user("W0MEMBER01")
    assert is_admin(_deps(), client, "W0WSADMIN1") and not is_org_admin(_deps(), client, "W0WSADMIN1")
    assert is_admin(_deps(), client, "W0ORGOWNR1") and is_org_admin(_deps(), client, "W0ORGOWNR1")
    assert not is_admin(_deps(), client, "W0MEMBER01") and not is_org_admin(_deps(), client, "W0MEMBER01")
    assert is_org_admin(_deps({"W0MEMBER01"}), client, "W0MEMBER01")
    fake_slack.add_user("W0GONE0001", is_org_admin=True, deleted=True)
    assert not is_admin(_deps(), client, "W0GONE0001")


def test_what_slack_said_is_remembered_so_the_next_check_needs_no_call(fake_slack):
    client = WebClient(token=fake_slack.token, base_url=fake_slack.api_url)
    fake_slack.add_user("U0WSADMIN1", is_admin=True)
    deps = _deps()
    assert is_admin(deps, client, "U0WSADMIN1") and not is_admin(deps, client, "U0MEMBER01")
    fake_slack.hang("users.info")  # Slack slow: a remembered answer does not need it
    try:
        assert is_admin(deps, client, "U0WSADMIN1") and not is_admin(deps, client, "U0MEMBER01")
    finally:
        fake_slack.release()
    assert len(fake_slack.calls_to("users.info")) == 2
