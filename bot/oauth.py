"""Distribution mode: each workspace's (or Grid organisation's) bot token, from its "Add to Slack" install.

`OAuthInstalls` is the `bot.installs.Installs` of distribution mode (SLACK_CLIENT_ID and
SLACK_CLIENT_SECRET set): the outbox's workers and the scheduler's sends ask it for a workspace's
token (`token_for`), and Bolt's `authorize` asks it for each request's (`InstallsAuthorize`). Both
go through the same lookup, so both see the same token and the same refresh.

Finding the installation: a workspace installed by itself has an installation of its own
(enterprise_id, team_id); an org-wide Grid install (enterprise_id, no team) serves every workspace
of its organisation. `token_for(team_id)` learns a workspace's organisation from its `workspace`
row (storage/workspaces.py) and tries the workspace's own installation first, then its
organisation's.

Token rotation: when the app has it on, each token expires (12 hours) and comes with a refresh
token that Slack accepts once. A token expiring within `REFRESH_MINUTES` is refreshed before it
is handed out, by whoever asks first: a request, the outbox's workers or the scheduler, in any
process. A refresh is serialised: under a database lock (PostgreSQL: an advisory lock per
installation; SQLite: the database's write lock, `BEGIN IMMEDIATE`, and this process's writers'
turn, `storage.db.write_turn`) the installation is read again and refreshed only if it is still
expiring, then written in the same transaction. So a refresh token is never spent twice, and
whoever waited gets the new token. Bolt's own request-time rotation (which takes no lock) is not
used: its `authorize` is replaced by `InstallsAuthorize`.

On SQLite the write lock is held during Slack's `oauth.v2.access` answer (tens of milliseconds,
twice a day per installation); a writer of another process that waits longer than the busy
timeout fails and retries as on any busy database. When the lock or Slack cannot be had, a token
that has not yet expired is handed out as it is, and the next use tries again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from contextlib import nullcontext
from datetime import UTC, datetime

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_sdk import WebClient
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import and_, desc, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from bot.config import Settings
from bot.installs import CACHE_SECONDS, Identity, Installs, NotInstalled, SingleToken
from bot.tokenstore import BOT_TOKENS, INSTALLATION_TOKENS, SealedInstallationStore, cipher
from storage import workspaces
from storage.db import session_scope, write_turn

log = logging.getLogger(__name__)

# A token that expires within this many minutes is refreshed before it is handed out (longer than
# the slowest send that uses it; Slack's tokens live 12 hours).
REFRESH_MINUTES = 5
# oauth.v2.access when refreshing: short, and never re-sent by the client after a dropped
# connection (Slack may have spent the refresh token already).
REFRESH_TIMEOUT_SECONDS = 10

# (enterprise_id, team_id): an installation's key in the store; team_id is None for an org-wide one.
Key = tuple[str | None, str | None]


def lock_key(client_id: str, key: Key) -> int:
    """The PostgreSQL advisory lock of one installation's refresh: a signed 64-bit number that is
    the same in every process (Python's hash() is not)."""
    digest = hashlib.blake2b(f"knowhow-refresh:{client_id}:{key[0] or ''}:{key[1] or ''}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _naive_utc(timestamp: int | None) -> datetime | None:
    # slack-sdk keeps expiry times as naive UTC datetimes.
    return None if timestamp is None else datetime.fromtimestamp(timestamp, tz=UTC).replace(tzinfo=None)


class OAuthInstalls:
    """The installation store of "Add to Slack", as `Installs`: tokens by workspace, refreshed."""

    def __init__(self, engine: Engine, settings: Settings, *, refresh_minutes: int = REFRESH_MINUTES):
        if not settings.distribution:
            raise ValueError("OAuthInstalls needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (distribution mode)")
        self.engine = engine
        self.settings = settings
        self.client_id: str = settings.client_id  # type: ignore[assignment]
        self.store = SealedInstallationStore(client_id=self.client_id, engine=engine, cipher=cipher(settings.token_key))
        self.rotator = TokenRotator(
            client_id=self.client_id,
            client_secret=settings.client_secret,  # type: ignore[arg-type]
            client=WebClient(base_url=settings.api_url, timeout=REFRESH_TIMEOUT_SECONDS, retry_handlers=[]),
        )
        self.refresh_minutes = refresh_minutes
        # A few seconds' memory of what was found (never of what was not: an install just made
        # must be seen at once). An entry lasts until the token is near its refresh.
        self._lock = threading.Lock()
        self._installations: dict[Key, tuple[float, Installation]] = {}
        self._tokens: dict[str, tuple[float, str]] = {}

    # -- the Installs protocol ------------------------------------------------------------------
    def token_for(self, team_id: str) -> str:
        now = time.time()
        with self._lock:
            hit = self._tokens.get(team_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        with session_scope(self.engine) as session:
            row = workspaces.get(session, team_id=team_id)
            gone = row is not None and row.gone_at is not None
            reason = row.gone_reason if row is not None else None
            enterprise_id = row.enterprise_id if row is not None else None
        if gone:
            raise NotInstalled(team_id, reason or "gone")
        installation = self.installation(enterprise_id=enterprise_id, team_id=team_id)
        if installation is None or not installation.bot_token:
            raise NotInstalled(team_id)
        with self._lock:
            self._tokens[team_id] = (self._keep_until(installation, now), installation.bot_token)
        return installation.bot_token

    def forget(self, team_id: str) -> None:
        with self._lock:
            self._tokens.pop(team_id, None)
            for key in [k for k in self._installations if k[1] == team_id]:
                del self._installations[key]

    def forget_all(self) -> None:
        with self._lock:
            self._tokens.clear()
            self._installations.clear()

    def delete(self, enterprise_id: str | None, team_id: str | None) -> None:
        """Delete one installation and its bots from the store (Slack asks it of an app that was
        uninstalled or whose tokens were revoked). `team_id` None: the organisation's org-wide
        installation."""
        self.store.delete_installation(enterprise_id=enterprise_id, team_id=team_id)
        self.store.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self.forget_all()

    def keys(self) -> list[Key]:
        """Every installation of this app in the store (`knowhow doctor` checks each one's token)."""
        table = self.store.installations
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(table.c.enterprise_id, table.c.team_id)
                .where(table.c.client_id == self.client_id)
                .distinct()
                .order_by(table.c.enterprise_id, table.c.team_id)
            ).all()
        return [(row[0] or None, row[1] or None) for row in rows]

    # -- finding an installation ----------------------------------------------------------------
    def installation(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool = False
    ) -> Installation | None:
        """The installation that speaks for a workspace (its own, else its organisation's
        org-wide one), its bot token refreshed if it was expiring; None when there is none."""
        for key in self._candidates(enterprise_id, team_id, is_enterprise_install):
            installation = self._find(key)
            if installation is not None and installation.bot_token:
                return installation
        return None

    @staticmethod
    def _candidates(enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool) -> list[Key]:
        if is_enterprise_install and enterprise_id:
            return [(enterprise_id, None)]
        keys: list[Key] = []
        if team_id:
            keys.append((enterprise_id, team_id))
        if enterprise_id:
            keys.append((enterprise_id, None))
        return keys

    def _find(self, key: Key) -> Installation | None:
        now = time.time()
        with self._lock:
            hit = self._installations.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        installation = self.store.find_installation(
            enterprise_id=key[0], team_id=key[1], is_enterprise_install=key[1] is None
        )
        if installation is None:
            return None
        if self._expiring(installation):
            installation = self._refresh(key, installation)
            if installation is None:
                return None
        with self._lock:
            self._installations[key] = (self._keep_until(installation, now), installation)
        return installation

    def _keep_until(self, installation: Installation, now: float) -> float:
        until = now + CACHE_SECONDS
        for expires_at in (installation.bot_token_expires_at, installation.user_token_expires_at):
            if expires_at is not None:
                until = min(until, expires_at - self.refresh_minutes * 60)
        return until

    def _expiring(self, installation: Installation) -> bool:
        soon = time.time() + self.refresh_minutes * 60
        return any(
            refresh_token is not None and expires_at is not None and expires_at <= soon
            for refresh_token, expires_at in (
                (installation.bot_refresh_token, installation.bot_token_expires_at),
                (installation.user_refresh_token, installation.user_token_expires_at),
            )
        )

    # -- token rotation -------------------------------------------------------------------------
    def _refresh(self, key: Key, current: Installation) -> Installation | None:
        """Refresh an expiring installation once, whoever else asks at the same time."""
        try:
            with self._turn(), self.engine.connect() as conn:
                self._take_lock(conn, key)
                row = self._latest(conn, key)
                if row is None:  # deleted meanwhile (uninstalled)
                    conn.rollback()
                    return None
                installation = self.store.build_installation_entity(row)
                if self._expiring(installation):  # nobody refreshed it while this one waited
                    refreshed = self.rotator.perform_token_rotation(
                        installation=installation, minutes_before_expiration=self.refresh_minutes
                    )
                    if refreshed is not None:
                        self._write(conn, row, refreshed)
                        installation = refreshed
                        log.info("refreshed the bot token of installation %s", key)
                conn.commit()
                return installation
        except SlackTokenRotationError as exc:
            if self._still_valid(current):
                log.warning("token refresh of %s failed (%s): its token is used until it expires", key, exc.api_error)
                return current
            raise exc.api_error from exc
        except OperationalError:
            if self._still_valid(current):
                log.warning("token refresh of %s must wait (the database is busy): its token is still valid", key)
                return current
            raise

    @staticmethod
    def _still_valid(installation: Installation) -> bool:
        expires_at = installation.bot_token_expires_at
        return expires_at is None or expires_at > time.time() + 10

    def _turn(self):
        # SQLite: this process's writers take turns (a thread waits here, not in SQLite's busy
        # handler, whose timeout is short). PostgreSQL locks per installation, below.
        return write_turn(self.engine) if self.engine.dialect.name == "sqlite" else nullcontext()

    def _take_lock(self, conn: Connection, key: Key) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(self.client_id, key)})
        else:  # SQLite: the write lock now, so that the read below is the latest
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    def _latest(self, conn: Connection, key: Key):
        table = self.store.installations
        c = table.c
        return (
            conn.execute(
                select(table)
                .where(and_(c.client_id == self.client_id, c.enterprise_id == key[0], c.team_id == key[1]))
                .order_by(desc(c.installed_at))
                .limit(1)
            )
            .mappings()
            .first()
        )

    def _write(self, conn: Connection, row, refreshed: Installation) -> None:
        seal = self.store.seal
        values = {name: seal(getattr(refreshed, name)) for name in INSTALLATION_TOKENS}
        values["bot_token_expires_at"] = _naive_utc(refreshed.bot_token_expires_at)
        values["user_token_expires_at"] = _naive_utc(refreshed.user_token_expires_at)
        installations = self.store.installations
        conn.execute(update(installations).where(installations.c.id == row["id"]).values(values))
        bots = self.store.bots
        bot_values = {name: values[name] for name in BOT_TOKENS} | {
            "bot_token_expires_at": values["bot_token_expires_at"]
        }
        conn.execute(
            update(bots)
            .where(
                and_(
                    bots.c.client_id == self.client_id,
                    bots.c.enterprise_id == row["enterprise_id"],
                    bots.c.team_id == row["team_id"],
                    bots.c.installed_at == row["installed_at"],
                )
            )
            .values(bot_values)
        )


