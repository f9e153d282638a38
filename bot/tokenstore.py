"""Where "Add to Slack" keeps its installations: slack-sdk's SQLAlchemy stores, in Knowhow's database.

- `SealedInstallationStore`: slack-sdk's `SQLAlchemyInstallationStore`, whose four tokens (bot,
  bot refresh, user, user refresh) are encrypted at rest with Fernet (`cryptography`): sealed on
  the way in (`save`, `save_bot`), opened on the way out (every row becomes an `Installation` or a
  `Bot` through `build_installation_entity`/`build_bot_entity`). Its token columns are `Text`:
  a sealed rotating token is longer than slack-sdk's `String(200)`.
- `StateStore`: slack-sdk's `SQLAlchemyOAuthStateStore` (the OAuth `state` of each install begun),
  dropping expired states as it issues new ones, so an install page opened and left does not
  leave a row for ever.
- `METADATA`: the three tables as these stores describe them. Migration 0010 creates them; the
  migration test compares the database with this metadata as with the models'.
- `reseal`: `knowhow rotate-token-key`, every stored token encrypted again with the first key.

Keys: `KNOWHOW_TOKEN_KEY` is a comma-separated list of Fernet keys, newest first. `MultiFernet`
encrypts with the first and decrypts with any, so a key is replaced by putting the new one first
(every process restarted), running `knowhow rotate-token-key`, then removing the old one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, Table, Text, and_, delete, select, update
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

INSTALLATIONS = SQLAlchemyInstallationStore.default_installations_table_name  # "slack_installations"
BOTS = SQLAlchemyInstallationStore.default_bots_table_name  # "slack_bots"
STATES = SQLAlchemyOAuthStateStore.default_table_name  # "slack_oauth_states"

# The columns that hold a secret, by table.
INSTALLATION_TOKENS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
BOT_TOKENS = ("bot_token", "bot_refresh_token")


def cipher(keys: Sequence[str]) -> MultiFernet:
    """The first key encrypts, every key decrypts."""
    if not keys:
        raise ValueError("no token key")
    return MultiFernet([Fernet(key) for key in keys])


def _text_tokens(table: Table, columns: Sequence[str]) -> Table:
    # A sealed token is Fernet's base64 of the token plus 57 bytes or more: a rotating token
    # (xoxe.xoxb-…) sealed no longer fits slack-sdk's String(200), which PostgreSQL enforces.
    for name in columns:
        table.c[name].type = Text()
    return table


class SealedInstallationStore(SQLAlchemyInstallationStore):
    """slack-sdk's installation store with its tokens encrypted at rest."""

    def __init__(self, client_id: str, engine: Engine, cipher: MultiFernet):
        super().__init__(client_id=client_id, engine=engine, logger=log)
        self.cipher = cipher

    @classmethod
    def build_installations_table(cls, metadata: MetaData, table_name: str) -> Table:
        return _text_tokens(super().build_installations_table(metadata, table_name), INSTALLATION_TOKENS)

    @classmethod
    def build_bots_table(cls, metadata: MetaData, table_name: str) -> Table:
        return _text_tokens(super().build_bots_table(metadata, table_name), BOT_TOKENS)

    # -- sealing --------------------------------------------------------------------------------
    def seal(self, value: str | None) -> str | None:
        """`value` encrypted with the first key; a value already sealed with one of the keys is
        left as it is (slack-sdk's `save` hands its bot, already sealed, to `save_bot`)."""
        if value is None or self._sealed(value):
            return value
        return self.cipher.encrypt(value.encode()).decode()

    def open(self, value: str | None) -> str | None:
        """The token a sealed value holds. Raises `InvalidToken` when no key opens it (a key
        removed before `knowhow rotate-token-key` ran)."""
        if value is None:
            return None
        return self.cipher.decrypt(value.encode()).decode()

    def _sealed(self, value: str) -> bool:
        try:
            self.cipher.decrypt(value.encode())
        except InvalidToken:
            return False
        return True

    def sealed_installation(self, installation: Installation) -> Installation:
        sealed = Installation(**installation.to_dict_for_copying())
        for name in INSTALLATION_TOKENS:
            setattr(sealed, name, self.seal(getattr(installation, name)))
        return sealed

    def sealed_bot(self, bot: Bot) -> Bot:
        sealed = Bot(**bot.to_dict_for_copying())
        for name in BOT_TOKENS:
            setattr(sealed, name, self.seal(getattr(bot, name)))
        return sealed

    # -- slack-sdk's store, sealed --------------------------------------------------------------
    def save(self, installation: Installation) -> None:
        super().save(self.sealed_installation(installation))

    def save_bot(self, bot: Bot) -> None:
        super().save_bot(self.sealed_bot(bot))

    # slack-sdk builds every entity it returns through these two (classmethods there; the keys
    # are this store's, so methods here).
    def build_installation_entity(self, row) -> Installation:  # type: ignore[override]
        installation = super().build_installation_entity(row)
        for name in INSTALLATION_TOKENS:
            setattr(installation, name, self.open(getattr(installation, name)))
        return installation

    def build_bot_entity(self, row) -> Bot:  # type: ignore[override]
        bot = super().build_bot_entity(row)
        for name in BOT_TOKENS:
            setattr(bot, name, self.open(getattr(bot, name)))
        return bot


class StateStore(SQLAlchemyOAuthStateStore):
    """slack-sdk's OAuth state store; issuing a state drops the expired ones."""

    def __init__(self, engine: Engine, expiration_seconds: int):
        super().__init__(expiration_seconds=expiration_seconds, engine=engine, logger=log)

    def issue(self, *args, **kwargs) -> str:
        # Naive UTC, as slack-sdk stores expire_at.
        now = datetime.fromtimestamp(time.time(), tz=UTC).replace(tzinfo=None)
        with self.engine.begin() as conn:
            conn.execute(delete(self.oauth_states).where(self.oauth_states.c.expire_at < now))
        return super().issue(*args, **kwargs)


# The tables, as the stores above describe them (migration 0010; tests/storage compares).
METADATA = MetaData()
SealedInstallationStore.build_installations_table(METADATA, INSTALLATIONS)
SealedInstallationStore.build_bots_table(METADATA, BOTS)
StateStore.build_oauth_states_table(METADATA, STATES)


# -- knowhow rotate-token-key ---------------------------------------------------------------------
@dataclass
class Resealed:
    tokens: int = 0  # encrypted again with the first key
    unreadable: int = 0  # opened by no key: they stay as they are


def reseal(engine: Engine, keys: MultiFernet) -> Resealed:
    """Encrypt every stored token again with the first key (MultiFernet.rotate), so the other keys
    can be removed. Each value is replaced only if it is still the one read (compare and set): a
    token refreshed meanwhile by a running Knowhow is left as that process wrote it."""
    result = Resealed()
    for table, columns in ((METADATA.tables[INSTALLATIONS], INSTALLATION_TOKENS), (METADATA.tables[BOTS], BOT_TOKENS)):
        with engine.connect() as conn:
            rows = conn.execute(select(table.c.id, *(table.c[name] for name in columns))).all()
        for row in rows:
            for name in columns:
                value = getattr(row, name)
                if value is None:
                    continue
                try:
                    again = keys.rotate(value.encode()).decode()
                except InvalidToken:
                    result.unreadable += 1
                    continue
                with engine.begin() as conn:
                    changed = conn.execute(
                        update(table).where(and_(table.c.id == row.id, table.c[name] == value)).values({name: again})
                    ).rowcount
                result.tokens += changed
    return result
