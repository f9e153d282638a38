"""Configuration, read once at start-up from the environment and an optional `.env` file.

The real environment wins over `.env` (DESIGN.md's configuration contract). Every problem is
reported as a `ConfigError` whose message is one line naming the variable and saying where to get
a good value; the CLI prints it and exits, so nobody meets a traceback for a missing token.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from dotenv import load_dotenv

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///knowhow.db"
DEFAULT_PORT = 3000

_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class ConfigError(Exception):
    """A configuration problem, worded for the person starting the bot."""


@dataclass(frozen=True)
class Settings:
    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    port: int = DEFAULT_PORT
    qa_channel: str | None = None
    admins: frozenset[str] = field(default_factory=frozenset)
    followup_hours: float = 24.0
    # How many times a day one person may be invited to help with questions.
    invitations_per_day: int = 2
    # Counts shown in channels below this read "fewer than N" (core.privacy).
    privacy_threshold: int = 3

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    def missing_for_run(self) -> list[str]:
        """Names of the variables `knowhow run` still needs, in the order to set them. Without a
        way in, Socket Mode's app token is asked for (the manifest's default); a signing secret
        (HTTP mode) does instead."""
        missing = []
        if not self.bot_token:
            missing.append("SLACK_BOT_TOKEN")
        if not self.socket_mode and not self.signing_secret:
            missing.append("SLACK_APP_TOKEN")
        return missing


WHERE = {
    "SLACK_BOT_TOKEN": "copy the Bot User OAuth Token (xoxb-...) from your app's OAuth & Permissions page",
    "SLACK_SIGNING_SECRET": "copy it from your app's Basic Information page (App Credentials)",
    "SLACK_APP_TOKEN": (
        "create an app-level token with the connections:write scope on your app's Basic Information page"
    ),
}


def _get(env: dict[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def load_settings(env: dict[str, str] | None = None, dotenv_path: str | Path | None = None) -> Settings:
    """Build `Settings` from `env` (default: the process environment, after reading `.env`)."""
    if env is None:
        load_dotenv(dotenv_path=dotenv_path or Path.cwd() / ".env", override=False)
        env = dict(os.environ)

    bot_token = _get(env, "SLACK_BOT_TOKEN")
    if bot_token and not bot_token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-: " + WHERE["SLACK_BOT_TOKEN"])
    app_token = _get(env, "SLACK_APP_TOKEN")
    if app_token and not app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp-: " + WHERE["SLACK_APP_TOKEN"])

    api_url = _get(env, "SLACK_API_URL") or DEFAULT_API_URL
    parsed = urlparse(api_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"SLACK_API_URL must be an http(s) URL such as {DEFAULT_API_URL} (got {api_url!r})")
    if not api_url.endswith("/"):
        api_url += "/"

    database_url = _get(env, "DATABASE_URL") or DEFAULT_DATABASE_URL
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", database_url):
        raise ConfigError(
            "DATABASE_URL must be a SQLite or PostgreSQL SQLAlchemy URL, e.g. sqlite:///knowhow.db "
            "or postgresql+psycopg://user:password@host:5432/knowhow"
        )
    if database_url.startswith("postgresql://"):
        # Plain postgresql:// means psycopg2 to SQLAlchemy; we ship psycopg 3.
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

    port_text = _get(env, "PORT")
    if port_text is None:
        port = DEFAULT_PORT
    else:
        try:
            port = int(port_text)
        except ValueError:
            port = -1
        if not 0 <= port <= 65535:
            raise ConfigError(f"PORT must be a TCP port number between 0 and 65535 (got {port_text!r})")

    qa_channel = _get(env, "KNOWHOW_QA_CHANNEL")
    if qa_channel and not _CHANNEL_ID.match(qa_channel):
        raise ConfigError(
            "KNOWHOW_QA_CHANNEL must be a channel id such as C0123456789, not a name: "
            "open the channel's details in Slack and copy the Channel ID at the bottom"
        )

    admins = frozenset(a.strip() for a in (_get(env, "KNOWHOW_ADMINS") or "").split(",") if a.strip())
    bad = sorted(a for a in admins if not _USER_ID.match(a))
    if bad:
        raise ConfigError(
            f"KNOWHOW_ADMINS must be comma-separated member ids such as U0123456789 (not {bad[0]!r}): "
            "in Slack, open a profile, choose More and Copy member ID"
        )

    followup_text = _get(env, "KNOWHOW_FOLLOWUP_HOURS")
    followup_hours = 24.0
    if followup_text is not None:
        try:
            followup_hours = float(followup_text)
        except ValueError:
            followup_hours = -1
        if not 0 < followup_hours <= 24 * 90:
            raise ConfigError(
                f"KNOWHOW_FOLLOWUP_HOURS must be a number of hours between 0 and 2160 (got {followup_text!r})"
            )

    invitations_text = _get(env, "KNOWHOW_INVITATIONS_PER_DAY")
    invitations_per_day = 2
    if invitations_text is not None:
        if not invitations_text.isdigit() or not 0 <= int(invitations_text) <= 50:
            raise ConfigError(
                "KNOWHOW_INVITATIONS_PER_DAY must be a whole number from 0 (never invite helpers) to 50 "
                f"(got {invitations_text!r})"
            )
        invitations_per_day = int(invitations_text)

    threshold_text = _get(env, "KNOWHOW_PRIVACY_THRESHOLD")
    privacy_threshold = 3
    if threshold_text is not None:
        if not threshold_text.isdigit() or not 1 <= int(threshold_text) <= 100:
            raise ConfigError(
                "KNOWHOW_PRIVACY_THRESHOLD must be a whole number from 1 (show every count) to 100: counts "
                f"below it are shown as 'fewer than N' in channels (got {threshold_text!r})"
            )
        privacy_threshold = int(threshold_text)

    return Settings(
        bot_token=bot_token,
        privacy_threshold=privacy_threshold,
        invitations_per_day=invitations_per_day,
        followup_hours=followup_hours,
        signing_secret=_get(env, "SLACK_SIGNING_SECRET"),
        app_token=app_token,
        api_url=api_url,
        database_url=database_url,
        port=port,
        qa_channel=qa_channel,
        admins=admins,
    )
