"""`/mentor retention`: how long this workspace keeps what Knowhow no longer needs, shown to
anyone; `/mentor retention <mentoring|questions|sent> <days|forever|default>` changes it (admins).
The periods, their limits and the deletion are core.retention's."""

from __future__ import annotations

import logging

from slack_bolt import Ack, BoltContext

from bot import refusals
from bot.ackbudget import answer
from bot.admins import is_admin
from bot.blockkit import private
from bot.deps import Deps
from bot.edge import team_of
from core import retention
from storage.db import session_scope

log = logging.getLogger(__name__)

WORDS = ", ".join(f"`{rule.word}`" for rule in retention.RULES.values())
HOW = (
    "Admins change a period with `/mentor retention <what> <days>`, where what is "
    f"{WORDS}, and days a number, `forever` (not for `sent`) or `default`: for example "
    "`/mentor retention mentoring 180`."
)
ALWAYS = (
    "Posted questions and their answers are kept: they are the workspace's knowledge. "
    "Mentoring conversations are never recorded."
)


def _line(kept: retention.Kept) -> str:
    default = "" if kept.chosen else " (the default)"
    return f"• {kept.rule.what}: {kept.describe()}{default}."


def command(deps: Deps, ack: Ack, cmd: dict, context: BoltContext, client, respond, rest: str) -> None:
    team_id, user_id = team_of(context, cmd), cmd["user_id"]
    if not rest:
        with session_scope(deps.engine) as session:
            kept = retention.retention(session, team_id=team_id)
        lines = ["*How long Knowhow keeps what it no longer needs, in this workspace*", *map(_line, kept), ALWAYS, HOW]
        ack(**private("\n".join(lines)))
        return
    answer(deps.ack_budget, ack, respond, context, client, lambda c: change(deps, c, team_id, user_id, rest))


def change(deps: Deps, client, team_id: str, user_id: str, rest: str) -> dict:
    """An admin's change (Slack says who is an admin), checked before it is stored."""
    word, _, value = rest.strip().partition(" ")
    rule = retention.BY_WORD.get(word.lower())
    if rule is None or not value.strip():
        return private(f"Say what to keep for how long. {HOW}")
    if not is_admin(deps, client, user_id):
        return private(refusals.RETENTION)
    try:
        days = retention.parse(rule, value)
    except retention.RetentionError as exc:
        return private(str(exc))
    with session_scope(deps.engine) as session:
        kept, changed = retention.set_retention(session, team_id=team_id, rule=rule, value=days)
    log.info("retention: %s set %s in %s to %s", user_id, rule.kind.value, team_id, kept.days or "forever")
    if not changed:
        return private(f"That is already so: {_line(kept)[2:]}")
    later = (
        " What is already older is deleted at the next daily clean-up, within a day." if kept.days is not None else ""
    )
    return private(f"From now on: {_line(kept)[2:]}{later}")
