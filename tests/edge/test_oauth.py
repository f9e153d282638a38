"""Distribution mode: installs through the real "Add to Slack" pages, each request and each send with its
own installation's token, tokens encrypted at rest, and token rotation serialised across threads and
processes. A running Knowhow (HTTP mode, threads for the workers) against the Slack stand-in."""

from __future__ import annotations

import html
import multiprocessing
import re
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from email.message import Message
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from cryptography.fernet import Fernet
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import text
from sqlmodel import select

from bot import cli
from bot.config import Settings
from bot.install_pages import oauth_flow
from bot.installs import Clients, NotInstalled
from bot.oauth import OAuthInstalls, installs_for
from bot.service import Knowhow
from fakeslack import SlackSender
from fakeslack.socket_mode import SocketModeServer
from storage import workspaces
from storage.db import make_engine, session_scope
from storage.models import Workspace

from .conftest import QA_CHANNEL, SECRET

KEY = Fernet.generate_key().decode()
TEAM_A, TEAM_B = "T0PARIS01", "T0SINGAP1"
ORG, ORG_A, ORG_B = "E0GLOBEX1", "T0GLOBLON", "T0GLOBNYC"


@pytest.fixture
def settings(fake_slack, database_url):
    """Distribution mode: a client id and secret (the stand-in's app) and a token key; no bot token."""
    return Settings(
        client_id=fake_slack.client_id,
        client_secret=fake_slack.client_secret,
        token_key=(KEY,),
        signing_secret=SECRET,
        api_url=fake_slack.api_url,
        database_url=database_url,
        port=0,
        qa_channel=QA_CHANNEL,
        workers="threads",
    )


@pytest.fixture
def base(knowhow):
    return f"http://127.0.0.1:{knowhow.http.port}"


def _get(url: str, cookie: str | None = None) -> tuple[int, str, Message]:
    request = urllib.request.Request(url)
    if cookie:
        request.add_header("Cookie", cookie)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.read().decode(), answer.headers
    except urllib.error.HTTPError as answer:
        return answer.code, answer.read().decode(), answer.headers


def begin(base: str) -> tuple[str, str]:
    """Open the install page as a browser: (the state in its "Add to Slack" link, the state cookie)."""
    status, page, headers = _get(base + "/slack/install")
    assert status == 200 and "Add to Slack" in page
    assert headers["Cache-Control"] == "no-store"
    link = html.unescape(re.search(r'href="([^"]+)"', page).group(1))
    query = parse_qs(urlparse(link).query)
    cookie = headers["Set-Cookie"].split(";")[0]
    assert cookie == f"slack-app-oauth-state={query['state'][0]}"
    return query["state"][0], cookie


def install(base: str, code: str) -> tuple[int, str]:
    """Begin on the install page, approve in "Slack" (the stand-in's code), come back to the redirect."""
    state, cookie = begin(base)
    status, page, _ = _get(f"{base}/slack/oauth_redirect?{urlencode({'code': code, 'state': state})}", cookie)
    return status, page


def test_the_install_page_links_to_slacks_authorize_page_with_knowhows_scopes(base, fake_slack, settings):
    status, page, headers = _get(base + "/slack/install")
    assert status == 200
    link = html.unescape(re.search(r'href="([^"]+)"', page).group(1))
    assert link.startswith(fake_slack.base + "/oauth/v2/authorize?")  # beside SLACK_API_URL
    query = parse_qs(urlparse(link).query)
    assert query["client_id"] == [fake_slack.client_id]
    assert query["scope"][0].split(",") == list(settings.scopes)
    assert "Knowhow" in page and headers["X-Frame-Options"] == "DENY"
    # Plain HTTP pages, not Slack's: no signature needed, and only GET (a HEAD spends no state).
    assert _get(base + "/slack/install")[0] == 200
    request = urllib.request.Request(base + "/slack/oauth_redirect", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10)
    assert refused.value.code == 405


