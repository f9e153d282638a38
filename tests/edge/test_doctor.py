"""`knowhow doctor` against the Slack stand-in and real databases: all clear on a healthy
deployment, and each broken part named with its fix."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import update

from bot import cli, doctor
from bot.config import DEFAULT_SCOPES, load_settings
from bot.oauth import OAuthInstalls
from core import sessions
from core.clock import utcnow
from storage import migrate, outbox, workspaces
from storage.db import application_name, make_engine, session_scope
from storage.models import OutboxMessage

from .conftest import QA_CHANNEL, SECRET

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


@pytest.fixture
def fake_slack(fake_slack):
    fake_slack.scopes = DEFAULT_SCOPES  # the app was installed from manifest.yml
    return fake_slack


def _env(settings, **changes) -> dict[str, str]:
    env = {
        "SLACK_BOT_TOKEN": settings.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": settings.api_url,
        "DATABASE_URL": settings.database_url,
        "KNOWHOW_QA_CHANNEL": QA_CHANNEL,
    }
    env.update(changes)
    return {k: v for k, v in env.items() if v is not None}


def _lines(env) -> list[str]:
    return [finding.line() for finding in doctor.examine(env)]


def _problems(env) -> list[str]:
    return [line for line in _lines(env) if line.startswith("PROBLEM")]


def _one(lines: list[str], start: str) -> str:
    found = [line for line in lines if line.startswith(start)]
    assert len(found) == 1, f"expected one line starting {start!r} in:\n" + "\n".join(lines)
    return found[0]


def test_a_healthy_deployment_is_all_clear(knowhow, settings, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)  # no .env here
    for name, value in _env(settings).items():
        monkeypatch.setenv(name, value)

    assert cli.main(["doctor"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "All clear."
    assert not [line for line in out if line.startswith("PROBLEM")], out
    assert _one(out, "ok: SLACK_BOT_TOKEN").endswith("bot user U0FAKEBOT1")
    asked = len(yaml.safe_load(MANIFEST.read_text())["oauth_config"]["scopes"]["bot"])
    assert _one(out, "ok: scopes") == f"ok: scopes: all {asked} bot scopes of manifest.yml are granted"
    assert "the bot is in it" in _one(out, "ok: Q&A channel of T0FAKETEAM")
    assert _one(out, "ok: database").startswith("ok: database: reachable, migrated to the latest revision")
    assert _one(out, "ok: scheduler: runs in")
    assert _one(out, "ok: outbox") == "ok: outbox: 0 pending"
    assert _one(out, "ok: dead letters")
    # HTTP mode without a known public address: said, and not a problem.
    assert _one(out, "can't check: request URL")


def test_socket_mode_is_checked_with_the_app_level_token(socket_knowhow, settings, fake_slack):
    env = _env(settings, SLACK_SIGNING_SECRET=None, SLACK_APP_TOKEN="xapp-1-fake")
    assert _one(_lines(env), "ok: Socket Mode")

    fake_slack.app_token = "xapp-1-the-current-one"  # the token in the settings was regenerated since
    line = _one(_problems(env), "PROBLEM: Socket Mode")
    assert "refuses a connection for SLACK_APP_TOKEN (invalid_auth)" in line
    assert "fix: turn Socket Mode on" in line and "connections:write" in line


def test_socket_mode_off_in_the_app_is_named(settings, fake_slack):
    fake_slack.socket_mode = None  # the app's Socket Mode setting is off
    line = _one(_problems(_env(settings, SLACK_SIGNING_SECRET=None, SLACK_APP_TOKEN="xapp-1-fake")), "PROBLEM: Socket")
    assert "socket_mode_not_enabled" in line


@pytest.mark.parametrize(
    ("token", "said"),
    [("revoked", "Slack refuses it (token_revoked)"), ("xoxb-not-issued", "Slack refuses it (invalid_auth)")],
)
def test_a_revoked_or_invalid_token_is_named_with_where_to_get_the_right_one(settings, fake_slack, token, said):
    if token == "revoked":
        fake_slack.revoke()
        token = fake_slack.token
    problems = _problems(_env(settings, SLACK_BOT_TOKEN=token))
    line = _one(problems, "PROBLEM: SLACK_BOT_TOKEN")
    assert said in line
    assert "fix: copy the Bot User OAuth Token (xoxb-...)" in line
    # Channels cannot be checked without a token; saying so is not one more problem.
    assert len([p for p in problems if "Q&A" in p]) == 0


def test_a_user_token_in_place_of_the_bot_token_is_named(settings):
    lines = _lines(_env(settings, SLACK_BOT_TOKEN="xoxp-1234-5678-abcdef"))
    line = _one(lines, "PROBLEM: SLACK_BOT_TOKEN")
    assert line == (
        "PROBLEM: SLACK_BOT_TOKEN: holds a user token, not a bot token — fix: copy the Bot User OAuth Token "
        "(xoxb-...) from your app's OAuth & Permissions page"
    )
    assert _one(lines, "ok: database")  # the checks that need no token still run


def test_an_app_level_token_in_place_of_the_bot_token_is_named(settings):
    line = _one(_problems(_env(settings, SLACK_BOT_TOKEN="xapp-1-A0-1-abc")), "PROBLEM: SLACK_BOT_TOKEN")
    assert "holds an app-level token, not a bot token" in line


def test_missing_scopes_are_listed(settings, fake_slack):
    fake_slack.scopes = tuple(s for s in DEFAULT_SCOPES if s not in ("files:write", "channels:join"))
    line = _one(_problems(_env(settings)), "PROBLEM: scopes")
    assert "missing channels:join, files:write of the bot scopes manifest.yml asks for" in line
    assert "fix: add them under OAuth & Permissions > Scopes" in line and "reinstall the app" in line


def test_a_private_qa_channel_the_bot_was_not_invited_to(settings, fake_slack):
    fake_slack.private_channels.add(QA_CHANNEL)  # private, and nobody invited the bot
    line = _one(_problems(_env(settings)), "PROBLEM: Q&A channel of T0FAKETEAM (KNOWHOW_QA_CHANNEL)")
    assert "private and the bot was not invited" in line
    assert "fix: invite the bot there (/invite @Knowhow)" in line


def test_a_public_qa_channel_the_bot_is_not_in_yet_is_fine_when_it_may_join(settings, fake_slack):
    fake_slack.not_joined.add(QA_CHANNEL)
    assert "joins it when it first posts" in _one(_lines(_env(settings)), "ok: Q&A channel")

    fake_slack.scopes = tuple(s for s in DEFAULT_SCOPES if s != "channels:join")
    line = _one(_problems(_env(settings)), "PROBLEM: Q&A channel")
    assert "the bot is not in #c0question" in line and "fix: invite it" in line


def test_a_deleted_or_archived_qa_channel(settings, fake_slack):
    fake_slack.delete_channel(QA_CHANNEL)
    assert "does not exist for the bot" in _one(_problems(_env(settings)), "PROBLEM: Q&A channel")

    fake_slack.add_channel("C0ARCHIVED", archived=True)
    line = _one(_problems(_env(settings, KNOWHOW_QA_CHANNEL="C0ARCHIVED")), "PROBLEM: Q&A channel")
    assert "is archived" in line and "fix: unarchive it, or choose another" in line


def test_no_qa_channel_at_all(settings):
    line = _one(_problems(_env(settings, KNOWHOW_QA_CHANNEL=None)), "PROBLEM: Q&A channel")
    assert "none is set, so /ask has nowhere to post" in line and "`/ask channel`" in line


def test_the_workspaces_own_qa_channel_is_the_one_checked(settings, fake_slack, engine):
    with session_scope(engine) as session:
        workspaces.set_qa_channel(session, team_id=fake_slack.team_id, channel_id="C0OWNQA", by="U0ADMIN")
    fake_slack.private_channels.add("C0OWNQA")
    assert "(set with /ask channel)" in _one(_problems(_env(settings)), "PROBLEM: Q&A channel")


def test_session_channels_are_checked(settings, fake_slack, engine):
    with session_scope(engine) as session:
        sessions.designate(session, team_id=fake_slack.team_id, channel_id="C0EXPERTS", user_id="U0ADMIN", name="ex")
        sessions.designate(session, team_id=fake_slack.team_id, channel_id="C0GONE", user_id="U0ADMIN", name="gone")
    fake_slack.delete_channel("C0GONE")
    lines = _lines(_env(settings))
    assert _one(lines, "ok: session channel of T0FAKETEAM: #c0experts")
    line = _one(lines, "PROBLEM: session channel of T0FAKETEAM")
    assert "<#C0GONE> does not exist" in line and "`/expert channels remove #gone`" in line


def test_a_database_not_migrated(settings, tmp_path):
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "-2")  # two behind this Knowhow's latest
    engine.dispose()
    lines = _lines(_env(settings, DATABASE_URL=url))
    line = _one(lines, "PROBLEM: database")
    assert "2 migrations not applied yet" in line and "fix: run `knowhow migrate`" in line
    assert _one(lines, "can't check: channels, scheduler, outbox")


def test_a_database_that_cannot_be_reached(settings):
    url = "postgresql+psycopg://knowhow:secret@127.0.0.1:1/knowhow"  # nothing listens on port 1
    line = _one(_problems(_env(settings, DATABASE_URL=url)), "PROBLEM: database")
    assert "cannot use the database in DATABASE_URL (OperationalError" in line and "fix: check DATABASE_URL" in line
    assert "secret" not in line


def test_a_sqlite_database_that_is_not_there_is_not_created(settings, tmp_path):
    path = tmp_path / "missing.db"
    line = _one(_problems(_env(settings, DATABASE_URL=f"sqlite:///{path}")), "PROBLEM: database")
    assert f"there is no database at {path}" in line and "`knowhow migrate`" in line
    assert not path.exists()


def test_nobody_runs_the_scheduler(settings):
    line = _one(_problems(_env(settings)), "PROBLEM: scheduler")
    assert "no process runs it" in line and "fix: run `knowhow run` (without --no-scheduler)" in line


def test_the_scheduler_holder_is_named(knowhow, settings, database_url):
    line = _one(_lines(_env(settings)), "ok: scheduler")
    if database_url.startswith("sqlite"):
        assert line == f"ok: scheduler: runs in process {os.getpid()}"
    else:
        assert "the PostgreSQL session of backend pid" in line and f"application “{application_name()}”" in line


def _queue(engine, key: str, kind: str, **payload) -> int:
    with session_scope(engine) as session:
        outbox.enqueue(session, team_id="T0FAKETEAM", dedupe_key=key, kind=kind, payload=payload)
        return outbox.get(session, team_id="T0FAKETEAM", dedupe_key=key).id


def test_an_outbox_item_nobody_sends(settings, engine):
    row = _queue(engine, "question:1:post", "ask.post_question", question_id=1)
    long_ago = utcnow() - timedelta(minutes=20)
    with session_scope(engine) as session:
        session.execute(update(OutboxMessage).values(created_at=long_ago, next_attempt_at=long_ago))
    line = _one(_problems(_env(settings)), "PROBLEM: outbox")
    assert f"1 message wait; one was due 20 min ago and no worker took it (#{row} ask.post_question" in line
    assert "fix: start Knowhow" in line


def test_an_outbox_item_retried_for_hours(settings, engine):
    _queue(engine, "session:3:opened", "session.opened", session_id=3)
    with session_scope(engine) as session:
        session.execute(
            update(OutboxMessage).values(
                created_at=utcnow() - timedelta(hours=3),
                attempts=9,
                last_error="Slack answered HTTP 503",
                next_attempt_at=utcnow() + timedelta(minutes=8),  # backing off until its next try
            )
        )
    line = _one(_problems(_env(settings)), "PROBLEM: outbox")
    assert "still being retried" in line and "9 attempts, last error: Slack answered HTTP 503" in line


def test_dead_letters_are_counted_with_the_latest_named(settings, engine):
    row = _queue(engine, "mentorship:4:intro", "mentor.intro", mentorship_id=4)
    with session_scope(engine) as session:
        item = outbox.claim_due(session, now=utcnow(), lease=timedelta(seconds=15))[0]
        outbox.mark_failed(session, item=item, error="user_not_found", to="U0GONE")
    line = _one(_problems(_env(settings)), "PROBLEM: dead letters")
    assert f"1 message failed for good; the latest: #{row} mentor.intro of T0FAKETEAM: user_not_found" in line
    assert "fix: `knowhow outbox` lists them" in line
    assert "mentorship" not in line.split("mentor.intro")[1]  # nothing of what it is about


def test_distribution_mode_checks_each_installation(settings, fake_slack, engine, tmp_path):
    """Two workspaces installed by "Add to Slack": one healthy, one whose token was revoked since."""
    key = Fernet.generate_key().decode()
    env = _env(
        settings,
        SLACK_BOT_TOKEN=None,
        SLACK_CLIENT_ID=fake_slack.client_id,
        SLACK_CLIENT_SECRET=fake_slack.client_secret,
        KNOWHOW_TOKEN_KEY=key,
    )
    installs = OAuthInstalls(engine, load_settings(env))
    exchange = WebClient(base_url=fake_slack.api_url)
    for team in ("T0HEALTHY", "T0REVOKED"):
        code = fake_slack.oauth_code(team, team.title(), scope=",".join(DEFAULT_SCOPES))
        answer = exchange.oauth_v2_access(
            client_id=fake_slack.client_id, client_secret=fake_slack.client_secret, code=code
        )
        installs.store.save(
            Installation(
                app_id=answer["app_id"],
                team_id=team,
                team_name=team.title(),
                bot_token=answer["access_token"],
                bot_id=fake_slack.bot_id,
                bot_user_id=answer["bot_user_id"],
                bot_scopes=answer["scope"],
                user_id="U0INSTALL1",
            )
        )
    fake_slack.revoke(fake_slack.installed_token("T0REVOKED"))

    lines = _lines(env)
    assert _one(lines, "ok: installation T0HEALTHY")
    assert _one(lines, "ok: scopes of T0HEALTHY")
    line = _one(lines, "PROBLEM: installation T0REVOKED")
    assert "Slack refuses it (token_revoked)" in line and "installs Knowhow again from" in line
    assert _one(lines, "ok: Q&A channel of T0HEALTHY")
    assert not [line for line in lines if "Q&A channel of T0REVOKED" in line]


def test_a_message_queued_for_later_is_not_waiting(settings, engine):
    with session_scope(engine) as session:
        outbox.enqueue(
            session,
            team_id="T0FAKETEAM",
            dedupe_key="session:3:reminder",
            kind="session.reminder",
            payload={"session_id": 3},
            not_before=utcnow() + timedelta(days=1),
        )
        session.execute(update(OutboxMessage).values(created_at=utcnow() - timedelta(hours=3)))
    assert _one(_lines(_env(settings)), "ok: outbox") == "ok: outbox: 1 pending"
