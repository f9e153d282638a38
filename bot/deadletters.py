"""Dead letters: messages that failed for good, shown to whom may retry them.

- The operator: `knowhow outbox` lists every workspace's (or one's: --team), and `knowhow outbox
  retry ID... | --all` puts them back in the queue (bot/cli.py).
- A workspace's admins: `/expert outbox` lists their workspace's, each with a Retry button, and
  "Retry all". Only admins (bot/admins.py) see or retry them, and only their own workspace's.

What is shown: what kind of message, to whom (the channel or person Slack's refusal named, else
the ids the message is about), when it failed and why. Never what a message says: the outbox's
payload is not shown at all, and a Mentor Center message (mentoring is private) shows only its
kind and recipient, with Slack's error code as its reason.

Retrying is idempotent (`storage.outbox.revive`): a row already back in the queue, or sent since,
is left alone. A retried row goes out as a new attempt; a sender that posts looks for an earlier
post of it first, so a message that did reach Slack is not posted twice.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from slack_bolt import Ack, App, BoltContext

from bot import ids
from bot.ackbudget import answer
from bot.admins import is_admin
from bot.blockkit import at, button, context, private, section
from bot.deps import Deps
from bot.edge import said_on_failure, team_of
from bot.refusals import admins_only
from core.clock import utcnow
from notify import deadletters as notify_deadletters
from storage import outbox
from storage.db import session_scope
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

# How many a view lists (the newest failures); the rest are counted.
SHOWN = 20
# Kinds whose messages are private to the people in them: kind and recipient only.
PRIVATE_PREFIXES = ("mentor.",)
# What each feature's messages are, for a reader who does not know the outbox's kinds.
FEATURE_NAMES = {
    "ask": "Ask",
    "session": "Ask the Expert",
    "mentor": "Mentor Center",
    "scoreboard": "Scoreboard",
    "home": "App Home",
    "work": "a request being handled",
}
# Payload fields that name whom a message is for or what it is about, in the order they are shown.
_ABOUT = ("channel_id", "user_id", "asker_id", "expert_id")
_SLACK_ERROR = re.compile(r"^[a-z_]+$")
# The longest id a button carries (the outbox's ids are positive and fit a 64-bit integer).
_MAX_ID_DIGITS = 18

REFUSED = admins_only("see or retry the messages Knowhow could not send")


@dataclass(frozen=True)
class DeadLetter:
    """A dead letter as shown: nothing of what the message says."""

    id: int
    team_id: str
    kind: str
    to: str | None
    failed_at: datetime | None
    why: str

    @property
    def private(self) -> bool:
        return self.kind.startswith(PRIVATE_PREFIXES)

    @property
    def retryable(self) -> bool:
        return self.kind not in notify_deadletters.NOT_RETRIED

    @property
    def feature(self) -> str:
        return FEATURE_NAMES.get(self.kind.partition(".")[0], self.kind.partition(".")[0])


def _why(row: OutboxMessage, private: bool) -> str:
    reason = (row.last_error or "").strip().splitlines()[0][:200] if row.last_error else ""
    if private and not _SLACK_ERROR.match(reason):
        return "not shown (mentoring is private)"
    return reason or "no reason kept"


# Slack's answers an admin can act on, in words (the CLI keeps Slack's own codes, for operators).
IN_WORDS = {
    "not_in_channel": "Knowhow is not in that channel: invite it (/invite @Knowhow there), then retry",
    "channel_not_found": "the channel is gone, or it is private and Knowhow was not invited: invite it, then retry",
    "is_archived": "the channel is archived: unarchive it, or let this message go",
    "user_not_found": "Slack does not know that person any more (they may have left)",
    "user_disabled": "that person's account was deactivated",
    "account_inactive": "that person's account was deactivated",
    "cannot_dm_bot": "Knowhow cannot write to another app",
    "restricted_action": "this workspace's settings do not let Knowhow post there: an owner can allow it",
    "missing_scope": "Knowhow lacks a permission it needs: reinstall it from its app page, then retry",
    "msg_too_long": "the message was longer than Slack takes",
    "invalid_blocks": "Slack refused the message's layout (a Knowhow bug: please report it)",
}


def in_words(why: str) -> str:
    """A reason as an admin reads it in Slack: Slack's code in words when it is a known one."""
    return IN_WORDS.get(why, why)


def _to(row: OutboxMessage, private: bool) -> str | None:
    if row.failed_to:
        return row.failed_to
    if private:
        return None  # its payload's ids would say which mentorship it is
    try:
        payload = json.loads(row.payload or "{}")
    except ValueError:
        return None
    found = [str(payload[k]) for k in _ABOUT if isinstance(payload, dict) and payload.get(k)]
    return ", ".join(dict.fromkeys(found)) or None


def describe(row: OutboxMessage) -> DeadLetter:
    private = row.kind.startswith(PRIVATE_PREFIXES)
    return DeadLetter(
        id=row.id or 0,
        team_id=row.team_id,
        kind=row.kind,
        to=_to(row, private),
        failed_at=row.failed_at,
        why=_why(row, private),
    )


def listed(engine, *, team_id: str | None, limit: int = SHOWN) -> tuple[list[DeadLetter], int]:
    """The newest dead letters (of a workspace, or every one's) and how many there are in all."""
    with session_scope(engine) as session:
        rows = outbox.dead_letters(session, team_id=team_id, limit=limit)
        total = outbox.count_dead(session, team_id=team_id)
    return [describe(row) for row in rows], total


