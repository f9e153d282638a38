"""`/expert`: every subcommand but `topics` is about Ask the Expert sessions (list, channels,
schedule, cancel, start, close, who-can-start); `/expert topics` is in bot/sessions/topics.py.
The rules are in `core.sessions`; what must be said is queued through `notify.sessions`."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError

from bot import deadletters, delivery, ids, refusals
from bot.ackbudget import answer
from bot.admins import is_admin, with_admin_fallback
from bot.blockkit import private
from bot.deps import Deps
from bot.edge import not_valid, parse_id, team_of
from bot.sessions import blocks as sb
from bot.sessions import schedule, topics
from bot.text import neutralise_mentions, unescape
from core import sessions
from core.clock import utcnow
from core.sessions import Change, Refusal, StartRule
from notify import sessions as notify_sessions
from storage.db import session_scope

log = logging.getLogger(__name__)

_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|([^>]*))?>$")
# What may stand in a channel's name (Slack's own are lowercase letters, digits, - and _).
_NOT_IN_NAME = re.compile(r"[^\w.-]")


def _channel_arg(text: str, here: str | None) -> tuple[str | None, str | None]:
    """The channel a command names (a link, as Slack escapes `#name`), or the one it runs in; and
    its name as the link gave it."""
    text = text.strip()
    if not text:
        return here, None
    match = _CHANNEL.match(text)
    if not match:
        return None, None
    return match.group(1), (_NOT_IN_NAME.sub("", match.group(2) or "")[:80] or None)


def sessions_command(
    deps: Deps, ack: Ack, cmd: dict, context: BoltContext, client, respond, team_id: str, words: str
) -> bool:
    """Handle `/expert <words>` if it is a sessions subcommand; False when it is not one. Those that
    may need Slack (is this person an admin? joining a channel) are answered before the ack while
    Slack answers quickly, else after it (`bot.ackbudget.answer`)."""
    action, _, rest = words.strip().partition(" ")
    action, rest = action.lower(), rest.strip()
    user_id, here = cmd["user_id"], cmd.get("channel_id")
    now = utcnow()
    if action in ("", "help"):
        ack(**private(sb.HELP))
    elif action == "channels":
        answer(
            deps.ack_budget, ack, respond, context, client, lambda c: _channels(deps, c, team_id, user_id, here, rest)
        )
    elif action == "list":
        with session_scope(deps.engine) as session:
            upcoming = sessions.upcoming(session, team_id=team_id)
        lines = [sb.session_line(i) for i in upcoming] or ["No sessions are scheduled. `/expert schedule` plans one."]
        ack(**private("\n".join(["*Ask the Expert sessions*", *lines])))
    elif action == "schedule":
        schedule.open_form(deps, ack, cmd, client, team_id)
    elif action == "cancel":
        answer(deps.ack_budget, ack, respond, context, client, lambda c: _cancel(deps, c, team_id, user_id, rest, now))
    elif action == "start":
        trigger_id = cmd.get("trigger_id")
        answer(
            deps.ack_budget,
            ack,
            respond,
            context,
            client,
            lambda c: _start(deps, c, team_id, user_id, here, rest, now, trigger_id),
        )
    elif action == "who-can-start":
        if rest:
            answer(
                deps.ack_budget,
                ack,
                respond,
                context,
                client,
                lambda c: _set_start_rule(deps, c, team_id, user_id, rest),
            )
        else:
            with session_scope(deps.engine) as session:
                rule = sessions.start_rule(session, team_id=team_id)
            ack(**private(f"{_RULE[rule][0].upper()}{_RULE[rule][1:]} (`/expert start`). {_RULE_HOW}"))
    elif action == "close":
        answer(deps.ack_budget, ack, respond, context, client, lambda c: _close(deps, c, team_id, user_id, here, now))
    else:
        return False
    return True


def _channels(deps: Deps, client, team_id: str, user_id: str, here: str | None, rest: str) -> dict:
    verb, _, target = rest.partition(" ")
    verb = verb.lower()
    if verb in ("", "list"):
        with session_scope(deps.engine) as session:
            channels = sessions.designated(session, team_id=team_id)
        if not channels:
            return private("No channel hosts sessions yet. An admin adds one with `/expert channels add #channel`.")
        return private("Channels that host Ask the Expert sessions: " + ", ".join(f"<#{c}>" for c in channels))
    if verb not in ("add", "remove"):
        return private(
            "Use `/expert channels add #channel`, `/expert channels remove #channel` or `/expert channels list`."
        )
    if not is_admin(deps, client, user_id):
        return private(refusals.SESSION_CHANNELS)
    channel, typed = _channel_arg(target, here)
    if channel is None:
        return private(
            f"Name the channel as a link, for example `/expert channels {verb} #ask-the-expert`, or run it in that channel."
        )
    if verb == "remove":
        with session_scope(deps.engine) as session:
            removed = sessions.undesignate(session, team_id=team_id, channel_id=channel)
        return private(
            f"<#{channel}> no longer hosts sessions." if removed else f"<#{channel}> was not hosting sessions."
        )
    joined = _join(client, channel, typed)
    if isinstance(joined, str):
        return private(joined)
    with session_scope(deps.engine) as session:
        added = sessions.designate(session, team_id=team_id, channel_id=channel, user_id=user_id, name=joined.name)
    if not added:
        return private(f"<#{channel}> already hosts sessions.")
    note = (
        " It is private: what is asked in its sessions is found in search only by its members."
        if joined.private
        else ""
    )
    return private(f"<#{channel}> now hosts Ask the Expert sessions.{note}")


@dataclass(frozen=True)
class _Joined:
    name: str | None
    private: bool


def _join(client, channel: str, typed: str | None) -> _Joined | str:
    """Join a public channel, or find Knowhow in a private one it was invited to; else what to tell
    the admin (what to do, never Slack's error code). `typed`: the channel's name as the command
    gave it, for the command to run again."""
    again = f"`/expert channels add #{typed}`" if typed else "the command"
    try:
        found = client.conversations_join(channel=channel).get("channel") or {}
        return _Joined(typed or found.get("name"), private=False)
    except SlackApiError as exc:
        error = delivery.error_of(exc)
    if error in ("method_not_supported_for_channel_type", "is_private"):
        # Not a channel anyone may join: a private channel Knowhow is in can host sessions.
        try:
            found = client.conversations_info(channel=channel).get("channel") or {}
        except SlackApiError as exc:
            error = delivery.error_of(exc)
        else:
            if found.get("is_im") or found.get("is_mpim"):
                return "A direct message cannot host sessions: name a channel, for example `/expert channels add #ask-the-expert`."
            if found.get("is_member"):
                return _Joined(typed or found.get("name"), private=True)
            error = "channel_not_found"
    if error == "channel_not_found":  # what Slack says of a private channel Knowhow is not in
        return (
            f"I am not in <#{channel}>, so I cannot see it: it is a private channel. Invite me first: "
            f"type `/invite @Knowhow` in <#{channel}>, then run {again} again."
        )
    if error == "is_archived":
        return f"<#{channel}> is archived, so it cannot host sessions. Choose another channel."
    log.warning("could not add %s as a session channel: %s", channel, error)
    return f"I could not add <#{channel}> just now. Please try again in a minute."


def _cancel(deps: Deps, client, team_id: str, user_id: str, rest: str, now: datetime) -> dict:
    number = rest.strip().lstrip("#")
    if not number:
        return private("Say which session, by its number in `/expert list`: `/expert cancel 12`.")
    session_id = parse_id(number)
    if session_id is None:
        return private(not_valid("session number", "`/expert list` shows the sessions' numbers: `/expert cancel 12`."))

    def attempt(admin: bool) -> sessions.Changed:
        with session_scope(deps.engine) as session:
            return sessions.cancel(
                session, team_id=team_id, session_id=session_id, user_id=user_id, is_admin=admin, now=now
            )

    changed = with_admin_fallback(deps, client, user_id, attempt, lambda c: c.outcome is Change.NOT_ALLOWED)
    if changed.outcome is Change.DONE:
        with session_scope(deps.engine) as session:
            notify_sessions.queue_cancelled(session, team_id=team_id, session_id=session_id)
        deps.wake_outbox()
        return private(
            f"Session #{session_id} ({neutralise_mentions(changed.session.topic)}) is cancelled; its announcement says so."
        )
    return private(
        {
            Change.NOT_FOUND: f"There is no session #{session_id}. `/expert list` shows them.",
            Change.NOT_ALLOWED: "Only the session's organiser, its experts or an admin can cancel it.",
            Change.WRONG_STATE: f"Session #{session_id} is {changed.session.state.value if changed.session else 'not scheduled'}: only a scheduled session can be cancelled (`/expert close` ends an open one).",
        }[changed.outcome]
    )


# Who may open a session on the spot, under each rule (`/expert who-can-start`).
_RULE = {
    StartRule.ADMINS: "only admins may open a session on the spot",
    StartRule.EXPERTS: "admins, and people who list the session's topic among theirs (`/expert topics add`), may open a session on the spot",
    StartRule.EVERYONE: "anyone may open a session on the spot",
}
_RULE_HOW = "An admin changes who may with `/expert who-can-start admins`, `experts` or `everyone`."
_RULES = {"admins": StartRule.ADMINS, "experts": StartRule.EXPERTS, "everyone": StartRule.EVERYONE}


def _set_start_rule(deps: Deps, client, team_id: str, user_id: str, rest: str) -> dict:
    rule = _RULES.get(rest.strip().lower())
    if rule is None:
        return private(
            "Say who may open sessions on the spot: `/expert who-can-start admins`, `experts` or `everyone`."
        )
    if not is_admin(deps, client, user_id):
        return private(refusals.SESSION_STARTERS)
    with session_scope(deps.engine) as session:
        changed = sessions.set_start_rule(session, team_id=team_id, rule=rule)
    return private(f"{'From now on' if changed else 'That is already so'}: {_RULE[rule]} (`/expert start`).")


def _start_refusal(refused: sessions.Refused, topic: str) -> str:
    """Why `/expert start` did not open a session, and what to do instead."""
    other = refused.other
    if refused.reason is Refusal.OVERLAP and other is not None:
        if other.state is sessions.State.OPEN:
            return (
                f"Session #{other.id} on *{neutralise_mentions(other.topic)}* is open here until "
                f"{sb.when(other.ends_at, '{time}')}. Post your question in the channel, or start yours once it closes."
            )
        return (
            f"Session #{other.id} on *{neutralise_mentions(other.topic)}* is planned here for {sb.when(other.starts_at)}, "
            "within the hour yours would take. Plan yours for another time with `/expert schedule`."
        )
    if refused.reason is Refusal.MAY_NOT_START:
        if refused.rule is StartRule.EXPERTS:
            return (
                "Only admins, and people who list the session's topic among theirs, open a session on the spot: "
                f"*{neutralise_mentions(topic)}* names none of your topics (`/expert topics` shows them). "
                "You can plan a session with `/expert schedule` instead."
            )
        return "Only admins open a session on the spot here. You can plan one with `/expert schedule` instead."
    if refused.reason is Refusal.NOT_DESIGNATED:
        return "This channel does not host sessions. `/expert channels list` shows those that do."
    return schedule.refusal_text(refused)


def _start(
    deps: Deps, client, team_id: str, user_id: str, here: str | None, topic: str, now: datetime, trigger_id
) -> dict:
    if not topic:
        return private("Say what the session is about: `/expert start Kubernetes upgrades`.")

    def attempt(admin: bool) -> sessions.Transition | sessions.Refused:
        with session_scope(deps.engine) as session:
            result = sessions.start_now(
                session,
                team_id=team_id,
                user_id=user_id,
                channel_id=here or "",
                topic=topic,
                now=now,
                is_admin=admin,
                request_id=f"cmd:{trigger_id}" if trigger_id else None,
            )
            if isinstance(result, sessions.Transition):
                notify_sessions.queue_transition(session, result)
        return result

    # Slack's word that the person is an admin only when the workspace's rule refused them without it.
    result = with_admin_fallback(
        deps,
        client,
        user_id,
        attempt,
        lambda r: isinstance(r, sessions.Refused) and r.reason is Refusal.MAY_NOT_START,
    )
    if isinstance(result, sessions.Refused):
        return private(_start_refusal(result, topic))
    deps.on_session_scheduled(result.session)
    deps.wake_outbox()
    return private(
        f"Session #{result.session.id} is open here until {sb.when(result.session.ends_at, '{time}')}. `/expert close` ends it early."
    )


def _close(deps: Deps, client, team_id: str, user_id: str, here: str | None, now: datetime) -> dict:

    def attempt(admin: bool):
        with session_scope(deps.engine) as session:
            return sessions.close_now(
                session, team_id=team_id, channel_id=here or "", user_id=user_id, is_admin=admin, now=now
            )

    result = with_admin_fallback(
        deps, client, user_id, attempt, lambda r: isinstance(r, sessions.Changed) and r.outcome is Change.NOT_ALLOWED
    )
    if isinstance(result, sessions.Transition):
        with session_scope(deps.engine) as session:
            notify_sessions.queue_transition(session, result)
        deps.wake_outbox()
        return private("The session is closed. The summary follows, and the experts get the questions still open.")
    if result.outcome is Change.NOT_FOUND or result.outcome is Change.WRONG_STATE:
        return private("No session is open in this channel (it may have just closed on time).")
    return private("Only the session's experts, its organiser or an admin can close it.")


def handle_expert_command(deps: Deps, ack: Ack, command: dict, context: BoltContext, client, respond) -> None:
    text = (command.get("text") or "").strip()
    first, _, rest = text.partition(" ")
    if first.lower() == "outbox":  # not about sessions: every feature's messages Knowhow could not send
        try:
            deadletters.outbox_command(deps, ack, command, context, client, respond)
        except Exception:
            log.exception("/expert outbox failed")
            ack(**private("Sorry, that could not be done just now. Please try again in a minute."))
        return
    if first.lower() != "topics":
        try:
            if not sessions_command(deps, ack, command, context, client, respond, team_of(context, command), text):
                ack(**private(f"I don't know `/expert {neutralise_mentions(first)}`.\n\n" + sb.HELP))
        except Exception:
            log.exception("/expert %s failed", first)
            ack(**private("Sorry, that could not be done just now. Please try again in a minute."))
        return
    try:
        # /expert arrives escaped (should_escape): topic names are compared as typed.
        ack(**topics.topics_command(deps, team_of(context, command), command["user_id"], unescape(rest)))
    except Exception:
        log.exception("/expert topics failed")
        ack(**private("Sorry, that could not be saved just now. Please try again in a minute."))


def register(app: App, deps: Deps) -> None:
    @app.command(ids.EXPERT_COMMAND)
    def expert_command(ack, command, context, client, respond):
        handle_expert_command(deps, ack, command, context, client, respond)
