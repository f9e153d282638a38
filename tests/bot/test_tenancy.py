"""bot.tenancy without the HTTP front: where each payload shape says a request comes from (Slack's
shapes, built by the stand-in's payload builders), and distribution mode's check of the app
against the installation (Bolt's own installation store and authorize, the Web API stand-in)."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest
from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import FileInstallationStore, Installation
from sqlmodel import select

from bot import tenancy
from bot.config import Settings
from bot.deps import Deps
from fakeslack import SlackSender
from storage.db import session_scope
from storage.models import Workspace

GRID = "E0GRID0001"


def _body(raw: bytes) -> dict:
    if raw.startswith(b"{"):
        return json.loads(raw)
    fields = dict(parse_qsl(raw.decode()))
    return json.loads(fields["payload"]) if "payload" in fields else fields


def _reply(sender: SlackSender, **kwargs) -> dict:
    return sender.thread_reply(channel="C0QUESTION", thread_ts="1.0", ts="2.0", user="U0HELPER", text="x", **kwargs)


def test_a_command_is_its_own_workspaces():
    grid = SlackSender("http://unused", "s", team_id="T0GRIDB002", enterprise_id=GRID)
    origin = tenancy.origin_of(_body(grid.command_body("/ask", "hi")))
    assert origin == tenancy.Origin("command", "T0GRIDB002", GRID, "A0FAKEAPP1", "T0GRIDB002", GRID, None)


def test_an_event_is_for_the_installation_in_authorizations():
    sender = SlackSender("http://unused", "s")
    origin = tenancy.origin_of(_body(sender.event_body(_reply(sender), team_id="T0CREATOR1", ext_shared=True)))
    assert (origin.kind, origin.workspace_id, origin.enterprise_id, origin.ext_shared) == (
        "event",
        "T0FAKETEAM",
        None,
        True,
    )
    assert origin.user_team_id == "T0FAKETEAM"  # the message's own `team`


def test_an_org_wide_event_is_for_its_context_team():
    sender = SlackSender("http://unused", "s", team_id="T0GRIDB002", enterprise_id=GRID, is_enterprise_install=True)
    body = _body(sender.event_body(_reply(sender, user_team="T0PARTNER1"), ext_shared=True))
    assert body["authorizations"][0]["team_id"] is None
    origin = tenancy.origin_of(body)
    assert (origin.workspace_id, origin.enterprise_id, origin.user_team_id) == ("T0GRIDB002", GRID, "T0PARTNER1")


def test_an_organisation_level_person_is_told_by_their_organisation():
    sender = SlackSender("http://unused", "s", enterprise_id=GRID)
    origin = tenancy.origin_of(_body(sender.event_body(_reply(sender, user_team=GRID), ext_shared=True)))
    assert (origin.user_team_id, origin.user_enterprise_id) == (None, GRID)


def test_interactions_name_the_installation_and_the_persons_own_team():
    sender = SlackSender("http://unused", "s", enterprise_id=GRID)
    click = sender.block_actions_payload(user="U0GUEST001", action_id="x", user_team="T0PARTNER1")
    origin = tenancy.origin_of(click)
    assert (origin.workspace_id, origin.enterprise_id, origin.user_team_id, origin.user_enterprise_id) == (
        "T0FAKETEAM",
        GRID,
        "T0PARTNER1",
        None,  # `enterprise` is the installation's, not the guest's
    )
    view = {
        "id": "V1",
        "callback_id": "c",
        "blocks": [],
        "app_installed_team_id": "T0FAKETEAM",
        "team_id": "T0FAKETEAM",
    }
    submitted = sender.view_submission_payload(user="U0GUEST001", view=view, values={}, user_team="T0PARTNER1")
    origin = tenancy.origin_of(submitted)
    assert (origin.workspace_id, origin.enterprise_id, origin.user_team_id) == ("T0FAKETEAM", None, "T0PARTNER1")


def test_an_org_wide_click_has_no_team_but_the_persons():
    sender = SlackSender("http://unused", "s", team_id="T0GRIDB002", enterprise_id=GRID, is_enterprise_install=True)
    origin = tenancy.origin_of(sender.block_actions_payload(user="W0PERSON01", action_id="x"))
    assert (origin.workspace_id, origin.enterprise_id, origin.user_team_id) == ("T0GRIDB002", GRID, "T0GRIDB002")


def test_requests_about_no_workspace_are_left_to_bolt():
    assert tenancy.origin_of({"type": "url_verification", "challenge": "x"}).kind is None


# -- distribution mode ------------------------------------------------------------------------------


@pytest.fixture
def distributed(engine, fake_slack, tmp_path):
    """A Bolt app whose installation store holds one installation (of app A0DISTAPP1), with the
    middleware as `build_app` registers it and one listener."""
    store = FileInstallationStore(base_dir=str(tmp_path / "installations"))
    store.save(
        Installation(
            app_id="A0DISTAPP1",
            team_id=fake_slack.team_id,
            user_id="U0INSTALL1",
            bot_token=fake_slack.token,
            bot_id=fake_slack.bot_id,
            bot_user_id=fake_slack.bot_user_id,
            bot_scopes="commands,chat:write",
        )
    )
    app = App(
        client=WebClient(base_url=fake_slack.api_url),
        signing_secret="s",
        installation_store=store,
        request_verification_enabled=False,
        process_before_response=True,
    )
    deps = Deps(engine=engine, settings=Settings(database_url=str(engine.url)))
    app.use(tenancy.Tenancy(deps, app.installation_store))
    app.command("/ask")(lambda ack, context: ack(f"served {context['workspace_id']}"))
    return app


def _dispatch(app: App, sender: SlackSender, response_url: str = "https://hooks.slack.com/commands/T/1/x"):
    body = sender.command_body("/ask", "Anything?", response_url=response_url).decode()
    return app.dispatch(BoltRequest(body=body, headers={"content-type": ["application/x-www-form-urlencoded"]}))


def test_distribution_mode_refuses_another_app_than_the_installations(distributed, engine, fake_slack):
    ours = SlackSender("http://unused", "s", team_id=fake_slack.team_id, api_app_id="A0DISTAPP1")
    other = SlackSender("http://unused", "s", team_id=fake_slack.team_id, api_app_id="A0OTHERAPP")
    refused = _dispatch(distributed, other)
    assert (refused.status, json.loads(refused.body)["text"]) == (200, tenancy.NOT_SERVED_TEXT)
    served = _dispatch(distributed, ours)
    assert (served.status, served.body) == (200, f"served {fake_slack.team_id}")
    with session_scope(engine) as s:
        rows = list(s.exec(select(Workspace).execution_options(all_workspaces=True)))
    assert [(w.team_id, w.org_id) for w in rows] == [(fake_slack.team_id, fake_slack.team_id)]
    # A workspace without an installation: Bolt's own authorize refuses it, before the middleware.
    nobody = SlackSender("http://unused", "s", team_id="T0NOBODY01", api_app_id="A0DISTAPP1")
    unknown = _dispatch(distributed, nobody, fake_slack.response_url("nobody"))
    assert unknown.status == 200 and "served" not in unknown.body