class InstallsAuthorize(Authorize):
    """Bolt's `authorize` for distribution mode: each request's bot token from `OAuthInstalls`,
    refreshed under its lock when expiring. Who the bot is comes from the stored installation
    (what oauth.v2.access and auth.test said at install time), so a request costs no auth.test."""

    def __init__(self, installs: OAuthInstalls):
        super().__init__()
        self.installs = installs

    def __call__(
        self,
        *,
        context,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        installation = self.installs.installation(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=bool(context.is_enterprise_install)
        )
        if installation is None:
            log.warning("no installation for enterprise %s, workspace %s: request refused", enterprise_id, team_id)
            return None
        return AuthorizeResult(
            enterprise_id=installation.enterprise_id or enterprise_id,
            team_id=team_id or installation.team_id,
            team=installation.team_name,
            url=installation.enterprise_url,
            bot_user_id=installation.bot_user_id,
            bot_id=installation.bot_id,
            bot_token=installation.bot_token,
            bot_scopes=installation.bot_scopes,
        )


def installs_for(
    engine: Engine, settings: Settings, client: WebClient | None = None, identity: Identity | None = None
) -> Installs | None:
    """This process's source of bot tokens for sends no request triggers: the installation store
    in distribution mode, SLACK_BOT_TOKEN (who it is from `identity`, or auth.test with `client`)
    otherwise; None without either."""
    if settings.distribution:
        return OAuthInstalls(engine, settings)
    if settings.bot_token:
        return SingleToken(engine, settings.bot_token, identity, client=client)
    return None
