"""The workspace as an Enterprise Grid organisation, with a recording stand-in for the app: what
people do in a workspace goes with that workspace's Grid shapes for an org-wide installation, and
the Web API answers as the organisation's (auth.test, users.info, permalinks, modals, the Home)."""

from __future__ import annotations

from slack_sdk import WebClient

from playground import sample
from tests.playground.test_workspace import MODAL, app, ws  # noqa: F401 (fixtures)

LONDON, SINGAPORE, E = sample.LONDON, sample.SINGAPORE, sample.ENTERPRISE_ID
ALICE, DEVIKA, GRACE = "U0ALICE001", "U0DEVIKA01", "U0GRACE001"


def _org_wide(authorization: dict) -> None:
    assert authorization == {
        "enterprise_id": E,
        "team_id": None,  # an org-wide installation is the organisation's
        "user_id": sample.BOT_USER_ID,
        "is_bot": True,
        "is_enterprise_install": True,
    }


def test_a_command_goes_as_the_workspace_it_was_typed_in(ws, app):
    ws.slash_command(DEVIKA, sample.SG_GENERAL_CHANNEL, "/ask hello")
    ws.slash_command(ALICE, sample.QA_CHANNEL, "/ask hello", team=SINGAPORE)
    ws.slash_command(ALICE, sample.QA_CHANNEL, "/ask hello")  # without one: her first workspace
    commands = [r for r in app.requests if "command" in r]
    assert [c["team_id"] for c in commands] == [SINGAPORE, SINGAPORE, LONDON]
    assert {(c["enterprise_id"], c["is_enterprise_install"]) for c in commands} == {(E, "true")}
    assert [c["team_domain"] for c in commands] == ["acme-singapore", "acme-singapore", "acme-london"]


def test_events_in_a_shared_channel_go_as_the_workspace_acted_in(ws, app):
    post = ws.post_message(GRACE, sample.QA_CHANNEL, "from Singapore", team=SINGAPORE)
    ws.post_message(GRACE, sample.QA_CHANNEL, "from London", thread_ts=post)
    ws.open_home(ALICE, team=SINGAPORE)
    ws.wait_until(lambda: any(r["event"]["type"] == "app_home_opened" for r in app.requests if "event" in r))
    bodies = [r for r in app.requests if r.get("type") == "event_callback"]
    singapore, london, home = bodies
    # The shared channel was created in London: Slack puts that workspace at the top, and says where
    # the event happened in context_team_id.
    assert (singapore["team_id"], singapore["context_team_id"], singapore["enterprise_id"]) == (LONDON, SINGAPORE, E)
    assert singapore["event"]["team"] == singapore["event"]["user_team"] == SINGAPORE
    assert (london["team_id"], london["context_team_id"], london["event"]["user_team"]) == (LONDON, LONDON, LONDON)
    assert (home["team_id"], home["context_team_id"]) == (SINGAPORE, SINGAPORE)
    for body in bodies:
        _org_wide(body["authorizations"][0])
        assert body["is_ext_shared_channel"] is False  # shared inside the organisation, with nobody outside


def test_modals_belong_to_the_workspace_whose_request_opened_them(ws, app):
    client = WebClient(token=ws.token, base_url=ws.api_url)
    view = client.views_open(trigger_id=ws.new_trigger(DEVIKA, SINGAPORE), view=MODAL)["view"]
    assert view["app_installed_team_id"] == SINGAPORE
    pushed = client.views_push(trigger_id=ws.new_trigger(DEVIKA, SINGAPORE), view=MODAL)["view"]
    assert pushed["app_installed_team_id"] == SINGAPORE
    ws.submit_view(DEVIKA, pushed["id"], {"q": {"q": {"type": "plain_text_input", "value": "why?"}}})
    [submitted] = [r for r in app.requests if r.get("type") == "view_submission"]
    assert submitted["team"] is None and submitted["enterprise"] == {"id": E, "name": "Acme"}
    assert submitted["user"]["team_id"] == SINGAPORE and submitted["view"]["app_installed_team_id"] == SINGAPORE
    assert submitted["is_enterprise_install"] is True


def test_the_home_is_the_workspace_it_was_opened_in(ws, app):
    client = WebClient(token=ws.token, base_url=ws.api_url)
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "London"}}]}
    ws.open_home(ALICE)  # her first workspace
    client.views_publish(user_id=ALICE, view=home)
    ws.open_home(ALICE, team=SINGAPORE)
    client.views_publish(
        user_id=ALICE, view={**home, "blocks": [{**home["blocks"][0], "text": {"type": "mrkdwn", "text": "Singapore"}}]}
    )
    assert ws.state(ALICE, LONDON)["home"]["blocks"][0]["text"]["text"] == "London"
    assert ws.state(ALICE, SINGAPORE)["home"]["blocks"][0]["text"]["text"] == "Singapore"
    assert ws.state(ALICE, SINGAPORE)["home"]["app_installed_team_id"] == SINGAPORE


def test_the_web_api_answers_as_the_organisation(ws):
    client = WebClient(token=ws.token, base_url=ws.api_url)
    who = client.auth_test()
    assert (who["team_id"], who["enterprise_id"], who["is_enterprise_install"]) == (LONDON, E, True)
    alice = client.users_info(user=ALICE)["user"]["enterprise_user"]
    assert (alice["enterprise_id"], alice["teams"]) == (E, [LONDON, SINGAPORE])
    assert client.users_info(user=DEVIKA)["user"]["team_id"] == SINGAPORE
    # Permalinks open in the workspace the channel belongs to; conversations.info says which.
    in_singapore = ws.post_message(DEVIKA, sample.SG_GENERAL_CHANNEL, "hi")
    in_qa = ws.post_message(DEVIKA, sample.QA_CHANNEL, "hi")
    link = client.chat_getPermalink(channel=sample.SG_GENERAL_CHANNEL, message_ts=in_singapore)["permalink"]
    assert link.startswith(f"https://acme-singapore.slack.com/archives/{sample.SG_GENERAL_CHANNEL}/p")
    link = client.chat_getPermalink(channel=sample.QA_CHANNEL, message_ts=in_qa)["permalink"]
    assert link.startswith(f"https://acme-london.slack.com/archives/{sample.QA_CHANNEL}/p")
    assert client.conversations_info(channel=sample.SG_GENERAL_CHANNEL)["channel"]["context_team_id"] == SINGAPORE
    joined = client.conversations_join(channel=sample.SG_ENGINEERING_CHANNEL)["channel"]
    assert (joined["context_team_id"], joined["is_shared"]) == (SINGAPORE, False)
    assert client.conversations_join(channel=sample.QA_CHANNEL)["channel"]["shared_team_ids"] == [LONDON, SINGAPORE]
