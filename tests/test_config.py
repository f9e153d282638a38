"""Configuration: defaults, the .env file, and one clear line for each mistake."""

from __future__ import annotations

import os

import pytest

from bot.config import DEFAULT_API_URL, ConfigError, load_settings


def test_defaults():
    settings = load_settings({})
    assert settings.api_url == DEFAULT_API_URL
    assert settings.database_url == "sqlite:///knowhow.db"
    assert settings.port == 3000
    assert not settings.socket_mode
    assert settings.missing_for_run() == ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"]


def test_socket_mode_needs_no_signing_secret_and_http_mode_no_app_token():
    socket = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert socket.socket_mode and socket.missing_for_run() == []
    http = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    assert not http.socket_mode and http.missing_for_run() == []


def test_values_are_read_and_normalised():
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": " xoxb-1 ",
            "SLACK_SIGNING_SECRET": "s3cret",
            "SLACK_API_URL": "http://127.0.0.1:9999/api",
            "DATABASE_URL": "postgresql://u:p@db/knowhow",
            "PORT": "8080",
            "KNOWHOW_QA_CHANNEL": "C0123ABCD",
            "KNOWHOW_ADMINS": "U01, U0ADMIN2 ,",
            "KNOWHOW_FOLLOWUP_HOURS": "4.5",
            "KNOWHOW_INVITATIONS_PER_DAY": "0",
            "KNOWHOW_PRIVACY_THRESHOLD": "5",
        }
    )
    assert settings.privacy_threshold == 5 and load_settings({}).privacy_threshold == 3
    assert settings.followup_hours == 4.5
    assert settings.invitations_per_day == 0 and load_settings({}).invitations_per_day == 2
    assert load_settings({}).followup_hours == 24
    assert settings.bot_token == "xoxb-1"
    assert settings.api_url == "http://127.0.0.1:9999/api/"
    assert settings.database_url == "postgresql+psycopg://u:p@db/knowhow"
    assert settings.port == 8080
    assert settings.admins == {"U01", "U0ADMIN2"}


@pytest.mark.parametrize(
    "env,names",
    [
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, ["SLACK_BOT_TOKEN", "xoxb-"]),
        ({"SLACK_APP_TOKEN": "xoxb-wrong-kind"}, ["SLACK_APP_TOKEN", "xapp-"]),
        ({"SLACK_API_URL": "slack.com/api"}, ["SLACK_API_URL"]),
        ({"DATABASE_URL": "mysql://x"}, ["DATABASE_URL", "postgresql+psycopg://"]),
        ({"PORT": "http"}, ["PORT"]),
        ({"PORT": "70000"}, ["PORT"]),
        ({"KNOWHOW_QA_CHANNEL": "#questions"}, ["KNOWHOW_QA_CHANNEL", "Channel ID"]),
        ({"KNOWHOW_ADMINS": "U01,alice"}, ["KNOWHOW_ADMINS", "alice"]),
        ({"KNOWHOW_INVITATIONS_PER_DAY": "-1"}, ["KNOWHOW_INVITATIONS_PER_DAY", "whole number"]),
        ({"KNOWHOW_INVITATIONS_PER_DAY": "lots"}, ["KNOWHOW_INVITATIONS_PER_DAY"]),
        ({"KNOWHOW_PRIVACY_THRESHOLD": "0"}, ["KNOWHOW_PRIVACY_THRESHOLD", "fewer than"]),
        ({"KNOWHOW_FOLLOWUP_HOURS": "a day"}, ["KNOWHOW_FOLLOWUP_HOURS"]),
        ({"KNOWHOW_FOLLOWUP_HOURS": "0"}, ["KNOWHOW_FOLLOWUP_HOURS"]),
    ],
)
def test_each_mistake_is_one_line_naming_the_variable(env, names):
    with pytest.raises(ConfigError) as error:
        load_settings(env)
    message = str(error.value)
    assert "\n" not in message
    for name in names:
        assert name in message


KEY = "LY7gZc5Xo4cJkvV9mZ0m2cq3XnKj1PZ4b5a5m9GQ8hA="  # a Fernet key (32 bytes, URL-safe base64)
DISTRIBUTION = {
    "SLACK_CLIENT_ID": "1234567890.1234567890123",
    "SLACK_CLIENT_SECRET": "s3cret",
    "KNOWHOW_TOKEN_KEY": KEY,
}


def test_distribution_mode_needs_no_bot_token():
    settings = load_settings({**DISTRIBUTION, "SLACK_APP_TOKEN": "xapp-1"})
    assert settings.distribution and settings.missing_for_run() == []
    assert settings.token_key == (KEY,)
    assert KEY not in repr(settings) and "s3cret" not in repr(settings)
    http = load_settings(DISTRIBUTION)
    assert http.missing_for_run() == ["SLACK_APP_TOKEN"]  # or a signing secret, as in single-token mode
    assert not load_settings({"SLACK_BOT_TOKEN": "xoxb-1"}).distribution


def test_token_keys_are_a_list_newest_first():
    other = "q1oVb7M2n3b4V5c6X7z8A9s0D1f2G3h4J5k6L7z8X9c="
    settings = load_settings({**DISTRIBUTION, "KNOWHOW_TOKEN_KEY": f" {other} , {KEY} "})
    assert settings.token_key == (other, KEY)
    assert load_settings({**DISTRIBUTION, "SLACK_SCOPES": "chat:write, commands"}).scopes == ("chat:write", "commands")


@pytest.mark.parametrize(
    "env,words",
    [
        ({"SLACK_CLIENT_ID": "1.2"}, ["SLACK_CLIENT_SECRET is not set", "go together"]),
        ({"SLACK_CLIENT_SECRET": "s"}, ["SLACK_CLIENT_ID is not set"]),
        ({**DISTRIBUTION, "KNOWHOW_TOKEN_KEY": ""}, ["KNOWHOW_TOKEN_KEY is not set", "Fernet.generate_key()"]),
        ({**DISTRIBUTION, "SLACK_BOT_TOKEN": "xoxb-1"}, ["SLACK_BOT_TOKEN", "both set", "unset SLACK_BOT_TOKEN"]),
        ({**DISTRIBUTION, "KNOWHOW_TOKEN_KEY": "not-a-key"}, ["KNOWHOW_TOKEN_KEY", "Fernet", "generate_key"]),
        ({"SLACK_SCOPES": "chat write"}, ["SLACK_SCOPES", "manifest.yml"]),
        ({"SLACK_REDIRECT_URI": "example.com/back"}, ["SLACK_REDIRECT_URI", "/slack/oauth_redirect"]),
    ],
)
def test_distribution_mistakes_say_what_to_do(env, words):
    with pytest.raises(ConfigError) as error:
        load_settings(env)
    message = str(error.value)
    assert "\n" not in message and "not-a-key" not in message
    for word in words:
        assert word in message


def test_dotenv_is_read_but_the_environment_wins(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-file\nPORT=4000\nKNOWHOW_QA_CHANNEL=C0FROMFILE\n")
    # load_dotenv writes os.environ: give it a throwaway one so nothing leaks into other tests.
    monkeypatch.setattr(os, "environ", {"PORT": "5000"})
    settings = load_settings(dotenv_path=tmp_path / ".env")
    assert settings.bot_token == "xoxb-from-file"
    assert settings.port == 5000
    assert settings.qa_channel == "C0FROMFILE"
