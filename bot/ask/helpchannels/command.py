"""`/ask channels …` (the help channels, admins) and `/ask suggestions on|off` (anyone): parsed by
`core.asking.parse_ask`, answered here. Who is an admin is Slack's to say: when it is slow, the
answer comes after the ack (`bot.ackbudget.answer`)."""

from __future__ import annotations

import logging

from slack_bolt import Ack, BoltContext
from slack_sdk.errors import SlackApiError

from bot import delivery, refusals
from bot.ackbudget import answer
from bot.admins import is_admin
from bot.ask.helpchannels import blocks
from bot.blockkit import private
from bot.deps import Deps
from bot.sessions.command import _channel_arg
from core import helpchannels
from core.helpchannels import PauseOutcome
from storage.db import session_scope

log = logging.getLogger(__name__)


def handle_channels(
    deps: Deps, ack: Ack, command: dict, context: BoltContext, client, respond, team_id: str, rest: str
) -> None:
    verb = rest.partition(" ")[0].lower()
    if verb in ("", "list"):
        with session_scope(deps.engine) as session:
            found = helpchannels.listed(session, team_id=team_id)
        ack(**blocks.listing(found))
        return
    user_id = command["user_id"]
    answer(deps.ack_budget, ack, respond, context, client, lambda c: _change(deps, c, team_id, user_id, command, rest))


def _target(deps: Deps, team_id: str, command: dict, target: str) -> tuple[str | None, str | None]:
    """The channel a subcommand names, and its name. `/ask` comes unescaped (`should_escape: false`
    in the manifest, so questions arrive as typed): "#help-it" is a name, not a link. It is the
    channel the command runs in when the names agree, else a help channel of that name; a link
    (`<#C…|name>`) or nothing (the channel it runs in) are taken as they are."""
    channel, typed = _channel_arg(target, command.get("channel_id"))
    if channel is not None:
        return channel, typed
    name = target.strip().lstrip("#").strip()
    if not name or " " in name:
        return None, None
    if name == command.get("channel_name"):
        return command.get("channel_id"), name
    with session_scope(deps.engine) as session:
        known = next((c for c in helpchannels.listed(session, team_id=team_id) if c.name == name), None)
    return (known.channel_id, name) if known else (None, name)


def _change(deps: Deps, client, team_id: str, user_id: str, command: dict, rest: str) -> dict:
    verb, _, target = rest.partition(" ")
    verb = verb.lower()
    if not is_admin(deps, client, user_id):
        return private(refusals.HELP_CHANNELS)
    channel, typed = _target(deps, team_id, command, target)
    if channel is None or not channel.startswith(("C", "G")):
        where = f"#{typed}" if typed else "that channel"
        return private(f"Run `/ask channels {verb}` in {where} itself: Knowhow takes the channel it is typed in.")
    with session_scope(deps.engine) as session:
        if verb == "remove":
            removed = helpchannels.undesignate(session, team_id=team_id, channel_id=channel)
            return private(
                f"<#{channel}> is no longer a help channel: Knowhow stops reading it."
                if removed
                else f"<#{channel}> was not a help channel."
            )
        if verb in ("pause", "resume"):
            outcome = helpchannels.set_paused(
                session, team_id=team_id, channel_id=channel, paused=verb == "pause", user_id=user_id
            )
            if outcome is PauseOutcome.NOT_A_HELP_CHANNEL:
                return private(f"<#{channel}> is not a help channel. `/ask channels add <#{channel}>` makes it one.")
            if verb == "pause":
                return private(
                    f"Paused: Knowhow says nothing in <#{channel}> until `/ask channels resume <#{channel}>`."
                    if outcome is PauseOutcome.CHANGED
                    else f"<#{channel}> is already paused. `/ask channels resume <#{channel}>` turns it back on."
                )
            return private(
                f"<#{channel}> is on again: people who ask there are shown earlier lessons privately."
                if outcome is PauseOutcome.CHANGED
                else f"<#{channel}> is already on."
            )
    name, problem = _join(client, channel, typed)
    if problem is not None:
        return private(problem)
    with session_scope(deps.engine) as session:
        added = helpchannels.designate(session, team_id=team_id, channel_id=channel, user_id=user_id, name=name)
    if not added:
        return private(f"<#{channel}> is already a help channel.")
    return private(
        f"<#{channel}> is now a help channel. When someone asks there and earlier lessons cover it, Knowhow "
        "shows them to the asker privately, and says nothing otherwise. "
        f"`/ask channels pause <#{channel}>` turns that off."
    )


def _join(client, channel: str, typed: str | None) -> tuple[str | None, str | None]:
    """Join a public channel, or find Knowhow in a private one it was invited to: (its name, None);
    else (None, what to tell the admin, in words: never Slack's error code)."""
    again = f"`/ask channels add #{typed}`" if typed else "the command"
    try:
        found = client.conversations_join(channel=channel).get("channel") or {}
        return typed or found.get("name"), None
    except SlackApiError as exc:
        error = delivery.error_of(exc)
    if error in ("method_not_supported_for_channel_type", "is_private"):
        try:
            found = client.conversations_info(channel=channel).get("channel") or {}
        except SlackApiError as exc:
            error = delivery.error_of(exc)
        else:
            if found.get("is_member") and not (found.get("is_im") or found.get("is_mpim")):
                return typed or found.get("name"), None
            error = "channel_not_found"
    if error == "channel_not_found":
        return None, (
            f"I am not in <#{channel}>, so I cannot read it: it is a private channel. Invite me first: "
            f"type `/invite @Knowhow` in <#{channel}>, then run {again} again."
        )
    if error == "is_archived":
        return None, f"<#{channel}> is archived. Choose another channel."
    log.warning("could not add %s as a help channel: %s", channel, error)
    return None, f"I could not add <#{channel}> just now. Please try again in a minute."


def handle_suggestions(deps: Deps, ack: Ack, command: dict, team_id: str, setting: str) -> None:
    """`/ask suggestions on|off`: a person's own choice, for every help channel of the workspace."""
    user_id = command["user_id"]
    with session_scope(deps.engine) as session:
        if setting in ("on", "off"):
            changed = helpchannels.set_opted_out(session, team_id=team_id, user_id=user_id, off=setting == "off")
            off = setting == "off"
        else:
            changed, off = False, helpchannels.opted_out(session, team_id=team_id, user_id=user_id)
    ack(**blocks.suggestions_setting(off, changed))
