"""Which bot token speaks for which workspace, when no request says so.

Bolt finds each request's token itself (its `authorize`). Sends that no request triggers (the
outbox's workers, what the scheduler queued) ask an `Installs` instead, at send time, with the
workspace the row belongs to:

- `SingleToken`: the one `SLACK_BOT_TOKEN` (today's set-up). It speaks for the workspace it was
  issued in, or for every workspace of its Grid organisation when it is an org-wide install.
- `bot.oauth.OAuthInstalls`: the installation store filled by "Add to Slack" (distribution mode),
  with token rotation.

A workspace whose installation is gone (`storage.workspaces.mark_gone`) has no token: the worker
holds its rows, and nothing of another workspace waits for it.
"""

from __future__ import annotations

import copy
import logging
import threading
from dataclasses import dataclass
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine

from bot.memory import Memory
from storage import workspaces
from storage.db import session_scope

log = logging.getLogger(__name__)

# Errors that say this installation is gone for good, until the workspace installs Knowhow again.
# (`invalid_refresh_token`: a rotating token that expired and whose refresh token Slack refuses.)
GONE_ERRORS = frozenset(
    {"invalid_auth", "token_revoked", "account_inactive", "app_uninstalled", "team_not_found", "invalid_refresh_token"}
)
# How long a worker trusts what it read about a workspace: an uninstall seen by another process
# reaches it within this long (and Slack's own refusal reaches it at once).
CACHE_SECONDS = 5.0


class NotInstalled(Exception):
    """No installation speaks for this workspace (never installed, or gone)."""

    def __init__(self, team_id: str, reason: str = "not installed"):
        super().__init__(f"{team_id}: {reason}")
        self.team_id = team_id
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """What `auth.test` says about a bot token."""

    team_id: str
    enterprise_id: str | None = None
    app_id: str | None = None
    bot_user_id: str | None = None
    enterprise_install: bool = False


class Installs(Protocol):
    def token_for(self, team_id: str) -> str:
        """The bot token to send to `team_id` with; raises `NotInstalled`."""
        ...

    def forget(self, team_id: str) -> None:
        """Drop what is cached about `team_id` (its installation changed or is gone)."""
        ...


class _Cache:
    """A few seconds' memory of tokens by workspace (or that it has none), shared by a process's
    workers."""

    def __init__(self, seconds: float = CACHE_SECONDS):
        self._memory = Memory(seconds)

    def get(self, team_id: str, load) -> str:
        value = self._memory.get(team_id)
        if value is None:
            try:
                value = load(team_id)
            except NotInstalled as exc:
                value = exc
            self._memory.put(team_id, value)
        if isinstance(value, NotInstalled):
            raise value
        return value

    def forget(self, team_id: str) -> None:
        self._memory.forget(team_id)


class SingleToken:
    """One bot token, for the workspace (or the Grid organisation) it was issued in. Who the token
    is comes from `auth.test`, asked once (lazily when not given)."""

    def __init__(
        self, engine: Engine, token: str, identity: Identity | None = None, *, client: WebClient | None = None
    ):
        self.engine = engine
        self.token = token
        self._identity = identity
        self._client = client
        self._cache = _Cache()

    @property
    def identity(self) -> Identity:
        if self._identity is None:
            assert self._client is not None, "SingleToken needs an identity or a client to ask auth.test with"
            client = copy.copy(self._client)
            client.token = self.token
            self._identity = identify(client)
        return self._identity

    def serves(self, team_id: str | None, enterprise_id: str | None = None) -> bool:
        """Does this token speak for that workspace? Its own, or any of its organisation's when it
        is an org-wide Grid install."""
        identity = self.identity
        if team_id and team_id == identity.team_id:
            return True
        if identity.enterprise_install and identity.enterprise_id:
            return enterprise_id == identity.enterprise_id
        return False

    def _load(self, team_id: str) -> str:
        with session_scope(self.engine) as session:
            row = workspaces.get(session, team_id=team_id)
        if row is not None and row.gone_at is not None:
            raise NotInstalled(team_id, row.gone_reason or "gone")
        if not self.serves(team_id, row.enterprise_id if row is not None else None):
            raise NotInstalled(team_id, "another workspace than SLACK_BOT_TOKEN's")
        return self.token

    def token_for(self, team_id: str) -> str:
        return self._cache.get(team_id, self._load)

    def forget(self, team_id: str) -> None:
        self._cache.forget(team_id)


class Clients:
    """The client to send to a workspace with: `base` (its API URL, timeout, retry policy, pacing)
    with that workspace's bot token, one per token."""

    def __init__(self, installs: Installs, base: WebClient):
        self.installs = installs
        self.base = base
        self._lock = threading.Lock()
        self._clients: dict[str, WebClient] = {}

    def for_team(self, team_id: str) -> WebClient:
        token = self.installs.token_for(team_id)
        with self._lock:
            client = self._clients.get(token)
            if client is None:
                client = copy.copy(self.base)
                client.token = token
                self._clients[token] = client
        return client


def identify(client: WebClient) -> Identity:
    """Ask Slack who a bot token is (`auth.test`; the app it belongs to from `bots.info` when
    `auth.test` does not say, as it does not for bot tokens)."""
    data = client.auth_test().data
    assert isinstance(data, dict)
    return Identity(
        team_id=data.get("team_id") or "",
        enterprise_id=data.get("enterprise_id") or None,
        app_id=data.get("app_id") or _app_of_bot(client, data.get("bot_id")),
        bot_user_id=data.get("user_id") or None,
        enterprise_install=bool(data.get("is_enterprise_install")),
    )


def _app_of_bot(client: WebClient, bot_id: str | None) -> str | None:
    """The app a bot user belongs to (`bots.info`, users:read); None when Slack will not say."""
    if not bot_id:
        return None
    try:
        data = client.bots_info(bot=bot_id).data
    except SlackApiError as exc:
        log.warning(
            "bots.info did not say which app SLACK_BOT_TOKEN belongs to (%s): requests are not checked for their app",
            (exc.response.data or {}).get("error", "refused") if isinstance(exc.response.data, dict) else "refused",
        )
        return None
    bot = data.get("bot") if isinstance(data, dict) else None
    return (bot or {}).get("app_id") or None


def record(engine: Engine, identity: Identity) -> None:
    """Single-token mode: the token's workspace is installed (again, after a fixed token)."""
    if not identity.team_id:
        return
    with session_scope(engine) as session:
        workspaces.seen(
            session,
            team_id=identity.team_id,
            enterprise_id=identity.enterprise_id,
            enterprise_install=identity.enterprise_install,
        )
        workspaces.mark_back(session, team_id=identity.team_id)