def test_two_workspaces_install_and_each_is_answered_with_its_own_token(knowhow, base, fake_slack):
    for team, name in ((TEAM_A, "Paris"), (TEAM_B, "Singapore")):
        status, page = install(base, fake_slack.oauth_code(team, name))
        assert status == 200 and f"Knowhow is installed in <strong>{name}</strong>" in page
    token_a, token_b = fake_slack.installed_token(TEAM_A), fake_slack.installed_token(TEAM_B)
    assert token_a and token_b and token_a != token_b
    # oauth.v2.access went to SLACK_API_URL with the app's credentials, once per install.
    assert len(fake_slack.calls_to("oauth.v2.access")) == 2
    with session_scope(knowhow.engine) as s:
        recorded = {w.team_id: (w.name, w.org_id) for w in s.exec(select(Workspace))}
    assert recorded == {TEAM_A: ("Paris", TEAM_A), TEAM_B: ("Singapore", TEAM_B)}

    port = knowhow.http.port
    for team, token in ((TEAM_A, token_a), (TEAM_B, token_b)):
        slack = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET, team_id=team)
        before = len(fake_slack.calls_to("views.open"))
        assert slack.command("/ask", "").status == 200  # the form opens in the request
        assert fake_slack.wait_for("views.open", before + 1)[-1].token == token
        before = len(fake_slack.calls_to("chat.postMessage"))
        slack.command("/ask", f"Who knows the {team} office's printer?", response_url=fake_slack.response_url("ask"))
        post = fake_slack.wait_for("chat.postMessage", before + 1)[-1]
        # The outbox posts after the ack, outside any request: with that workspace's token too.
        assert post.token == token and team in post.block_text()


def test_a_workspace_with_no_installation_is_told_so(knowhow, fake_slack):
    slack = SlackSender(f"http://127.0.0.1:{knowhow.http.port}/slack/events", SECRET, team_id="T0NOBODY1")
    assert slack.command("/ask", "", response_url=fake_slack.response_url("ask")).status == 200
    [said] = fake_slack.calls_to("response_url")  # Bolt answers by the command's response_url
    assert "not installed in this workspace" in said.text
    assert not fake_slack.calls_to("views.open")


def test_an_org_wide_grid_install_answers_every_workspace_of_the_organisation(knowhow, base, fake_slack):
    # London was known (and gone: uninstalled earlier) before the organisation installed Knowhow.
    with session_scope(knowhow.engine) as s:
        workspaces.seen(s, team_id=ORG_A, enterprise_id=ORG)
        workspaces.mark_gone(s, team_ids=[ORG_A], reason="app_uninstalled")
    status, page = install(
        base, fake_slack.oauth_code(None, enterprise_id=ORG, enterprise_name="Globex", is_enterprise_install=True)
    )
    assert status == 200 and "whole of <strong>Globex</strong>" in page
    org_token = fake_slack.installed_token(None, ORG)
    with session_scope(knowhow.engine) as s:
        london = workspaces.get(s, team_id=ORG_A)
        assert london.gone_at is None and london.enterprise_install  # back, as part of the org-wide install

    for team in (ORG_A, ORG_B):
        slack = SlackSender(
            f"http://127.0.0.1:{knowhow.http.port}/slack/events",
            SECRET,
            team_id=team,
            enterprise_id=ORG,
            is_enterprise_install=True,
        )
        before = len(fake_slack.calls_to("views.open"))
        slack.command("/ask", "")
        assert fake_slack.wait_for("views.open", before + 1)[-1].token == org_token
    # Outside a request, a workspace of the organisation is found through its workspace row.
    with session_scope(knowhow.engine) as s:
        workspaces.seen(s, team_id=ORG_B, enterprise_id=ORG)
    assert knowhow.deps.installs.token_for(ORG_B) == org_token
    assert knowhow.deps.installs.token_for(ORG_A) == org_token


def test_a_bad_expired_or_reused_state_gives_the_failure_page(knowhow, base, fake_slack):
    code = fake_slack.oauth_code(TEAM_A)
    state, cookie = begin(base)
    redirect = f"{base}/slack/oauth_redirect?"
    # Another browser (no cookie), or a forged state: refused before Slack is asked.
    status, page, _ = _get(redirect + urlencode({"code": code, "state": state}))
    assert status == 400 and "another browser" in page and "Knowhow was not installed" in page
    status, page, _ = _get(redirect + urlencode({"code": code, "state": "forged"}), "slack-app-oauth-state=forged")
    assert status == 401 and "expired or was already used" in page
    # Expired: the state's ten minutes are over.
    with knowhow.engine.begin() as conn:
        conn.execute(text("UPDATE slack_oauth_states SET expire_at = :past"), {"past": datetime(2020, 1, 1)})
    status, page, _ = _get(redirect + urlencode({"code": code, "state": state}), cookie)
    assert status == 401 and "expired or was already used" in page
    # Cancelled in Slack.
    status, page, _ = _get(redirect + urlencode({"error": "access_denied", "state": state}), cookie)
    assert "cancelled" in page
    assert not fake_slack.calls_to("oauth.v2.access")
    # A fresh state works once; used again (a reload), it is refused.
    state, cookie = begin(base)
    assert _get(redirect + urlencode({"code": code, "state": state}), cookie)[0] == 200
    status, page, _ = _get(redirect + urlencode({"code": code, "state": state}), cookie)
    assert status == 401 and "expired or was already used" in page
    # A code Slack does not know (or used already).
    state, cookie = begin(base)
    status, page, _ = _get(redirect + urlencode({"code": "made-up", "state": state}), cookie)
    assert status == 401 and "did not confirm" in page


