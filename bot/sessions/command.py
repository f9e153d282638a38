"""`/expert`: every subcommand but `topics` is about Ask the Expert sessions (list, channels,
schedule, cancel, start, close); `/expert topics` is in bot/sessions/topics.py. The rules are in
`core.sessions`; what must be said is queued through `notify.sessions`."""

from __future__ import annotations

import logging
import re
from datetime import datetime

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError

from bot import delivery, ids, refusals
from bot.ackbudget import answer
from bot.admins import is_admin, with_admin_fallback
from bot.blockkit import private
from bot.deps import Deps
from bot.edge import team_of
from bot.sessions import blocks as sb
from bot.sessions import schedule, topics
from bot.text import neutralise_mentions, unescape
from core import sessions
from core.clock import utcnow
from core.sessions import Change
from notify import sessions as notify_sessions
from storage.db import session_scope

log = logging.getLogger(__name__)

_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")


def _channel_arg(text: str, here: str | None) -> str | None:
    text = text.strip()
    if not text:
        return here
    match = _CHANNEL.match(text)
    return match.group(1) if match else None


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
        ack(**_start(deps, client, team_id, user_id, here, rest, now, cmd.get("trigger_id")))
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
    channel = _channel_arg(target, here)
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
    problem = _join(client, channel)
    if problem:
        return private(problem)
    with session_scope(deps.engine) as session:
        added = sessions.designate(session, team_id=team_id, channel_id=channel, user_id=user_id)
    return private(
        f"<#{channel}> now hosts Ask the Expert sessions." if added else f"<#{channel}> already hosts sessions."
    )


def _join(client, channel: str) -> str | None:
    """Join a public channel; what to tell the admin when that is not possible (else None).
    Sessions are public by design: what is asked and answered in them is searchable by the whole
    workspace, so a private channel cannot host them."""
    try:
        client.conversations_join(channel=channel)
        return None
    except SlackApiError as exc:
        error = delivery.error_of(exc)
        if error in ("method_not_supported_for_channel_type", "is_private"):
            return (
                f"<#{channel}> is a private channel. Sessions are held in public channels, because their "
                "questions and answers join the knowledge everyone can search. Choose a public channel."
            )
        log.warning("could not join %s: %s", channel, error)
        return f"I could not join <#{channel}> ({error}). Check the channel exists and is not archived, then try again."


def _cancel(deps: Deps, client, team_id: str, user_id: str, rest: str, now: datetime) -> dict:
    try:
        session_id = int(rest.lstrip("#"))
    except ValueError:
        return private("Say which session, by its number in `/expert list`: `/expert cancel 12`.")

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


def _start(
    deps: Deps, client, team_id: str, user_id: str, here: str | None, topic: str, now: datetime, trigger_id
) -> dict:
    if not topic:
        return private("Say what the session is about: `/expert start Kubernetes upgrades`.")
    with session_scope(deps.engine) as session:
        result = sessions.start_now(
            session,
            team_id=team_id,
            user_id=user_id,
            channel_id=here or "",
            topic=topic,
            now=now,
            request_id=f"cmd:{trigger_id}" if trigger_id else None,
        )
        if isinstance(result, sessions.Transition):
            notify_sessions.queue_transition(session, result)
    if isinstance(result, sessions.Refused):
        return private(schedule.refusal_text(result))
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
