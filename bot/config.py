"""Configuration, read once at start-up from the environment and an optional `.env` file.

One declaration per variable: the `Settings` field says its name in the environment, its type, its
default and its bounds (pydantic validates them), and `MISTAKES` says in one line what to do when a
value is wrong; the CLI prints that line and exits, so nobody meets a traceback for a missing token.
The real environment wins over `.env` (DESIGN.md's configuration contract).

pydantic-settings was considered: its `BaseSettings` reads the process environment even when it is
given values, and the playground and the tests hand `load_settings` an environment of their own,
which must be all there is. So the environment is read here (python-dotenv for `.env`) and pydantic
validates the result.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///knowhow.db"
DEFAULT_PORT = 3000
# The bot scopes "Add to Slack" asks for: manifest.yml's (tests/test_manifest.py keeps them equal).
DEFAULT_SCOPES = (
    "commands",
    "chat:write",
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
    "channels:join",
    "users:read",
    "users.profile:read",
    "channels:read",
    "groups:read",
    "reactions:write",
    "reactions:read",
    "mpim:write",
    "im:write",
    "files:write",
)
# How to make a KNOWHOW_TOKEN_KEY (a Fernet key: 32 random bytes, URL-safe base64).
NEW_TOKEN_KEY = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'

_UserId = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,}$")]


class ConfigError(Exception):
    """A configuration problem, worded for the person starting the bot."""


WHERE = {
    "SLACK_BOT_TOKEN": "copy the Bot User OAuth Token (xoxb-...) from your app's OAuth & Permissions page",
    "SLACK_SIGNING_SECRET": "copy it from your app's Basic Information page (App Credentials)",
    "SLACK_APP_TOKEN": (
        "create an app-level token with the connections:write scope on your app's Basic Information page"
    ),
    "SLACK_CLIENT_ID": "copy the Client ID from your app's Basic Information page (App Credentials)",
    "SLACK_CLIENT_SECRET": "copy the Client Secret from your app's Basic Information page (App Credentials)",
    "KNOWHOW_TOKEN_KEY": f"make one with: {NEW_TOKEN_KEY}",
}

# What to tell the person when a variable's value is refused; {value} is what they gave.
MISTAKES = {
    "SLACK_BOT_TOKEN": "SLACK_BOT_TOKEN must be a bot token starting with xoxb-: " + WHERE["SLACK_BOT_TOKEN"],
    "SLACK_APP_TOKEN": "SLACK_APP_TOKEN must be an app-level token starting with xapp-: " + WHERE["SLACK_APP_TOKEN"],
    "SLACK_API_URL": f"SLACK_API_URL must be an http(s) URL such as {DEFAULT_API_URL} (got {{value!r}})",
    "DATABASE_URL": (
        "DATABASE_URL must be a SQLite or PostgreSQL SQLAlchemy URL, e.g. sqlite:///knowhow.db "
        "or postgresql+psycopg://user:password@host:5432/knowhow"
    ),
    "PORT": "PORT must be a TCP port number between 0 and 65535 (got {value!r})",
    "KNOWHOW_QA_CHANNEL": (
        "KNOWHOW_QA_CHANNEL must be a channel id such as C0123456789, not a name: "
        "open the channel's details in Slack and copy the Channel ID at the bottom"
    ),
    "KNOWHOW_ADMINS": (
        "KNOWHOW_ADMINS must be comma-separated member ids such as U0123456789 (not {value!r}): "
        "in Slack, open a profile, choose More and Copy member ID"
    ),
    "KNOWHOW_FOLLOWUP_HOURS": "KNOWHOW_FOLLOWUP_HOURS must be a number of hours between 0 and 2160 (got {value!r})",
    "KNOWHOW_INVITATIONS_PER_DAY": (
        "KNOWHOW_INVITATIONS_PER_DAY must be a whole number from 0 (never invite helpers) to 50 (got {value!r})"
    ),
    "KNOWHOW_POST_RATE": (
        "KNOWHOW_POST_RATE must be a number of posts a second per channel above 0 and at most 100; "
        "Slack allows about 1 (got {value!r})"
    ),
    "KNOWHOW_POST_BURST": (
        "KNOWHOW_POST_BURST must be a whole number of posts from 1 to 100 that may go at once in a channel "
        "before the rate applies (got {value!r})"
    ),
    "KNOWHOW_WORKERS": (
        "KNOWHOW_WORKERS must be process (the outbox's workers in a process of their own, the default) "
        "or threads (in the serving process) (got {value!r})"
    ),
    "KNOWHOW_GONE_RETENTION_DAYS": (
        "KNOWHOW_GONE_RETENTION_DAYS must be a number of days above 0 and at most 3650: how long "
        "messages queued for a workspace that uninstalled Knowhow are kept (got {value!r})"
    ),
    "SLACK_CLIENT_ID": "SLACK_CLIENT_ID must be your app's Client ID, such as 1234567890.1234567890123: "
    + WHERE["SLACK_CLIENT_ID"],
    "SLACK_SCOPES": (
        "SLACK_SCOPES must be comma-separated bot scopes such as chat:write,commands (got {value!r}); "
        "leave it unset for the scopes in manifest.yml"
    ),
    "SLACK_REDIRECT_URI": (
        "SLACK_REDIRECT_URI must be the https URL of Knowhow's /slack/oauth_redirect, as registered on your app's "
        "OAuth & Permissions page (got {value!r})"
    ),
    "KNOWHOW_TOKEN_KEY": (
        "KNOWHOW_TOKEN_KEY must be comma-separated Fernet keys (44 characters of URL-safe base64 each), "
        "the newest first: " + WHERE["KNOWHOW_TOKEN_KEY"]
    ),
    "KNOWHOW_METRICS": "KNOWHOW_METRICS must be on or off: on serves GET /metrics on PORT (got {value!r})",
    "KNOWHOW_LOG_FORMAT": (
        "KNOWHOW_LOG_FORMAT must be text (a line a person reads, the default) or json (one JSON object a line, "
        "for a log collector) (got {value!r})"
    ),
    "KNOWHOW_PRIVACY_THRESHOLD": (
        "KNOWHOW_PRIVACY_THRESHOLD must be a whole number from 1 (show every count) to 100: counts of "
        "people seeking, offering or receiving mentoring below it read 'fewer than N' (got {value!r})"
    ),
}


class Settings(BaseModel):
    """Every setting, by the name code uses; each field's alias is its environment variable."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore", strict=False)

    bot_token: str | None = Field(None, alias="SLACK_BOT_TOKEN", pattern=r"^xoxb-")
    # Distribution mode ("Add to Slack", one installation per workspace or Grid organisation)
    # when both are set (bot/oauth.py); SLACK_BOT_TOKEN then stays unset.
    client_id: str | None = Field(None, alias="SLACK_CLIENT_ID", pattern=r"^[0-9A-Za-z.]+$")
    client_secret: str | None = Field(None, alias="SLACK_CLIENT_SECRET", repr=False)
    # The bot scopes "Add to Slack" asks for, and where Slack sends the installer back (only
    # needed when the app has more than one redirect URL).
    scopes: tuple[str, ...] = Field(DEFAULT_SCOPES, alias="SLACK_SCOPES", min_length=1)
    redirect_uri: str | None = Field(None, alias="SLACK_REDIRECT_URI", pattern=r"^https?://[^/\s]+/\S*$")
    # Fernet keys that encrypt the installations' tokens at rest: the first encrypts, every one
    # decrypts (MultiFernet), so a new key goes first and an old one is dropped after
    # `knowhow rotate-token-key` (README, Distribution).
    token_key: tuple[str, ...] = Field((), alias="KNOWHOW_TOKEN_KEY", repr=False)
    signing_secret: str | None = Field(None, alias="SLACK_SIGNING_SECRET")
    app_token: str | None = Field(None, alias="SLACK_APP_TOKEN", pattern=r"^xapp-")
    api_url: str = Field(DEFAULT_API_URL, alias="SLACK_API_URL", pattern=r"^https?://[^/\s]+")
    database_url: str = Field(DEFAULT_DATABASE_URL, alias="DATABASE_URL", pattern=r"^(sqlite|postgresql)(\+\w+)?://")
    port: int = Field(DEFAULT_PORT, alias="PORT", ge=0, le=65535)
    qa_channel: str | None = Field(None, alias="KNOWHOW_QA_CHANNEL", pattern=r"^[CG][A-Z0-9]{2,}$")
    admins: frozenset[_UserId] = Field(frozenset(), alias="KNOWHOW_ADMINS")
    followup_hours: float = Field(24.0, alias="KNOWHOW_FOLLOWUP_HOURS", gt=0, le=24 * 90)
    # How many times a day one person may be invited to help with questions.
    invitations_per_day: int = Field(2, alias="KNOWHOW_INVITATIONS_PER_DAY", ge=0, le=50)
    # How fast the outbox posts in one channel: Slack allows about one chat.postMessage a second per
    # channel, with short bursts (bot/pacing.py). Per process: replicas each post at this rate.
    post_rate: float = Field(1.0, alias="KNOWHOW_POST_RATE", gt=0, le=100)
    post_burst: int = Field(3, alias="KNOWHOW_POST_BURST", ge=1, le=100)
    # Where the outbox's workers run (bot/workers.py): a child process at a lower CPU priority, so
    # acks never wait for them, or threads of the serving process.
    workers: Literal["process", "threads"] = Field("process", alias="KNOWHOW_WORKERS")
    # Counts of people looking for, offering or receiving mentoring under this (but not zero) read
    # "fewer than N"; activity counts are shown as they are (core.privacy).
    privacy_threshold: int = Field(3, alias="KNOWHOW_PRIVACY_THRESHOLD", ge=1, le=100)
    # How long what a workspace queued is kept after its installation is gone (uninstalled, token
    # revoked), in case it installs Knowhow again (storage/workspaces.py).
    gone_retention_days: float = Field(30.0, alias="KNOWHOW_GONE_RETENTION_DAYS", gt=0, le=3650)
    # GET /metrics on the HTTP front's port, in the Prometheus text format (bot/metrics.py). Off by
    # default: whoever reaches the port could read it.
    metrics: bool = Field(False, alias="KNOWHOW_METRICS")
    # How log lines are written (bot/logs.py): text for a person, json for a log collector.
    log_format: Literal["text", "json"] = Field("text", alias="KNOWHOW_LOG_FORMAT")

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, values: Any) -> Any:
        """Surrounding spaces are dropped, and a variable set to nothing counts as not set."""
        if not isinstance(values, dict):
            return values
        stripped = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
        return {k: v for k, v in stripped.items() if v != ""}

    @field_validator("admins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return frozenset(a.strip() for a in value.split(",") if a.strip())
        return value

    @field_validator("scopes", "token_key", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(a.strip() for a in value.split(",") if a.strip())
        return value

    @field_validator("scopes")
    @classmethod
    def _scope_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not all(re.fullmatch(r"[a-z][a-z0-9._:-]*", scope) for scope in value):
            raise ValueError("not a scope")
        return value

    @field_validator("token_key")
    @classmethod
    def _fernet_keys(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from cryptography.fernet import Fernet

        for key in value:
            Fernet(key)  # ValueError when it is not 32 bytes of URL-safe base64
        return value

    @model_validator(mode="after")
    def _one_way_to_tokens(self) -> Settings:
        """Distribution mode (client id and secret) keeps tokens in the database, encrypted; the one
        SLACK_BOT_TOKEN is the other set-up, not a fallback."""
        if bool(self.client_id) != bool(self.client_secret):
            missing = "SLACK_CLIENT_SECRET" if self.client_id else "SLACK_CLIENT_ID"
            raise ValueError(
                f"{missing} is not set: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together (distribution "
                f"mode, installs by 'Add to Slack'); {WHERE[missing]}"
            )
        if self.distribution and self.bot_token:
            raise ValueError(
                "SLACK_BOT_TOKEN and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are both set: choose one set-up. "
                "With a client id and secret (distribution mode) every workspace's token comes from its "
                "'Add to Slack' install, kept in the database; unset SLACK_BOT_TOKEN. For one workspace "
                "with its bot token, unset SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"
            )
        if self.distribution and not self.token_key:
            raise ValueError(
                "KNOWHOW_TOKEN_KEY is not set: in distribution mode the installations' tokens are kept in the "
                f"database, encrypted with it. Make one with `{NEW_TOKEN_KEY}`, set it, and keep it as safe as "
                "the database's password"
            )
        return self

    @field_validator("invitations_per_day", "privacy_threshold", "post_burst", mode="before")
    @classmethod
    def _whole_number(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.isdigit():
            raise ValueError("not a whole number")
        return value

    @field_validator("api_url")
    @classmethod
    def _ends_with_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _psycopg(cls, value: str) -> str:
        # Plain postgresql:// means psycopg2 to SQLAlchemy; we ship psycopg 3.
        return re.sub(r"^postgresql://", "postgresql+psycopg://", value)

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @property
    def distribution(self) -> bool:
        """Installs come by OAuth ("Add to Slack"), tokens from the installation store."""
        return bool(self.client_id and self.client_secret)

    def missing_for_run(self) -> list[str]:
        """Names of the variables `knowhow run` still needs, in the order to set them. Without a
        way in, Socket Mode's app token is asked for (the manifest's default); a signing secret
        (HTTP mode) does instead."""
        missing = []
        if not self.bot_token and not self.distribution:
            missing.append("SLACK_BOT_TOKEN")
        if not self.socket_mode and not self.signing_secret:
            missing.append("SLACK_APP_TOKEN")
        return missing


def environment(dotenv_path: str | Path | None = None) -> dict[str, str]:
    """The variables Knowhow reads: the process environment over the `.env` file."""
    dotenv = dotenv_values(dotenv_path or Path.cwd() / ".env")
    return {**{k: v for k, v in dotenv.items() if v is not None}, **os.environ}


def load_settings(env: dict[str, str] | None = None, dotenv_path: str | Path | None = None) -> Settings:
    """Build `Settings` from `env` (default: the process environment over the `.env` file)."""
    if env is None:
        env = environment(dotenv_path)
    try:
        return Settings.model_validate(env)
    except ValidationError as exc:
        error = exc.errors()[0]
        if not error["loc"]:  # a rule between variables (Settings._one_way_to_tokens): its own words
            raise ConfigError(str(error.get("ctx", {}).get("error") or error["msg"])) from None
        name = str(error["loc"][0])
        raise ConfigError(MISTAKES.get(name, f"{name} is not valid").format(value=error["input"])) from None
