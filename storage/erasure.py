"""What a person's erasure does to rows, table by table, without knowing why (core.erasure decides).

A forgotten person's user id is replaced where the organisation keeps what they did (their
questions and answers, a session they organised) by `FORMER_MEMBER`, one value for everyone
forgotten: it links nothing to anyone, and it can never be a Slack user id (those are upper-case
letters and digits), so no rule ever mistakes it for a person and no mention is ever written with
it (the Slack edge renders it as "a former member": bot.text.mention). In text people wrote
(`<@U123>` in someone else's answer), a mention of them becomes the words "a former member".

`sweep` is the net under core.erasure's table-by-table decisions: every string column of every
table that has a `team_id` (the models' and slack-sdk's installation store's), within the
organisation's workspaces, loses the user id; a new table is covered before anyone thinks of it.
`about` is its reading twin, for an access request: every row that names the person.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import String, Table, TypeDecorator, and_, delete, func, or_, select, update
from sqlmodel import Session, SQLModel

import storage.models  # noqa: F401  (every table, in SQLModel.metadata)
from storage.models import OutboxMessage

FORMER_MEMBER = "former-member"
FORMER_MEMBER_TEXT = "a former member"
# A Slack user id: U or W (Enterprise Grid), then upper-case letters and digits.
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")
SENT = "sent"
# Outbox payload keys that name the person a message is for (a DM, their Home, their request).
RECIPIENT_KEYS = ("user_id", "asker_id", "expert_id")


def is_user_id(value: str) -> bool:
    return bool(USER_ID.match(value or ""))


def _pattern(user_id: str) -> re.Pattern:
    # `<@U123>`, `<@U123|label>`, and the id alone as a word.
    return re.compile(r"<@" + re.escape(user_id) + r"(?:\|[^>]*)?>|\b" + re.escape(user_id) + r"\b")


def scrub_text(text: str, user_id: str) -> str:
    """`text` with every mention of `user_id` (and the id alone) read as "a former member"."""
    return _pattern(user_id).sub(FORMER_MEMBER_TEXT, text)


def scrub_value(value: Any, user_id: str) -> Any:
    """A JSON value with the person gone: the id as a value becomes FORMER_MEMBER, in text it
    reads "a former member"; dicts and lists all the way down."""
    if isinstance(value, str):
        return FORMER_MEMBER if value == user_id else scrub_text(value, user_id)
    if isinstance(value, list):
        return [scrub_value(v, user_id) for v in value]
    if isinstance(value, dict):
        return {scrub_text(k, user_id): scrub_value(v, user_id) for k, v in value.items()}
    return value


def _like(user_id: str) -> str:
    # Slack ids hold no LIKE wildcard; a made-up one could: escape them anyway.
    escaped = user_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _names(column, user_id: str):
    return column.like(_like(user_id), escape="\\")


# -- the outbox -----------------------------------------------------------------------------------
def outbox(session: Session, *, team_ids: Sequence[str], user_id: str, spare_kinds: Iterable[str] = ()) -> int:
    """Messages that name the person: those for them (a DM, their Home, their own request not yet
    done, a dead letter addressed to them) and every delivered one (a record kept only so a message is not sent twice) are
    deleted; one still to go to someone else keeps going, with the person read as a former
    member. Rows of `spare_kinds` (the erasure's own work row) are left alone. Returns how many
    rows were deleted."""
    rows = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.team_id.in_(team_ids),
            OutboxMessage.kind.not_in(list(spare_kinds)),
            or_(
                _names(OutboxMessage.payload, user_id),
                _names(OutboxMessage.dedupe_key, user_id),
                _names(OutboxMessage.failed_to, user_id),
            ),
        )
    ).all()
    deleted = 0
    for row in rows:
        try:
            payload = json.loads(row.payload)
        except ValueError:
            payload = {}
        if row.status == SENT or _for(payload, user_id) or user_id in (row.failed_to or "").split(","):
            session.execute(
                delete(OutboxMessage).where(OutboxMessage.team_id == row.team_id, OutboxMessage.id == row.id)
            )
            deleted += 1
            continue
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.team_id == row.team_id, OutboxMessage.id == row.id)
            .values(
                payload=json.dumps(scrub_value(payload, user_id)),
                dedupe_key=scrub_text(row.dedupe_key, user_id)[:200],
                last_error=scrub_text(row.last_error, user_id) if row.last_error else None,
            )
        )
    return deleted


def _for(payload: Any, user_id: str) -> bool:
    if not isinstance(payload, dict):
        return False
    if any(payload.get(key) == user_id for key in RECIPIENT_KEYS):
        return True
    event = payload.get("event")  # a message event of theirs, not applied yet
    return isinstance(event, dict) and (event.get("user") == user_id or _for(event.get("message"), user_id))


# -- every table ----------------------------------------------------------------------------------
def tables(session: Session) -> list[Table]:
    """Every table with a workspace: the models', and slack-sdk's installation store's."""
    from sqlalchemy import MetaData

    found = [t for t in SQLModel.metadata.sorted_tables if "team_id" in t.c]
    extra = MetaData()
    from storage.migrate import SLACK_STORE_TABLES

    for name in sorted(SLACK_STORE_TABLES):
        table = Table(name, extra, autoload_with=session.connection())
        if "team_id" in table.c:
            found.append(table)
    return found


def _is_string(type_) -> bool:
    while isinstance(type_, TypeDecorator):  # SQLModel's AutoString wraps a String
        type_ = type_.impl
    return isinstance(type_, String)


def _string_columns(table: Table) -> list:
    return [c for c in table.c if _is_string(c.type) and c.name not in ("team_id", "enterprise_id")]


def _scope(table: Table, team_ids: Sequence[str], org_id: str | None):
    within = table.c.team_id.in_(list(team_ids))
    if org_id and "enterprise_id" in table.c:  # an org-wide installation has no workspace
        return or_(within, and_(table.c.team_id.is_(None), table.c.enterprise_id == org_id))
    return within


def sweep(
    session: Session,
    *,
    team_ids: Sequence[str],
    user_id: str,
    org_id: str | None = None,
    spare_kinds: Iterable[str] = (),
) -> dict[str, int]:
    """Every string column of every table, within these workspaces: a value that is the person's
    id becomes FORMER_MEMBER, text that names them reads "a former member" (outbox rows of
    `spare_kinds` aside). Returns the rows changed, by table."""
    changed: dict[str, int] = {}
    for table in tables(session):
        columns = _string_columns(table)
        if not columns:
            continue
        key = list(table.primary_key.columns) or list(table.c)
        where = [_scope(table, team_ids, org_id), or_(*(_names(c, user_id) for c in columns))]
        if table.name == OutboxMessage.__tablename__:
            where.append(table.c.kind.not_in(list(spare_kinds)))
        rows = session.execute(select(*key, *columns).where(*where)).all()
        for row in rows:
            values = {}
            for column in columns:
                value = row._mapping[column]
                if isinstance(value, str) and user_id in value:
                    values[column.name] = FORMER_MEMBER if value == user_id else scrub_text(value, user_id)
            if not values:
                continue
            session.execute(
                update(table)
                .where(_scope(table, team_ids, org_id), *(k == row._mapping[k] for k in key))
                .values(**values)
            )
            changed[table.name] = changed.get(table.name, 0) + 1
    return changed


def about(session: Session, *, team_ids: Sequence[str], user_id: str, org_id: str | None = None) -> dict[str, list]:
    """Every row, of every table with a workspace, in which a string column names the person (is
    their id, or holds it): {table: [row as a dict]}. Stored tokens are left out (they are
    encrypted, and are the installation's, not the person's)."""
    found: dict[str, list] = {}
    for table in tables(session):
        columns = _string_columns(table)
        if not columns:
            continue
        shown = [c for c in table.c if "token" not in c.name]
        rows = session.execute(
            select(*shown)
            .where(_scope(table, team_ids, org_id), or_(*(_names(c, user_id) for c in columns)))
            .order_by(*(table.primary_key.columns or shown[:1]))
        ).all()
        kept = [
            {c.name: row._mapping[c] for c in shown}
            for row in rows
            if _holds(row._mapping, [c for c in columns if c in shown], user_id)
        ]
        if kept:
            found[table.name] = kept
    return found


def _holds(mapping, columns, user_id: str) -> bool:
    return any(isinstance(mapping[c], str) and user_id in mapping[c] for c in columns)


def count(session: Session, *, team_ids: Sequence[str], user_id: str, org_id: str | None = None) -> int:
    """How many rows still name the person (0 after `sweep`)."""
    total = 0
    for table in tables(session):
        columns = _string_columns(table)
        if columns:
            total += session.execute(
                select(func.count())
                .select_from(table)
                .where(_scope(table, team_ids, org_id), or_(*(_names(c, user_id) for c in columns)))
            ).scalar_one()
    return total