def test_tokens_are_encrypted_at_rest(knowhow, base, fake_slack):
    install(base, fake_slack.oauth_code(TEAM_A, rotation=True))
    token = fake_slack.installed_token(TEAM_A)
    with knowhow.engine.connect() as conn:
        rows = [
            dict(row._mapping)
            for table in ("slack_installations", "slack_bots")
            for row in conn.execute(text(f"SELECT * FROM {table}"))
        ]
    assert len(rows) == 2
    for row in rows:
        assert not any("xox" in str(value) for value in row.values()), row
        assert Fernet(KEY.encode()).decrypt(row["bot_token"].encode()).decode() == token
        assert row["bot_refresh_token"] is not None and row["bot_token_expires_at"] is not None
    assert knowhow.deps.installs.token_for(TEAM_A) == token


def test_rotate_token_key_encrypts_every_token_again_with_the_new_key(
    knowhow, base, fake_slack, monkeypatch, tmp_path, capsys
):
    install(base, fake_slack.oauth_code(TEAM_A, rotation=True))
    install(base, fake_slack.oauth_code(TEAM_B))
    new = Fernet.generate_key().decode()
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("DATABASE_URL", knowhow.settings.database_url)
    monkeypatch.setenv("KNOWHOW_TOKEN_KEY", f"{new},{KEY}")
    assert cli.main(["rotate-token-key"]) == 0
    out = capsys.readouterr().out
    # Paris: token and refresh token, in its installation and its bot row; Singapore: its token, twice.
    assert "Encrypted 6 tokens again" in out and "can now be removed" in out
    with knowhow.engine.connect() as conn:
        sealed = [
            v
            for row in conn.execute(text("SELECT bot_token, bot_refresh_token FROM slack_installations"))
            for v in row
            if v
        ]
    assert all(Fernet(new.encode()).decrypt(v.encode()) for v in sealed)
    # Only the new key now: every token still opens.
    only_new = knowhow.settings.model_copy(update={"token_key": (new,)})
    assert OAuthInstalls(knowhow.engine, only_new).token_for(TEAM_B) == fake_slack.installed_token(TEAM_B)
    # A key that opens nothing: said, and nothing is changed.
    monkeypatch.setenv("KNOWHOW_TOKEN_KEY", Fernet.generate_key().decode())
    assert cli.main(["rotate-token-key"]) == 1
    assert "could not be opened" in capsys.readouterr().err


def test_a_socket_mode_knowhow_serves_the_install_pages_too(settings, fake_slack):
    server = SocketModeServer().start()
    fake_slack.socket_mode = server
    service = Knowhow(settings.model_copy(update=dict(app_token="xapp-1-fake", signing_secret=None)), host="127.0.0.1")
    service.start()
    try:
        status, page = install(f"http://127.0.0.1:{service.http.port}", fake_slack.oauth_code(TEAM_A, "Paris"))
        assert status == 200 and "installed in <strong>Paris</strong>" in page
        assert service.deps.installs.token_for(TEAM_A) == fake_slack.installed_token(TEAM_A)
    finally:
        service.stop()
        server.stop()


# -- token rotation -------------------------------------------------------------------------------
@pytest.fixture
def installs(settings, fake_slack):
    """An OAuthInstalls on its own engine, and a function installing a workspace through Bolt's flow."""
    engine = make_engine(settings.database_url)
    made = OAuthInstalls(engine, settings)
    flow = oauth_flow(engine, settings, made, WebClient(base_url=settings.api_url))

    def add(team: str, **grant) -> str:
        installation = flow.run_installation(fake_slack.oauth_code(team, **grant))
        flow.store_installation(None, installation)
        return installation.bot_token

    made.add = add
    yield made
    engine.dispose()