def retry(engine, *, team_id: str | None, ids: list[int] | None) -> list[int]:
    """Put dead letters back in the queue (`ids`, or all of the scope): the ids put back."""
    with session_scope(engine) as session:
        return notify_deadletters.revive(session, team_id=team_id, ids=ids, now=utcnow())


# -- the command line ------------------------------------------------------------------------------
def text_line(letter: DeadLetter) -> str:
    when = f"{letter.failed_at:%Y-%m-%d %H:%M:%S}Z" if letter.failed_at else "-"
    return f"{letter.id}\t{letter.kind}\t{letter.team_id}\t{letter.to or '-'}\t{when}\t{letter.why}"


# -- in Slack --------------------------------------------------------------------------------------
def _recipient(to: str | None) -> str:
    """Whom, as Slack shows it (a mention in a private answer notifies nobody)."""
    if not to:
        return "someone Knowhow did not record"
    shown = []
    for one in to.split(","):
        one = one.strip()
        if one[:1] in ("U", "W"):
            shown.append(f"<@{one}>")
        elif one[:1] == "D":
            shown.append("a direct message")
        elif one[:1] in ("C", "G"):
            shown.append(f"<#{one}>")
        else:
            shown.append(f"`{one}`")
    return ", ".join(shown)


def view(letters: list[DeadLetter], total: int, note: str | None = None) -> dict:
    """The admin's private list, each with a Retry button."""
    blocks = []
    if note:
        blocks.append(section(note))
    if not letters:
        blocks.append(section("*Messages Knowhow could not send*\nNone: every message of this workspace went out."))
        return {"text": "Messages Knowhow could not send: none", "blocks": blocks}
    blocks.append(
        section(
            f"*Messages Knowhow could not send* ({total})\nSlack refused these for good. Do what the reason "
            "says (invite Knowhow to a channel, for example), then retry."
        )
    )
    for letter in letters:
        when = f"on {at(letter.failed_at)}" if letter.failed_at else "at a time not recorded"
        said = f"*{letter.feature}* · `{letter.kind}` to {_recipient(letter.to)}\nFailed {when}: {in_words(letter.why)}"
        if letter.retryable:
            blocks.append(section(said, button("Retry", ids.OUTBOX_RETRY, str(letter.id))))
        else:
            blocks.append(section(said + "\n_Not retried: the person was told to try again._"))
    if total > len(letters):
        blocks.append(context(f"The {len(letters)} newest of {total} are shown."))
    if any(letter.retryable for letter in letters):
        blocks.append(
            {"type": "actions", "elements": [button("Retry all", ids.OUTBOX_RETRY_ALL, "all", style="primary")]}
        )
    return {"text": f"Messages Knowhow could not send: {total}", "blocks": blocks}


def admin_view(deps: Deps, client, team_id: str, user_id: str, note: str | None = None) -> dict:
    if not is_admin(deps, client, user_id):
        return private(REFUSED)
    letters, total = listed(deps.engine, team_id=team_id)
    return {"response_type": "ephemeral", **view(letters, total, note)}


def outbox_command(deps: Deps, ack: Ack, command: dict, context: BoltContext, client, respond) -> None:
    """`/expert outbox`: the workspace's dead letters, for its admins."""
    team_id, user_id = team_of(context, command), command["user_id"]
    answer(deps.ack_budget, ack, respond, context, client, lambda c: admin_view(deps, c, team_id, user_id))


def _outbox_id(value: str | None) -> int | None:
    value = (value or "").strip()
    if value.isascii() and value.isdigit() and len(value) <= _MAX_ID_DIGITS and int(value) > 0:
        return int(value)
    return None


def handle_retry(deps: Deps, ack: Ack, body: dict, context: BoltContext, client, respond) -> None:
    ack()
    team_id, user_id = team_of(context, body), (body.get("user") or {}).get("id", "")
    action = (body.get("actions") or [{}])[0]
    if not is_admin(deps, client, user_id):
        respond(replace_original=False, **private(REFUSED))
        return
    if action.get("action_id") == ids.OUTBOX_RETRY_ALL:
        chosen = None
    else:
        one = _outbox_id(action.get("value"))
        if one is None:
            respond(replace_original=False, **private("That button is out of date: run `/expert outbox` again."))
            return
        chosen = [one]
    back = retry(deps.engine, team_id=team_id, ids=chosen)
    if back:
        deps.wake_outbox()
        log.info("outbox: %s put %d dead letters of %s back in the queue", user_id, len(back), team_id)
        note = f":arrows_counterclockwise: {len(back)} message{'s go' if len(back) != 1 else ' goes'} out again now."
    else:
        note = "Nothing to retry: it was retried already, or went out since."
    respond(replace_original=True, **admin_view(deps, client, team_id, user_id, note))


def register(app: App, deps: Deps) -> None:
    @app.action(ids.OUTBOX_RETRY)
    def retry_one(ack, body, context, client, respond):
        with said_on_failure(respond, "the retry"):
            handle_retry(deps, ack, body, context, client, respond)

    @app.action(ids.OUTBOX_RETRY_ALL)
    def retry_all(ack, body, context, client, respond):
        with said_on_failure(respond, "the retry"):
            handle_retry(deps, ack, body, context, client, respond)