def expiring(engine, seconds: float = 60) -> None:
    """Every stored token expires in `seconds` (Slack's tokens live 12 hours; this is the last minute)."""
    soon = (datetime.now(UTC) + timedelta(seconds=seconds)).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(text("UPDATE slack_installations SET bot_token_expires_at = :t"), {"t": soon})
        conn.execute(text("UPDATE slack_bots SET bot_token_expires_at = :t"), {"t": soon})


def refreshes(fake_slack) -> list:
    return [c for c in fake_slack.calls_to("oauth.v2.access") if c.args.get("grant_type") == "refresh_token"]


def slow_refresh(fake_slack, seconds: float = 0.3) -> None:
    """Slack takes a while to answer a refresh: long enough for the others to ask meanwhile."""
    original = fake_slack.methods["oauth.v2.access"]

    @fake_slack.handler("oauth.v2.access")
    def slow(call):
        if call.args.get("grant_type") == "refresh_token":
            time.sleep(seconds)
        return original(call)


def test_a_token_far_from_expiry_is_not_refreshed(installs, fake_slack):
    first = installs.add(TEAM_A, rotation=True)
    assert installs.token_for(TEAM_A) == first
    assert refreshes(fake_slack) == []


def test_an_expiring_token_is_refreshed_once_when_threads_ask_at_once(installs, fake_slack, settings):
    old = installs.add(TEAM_A, rotation=True)
    expiring(installs.engine)
    slow_refresh(fake_slack)
    # Two instances (as the serving process and its workers would have) and threads of each.
    other = OAuthInstalls(installs.engine, settings)
    start = threading.Barrier(6)
    got: list[str] = []

    def ask(source):
        start.wait()
        got.append(source.token_for(TEAM_A))

    threads = [threading.Thread(target=ask, args=(source,)) for source in (installs, other) * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert len(refreshes(fake_slack)) == 1  # one refresh token, spent once
    new = fake_slack.installed_token(TEAM_A)
    assert new != old and got == [new] * 6
    # Written back: the next process reads the new token, far from expiry now.
    assert OAuthInstalls(installs.engine, settings).token_for(TEAM_A) == new
    assert len(refreshes(fake_slack)) == 1


def _child_token(settings: Settings, team: str, go, out) -> None:
    go.wait(10)
    try:
        out.put(installs_for(make_engine(settings.database_url), settings).token_for(team))
    except Exception as exc:  # reported to the test
        out.put(f"error: {exc!r}")


def test_an_expiring_token_is_refreshed_once_when_two_processes_ask_at_once(installs, fake_slack, settings):
    installs.add(TEAM_A, rotation=True)
    expiring(installs.engine)
    slow_refresh(fake_slack)
    context = multiprocessing.get_context("fork")
    go, out = context.Event(), context.Queue()
    children = [context.Process(target=_child_token, args=(settings, TEAM_A, go, out)) for _ in range(2)]
    for child in children:
        child.start()
    go.set()
    got = [out.get(timeout=30) for _ in children]
    for child in children:
        child.join(10)
    assert len(refreshes(fake_slack)) == 1
    assert got == [fake_slack.installed_token(TEAM_A)] * 2


def test_a_send_outside_any_request_gets_a_fresh_token(installs, fake_slack, settings):
    """The outbox's and the scheduler's sends: the workspace's client, its token refreshed first."""
    old = installs.add(TEAM_A, rotation=True)
    expiring(installs.engine)
    fake_slack.grants.expire(old)  # and Slack no longer takes the old one
    clients = Clients(installs, WebClient(base_url=settings.api_url))
    clients.for_team(TEAM_A).chat_postMessage(channel=QA_CHANNEL, text="hello")
    [post] = fake_slack.calls_to("chat.postMessage")
    assert post.token == fake_slack.installed_token(TEAM_A) != old
    assert len(refreshes(fake_slack)) == 1


def test_a_request_refreshes_an_expiring_token_under_the_same_lock(knowhow, base, fake_slack):
    install(base, fake_slack.oauth_code(TEAM_A, rotation=True))
    old = fake_slack.installed_token(TEAM_A)
    expiring(knowhow.engine)
    knowhow.deps.installs.forget_all()
    slack = SlackSender(f"http://127.0.0.1:{knowhow.http.port}/slack/events", SECRET, team_id=TEAM_A)
    slack.command("/ask", "")
    opened = fake_slack.wait_for("views.open")[-1]
    assert opened.token == fake_slack.installed_token(TEAM_A) != old
    assert len(refreshes(fake_slack)) == 1
    # Bolt did not rotate on its own: the refresh token was spent once, and the store has the new pair.
    assert knowhow.deps.installs.token_for(TEAM_A) == opened.token


def test_a_failed_refresh_keeps_a_valid_token_and_says_why_once_it_expired(installs, fake_slack, settings):
    installs.add(TEAM_A, rotation=True)
    expiring(installs.engine)
    # Someone else spent the refresh token (a copy of the database elsewhere, say).
    [refresh] = list(fake_slack.grants.refresh_tokens)
    fake_slack.grants.refresh(refresh)
    current = OAuthInstalls(installs.engine, settings)
    assert current.token_for(TEAM_A)  # still valid for a minute: used as it is
    expiring(installs.engine, seconds=-60)
    with pytest.raises(SlackApiError) as refused:
        OAuthInstalls(installs.engine, settings).token_for(TEAM_A)
    assert refused.value.response["error"] == "invalid_refresh_token"


def test_a_deleted_installation_is_not_installed_any_more(installs, fake_slack):
    installs.add(TEAM_A)
    assert installs.token_for(TEAM_A)
    installs.delete(None, TEAM_A)
    with pytest.raises(NotInstalled):
        installs.token_for(TEAM_A)
    with installs.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM slack_bots")).scalar() == 0


def test_single_token_mode_uses_no_installation_store(fake_slack, database_url):
    settings = Settings(bot_token=fake_slack.token, api_url=fake_slack.api_url, database_url=database_url)
    engine = make_engine(database_url)
    try:
        single = installs_for(engine, settings, WebClient(base_url=settings.api_url))
        assert type(single).__name__ == "SingleToken"
    finally:
        engine.dispose()


def test_an_uninstalled_workspace_stops_while_the_other_flows_and_a_reinstall_picks_up(knowhow, base, fake_slack):
    from notify import home as notify_home
    from storage.models import OutboxMessage

    from ..settle import settle

    for team, name in ((TEAM_A, "Paris"), (TEAM_B, "Singapore")):
        assert install(base, fake_slack.oauth_code(team, name))[0] == 200
    token_a = fake_slack.installed_token(TEAM_A)
    port = knowhow.http.port
    paris = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET, team_id=TEAM_A)
    singapore = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET, team_id=TEAM_B)

    assert paris.event({"type": "app_uninstalled"}).status == 200
    with session_scope(knowhow.engine) as s:
        assert workspaces.is_gone(s, team_id=TEAM_A) and not workspaces.is_gone(s, team_id=TEAM_B)
        # What Paris had still to say (as its App Homes would be refreshed): kept, not sent.
        for n in range(3):
            notify_home.queue_refresh(s, TEAM_A, f"U0PARIS00{n}")
    assert knowhow.deps.installs.token_for(TEAM_B)
    with pytest.raises(NotInstalled):  # its installation was deleted from the store
        knowhow.deps.installs.token_for(TEAM_A)

    before = len(fake_slack.calls_to("chat.postMessage"))
    singapore.command("/ask", "Who runs the Singapore offsite?", response_url=fake_slack.response_url("ask"))
    post = fake_slack.wait_for("chat.postMessage", before + 1)[-1]
    assert post.token == fake_slack.installed_token(TEAM_B)
    settle(knowhow)
    with session_scope(knowhow.engine) as s:
        paris_rows = s.exec(select(OutboxMessage).where(OutboxMessage.team_id == TEAM_A)).all()
    assert sorted(r.status for r in paris_rows) == ["held"] * 3
    assert not [c for c in fake_slack.calls_to("views.publish") if c.token == token_a]

    # Paris installs Knowhow again: what it queued goes out, with its new token.
    assert install(base, fake_slack.oauth_code(TEAM_A, "Paris"))[0] == 200
    new_token = fake_slack.installed_token(TEAM_A)
    settle(knowhow)
    published = [c.args["user_id"] for c in fake_slack.calls_to("views.publish") if c.token == new_token]
    assert sorted(published) == [f"U0PARIS00{n}" for n in range(3)]  # each once
    with session_scope(knowhow.engine) as s:
        assert not workspaces.is_gone(s, team_id=TEAM_A)
        assert {r.status for r in s.exec(select(OutboxMessage).where(OutboxMessage.team_id == TEAM_A))} == {"sent"}
