"""`/mentor` and its subcommands: open the Mentor Center or one of its forms, pause, resume or
leave an offer, the topic list (admins curate it), the scoreboard, a call for volunteers, and
how long Knowhow keeps what it no longer needs (bot/retention.py)."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext

from bot import ids, refusals, retention
from bot.ackbudget import SLOW_ADMIN_FORM, answer
from bot.admins import admin_or_told, is_admin
from bot.blockkit import private
from bot.deps import Deps
from bot.edge import team_of
from bot.mentor import blocks, modals
from bot.mentor.views import center_view, find_view, open_modal, profile_of, volunteer_view
from bot.scoreboard import listeners as scoreboard
from bot.text import neutralise_mentions, shown, unescape
from core import mentoring, topics
from core.clock import utcnow
from notify import mentoring as notify
from storage.db import session_scope

log = logging.getLogger(__name__)

# The subcommands that open a form at once: how to build it (its Slack lookups on the ack's
# budget), and what the person is told it is.
FORMS = {
    "": (center_view, "the Mentor Center"),
    "volunteer": (volunteer_view, "the form"),
    "find": (find_view, "the form"),
    "profile": (
        lambda deps, client, team_id, user_id: modals.profile_form(profile_of(deps, client, team_id, user_id)),
        "the form",
    ),
}


def handle_command(deps: Deps, ack: Ack, command: dict, context: BoltContext, client, respond) -> None:
    text = (command.get("text") or "").strip()
    first, _, rest = text.partition(" ")
    first, rest = first.lower(), rest.strip()
    team_id, user_id, trigger = team_of(context, command), command["user_id"], command.get("trigger_id")
    now = utcnow()
    if first in ("help", "?"):
        ack(**private(blocks.HELP))
    elif first in FORMS:
        # The trigger_id expires with the 3 seconds: the modal opens before the ack, within its budget.
        build, what = FORMS[first]
        with deps.ack_budget.client(client) as quick:
            open_modal(ack, quick, trigger, build(deps, quick, team_id, user_id), what, f"/mentor {first}".strip())
    elif first in ("pause", "resume"):
        with session_scope(deps.engine) as session:
            changed = mentoring.set_paused(session, team_id=team_id, user_id=user_id, paused=first == "pause", now=now)
            notify.after_pausing(session, team_id, user_id, changed)
        if changed is None:
            ack(**private("You do not offer to mentor, so there is nothing to pause. `/mentor volunteer` offers."))
        elif first == "pause":
            ack(
                **private(
                    "Paused: you will get no new matches. Mentorships already running carry on. `/mentor resume` restarts matching."
                    if changed
                    else "You were already paused. `/mentor resume` restarts matching."
                )
            )
        else:
            ack(
                **private(
                    "Resumed: you can be matched again." if changed else "You are not paused: you can be matched."
                )
            )
        deps.wake_outbox()
    elif first == "leave":
        with session_scope(deps.engine) as session:
            left = mentoring.leave(session, team_id=team_id, user_id=user_id, now=now)
            notify.after_leaving(session, team_id, user_id, left)
        if not left.was_volunteer:
            ack(**private("You do not offer to mentor, so there is nothing to leave."))
        else:
            running = (
                f" Your {left.running} running mentorship{'s' if left.running != 1 else ''} carr{'y' if left.running != 1 else 'ies'} on: "
                'nothing ends without you saying so (the halfway check-in has "We\'ve stopped").'
                if left.running
                else ""
            )
            ack(
                **private(
                    "You no longer offer to mentor, and will get no new matches."
                    + running
                    + " `/mentor volunteer` offers again whenever you like."
                )
            )
        deps.wake_outbox()
    elif first == "topics":
        # Who is an admin is Slack's to say: when it is slow, this is done after the ack.
        answer(
            deps.ack_budget,
            ack,
            respond,
            context,
            client,
            lambda c: topics_command(deps, c, team_id, user_id, unescape(rest)),
        )
    elif first == "scoreboard":
        scoreboard.command(deps, ack, command, context, client, rest)
    elif first == "broadcast":
        broadcast(deps, ack, command, context, client, team_id, user_id)
    elif first == "retention":
        retention.command(deps, ack, command, context, client, respond, rest)
    else:
        ack(**private(f"I don't know `/mentor {neutralise_mentions(first)}`.\n\n" + blocks.HELP))


def broadcast(deps: Deps, ack: Ack, command: dict, context: BoltContext, client, team_id: str, user_id: str) -> None:
    """`/mentor broadcast` (admins): the form of a call for volunteers. Both the admin check and the
    modal are before the ack (the trigger_id expires with it), within its budget."""
    with deps.ack_budget.client(client) as quick:
        if not admin_or_told(
            deps,
            context,
            client,
            user_id,
            what="/mentor broadcast",
            slow=lambda: ack(**private(SLOW_ADMIN_FORM.format(command="/mentor broadcast"))),
            refused=lambda: ack(**private(refusals.BROADCAST)),
            quick=quick,
        ):
            return
        with session_scope(deps.engine) as session:
            listed = mentoring.topic_list(session, team_id=team_id)
        open_modal(
            ack,
            quick,
            command.get("trigger_id"),
            modals.broadcast_form(listed, command.get("channel_id")),
            "the form",
            "/mentor broadcast",
        )


def topics_command(deps: Deps, client, team_id: str, user_id: str, words: str) -> dict:
    action, _, rest = words.partition(" ")
    action, rest = action.lower(), rest.strip()
    if action in ("", "list"):
        with session_scope(deps.engine) as session:
            listed = mentoring.topic_list(session, team_id=team_id)
            asked = mentoring.unlisted_requested(session, team_id=team_id)
        # Admins also see the topics protégés named in their requests, to curate them (names only).
        unlisted = blocks.unlisted_requested(asked) if asked and is_admin(deps, client, user_id) else ""
        if not listed:
            return private(
                "No mentoring topics yet. Admins add them with `/mentor topics add <topic>`; anyone can suggest one in the forms."
                + unlisted
            )
        return private(
            "*Mentoring topics*\n" + "\n".join(f"• {shown(blocks.topic_label(t))}" for t in listed) + unlisted
        )
    if action not in ("add", "remove"):
        return private(
            f"I don't know `/mentor topics {shown(action)}`. Try `/mentor topics`, or (admins) `/mentor topics add <topic>`."
        )
    if not rest:
        return private(f"Say which topic, for example `/mentor topics {action} Leadership`.")
    if not is_admin(deps, client, user_id):
        return private(refusals.MENTOR_TOPICS)
    with session_scope(deps.engine) as session:
        if action == "add":
            try:
                topic, changed = mentoring.add_topic(session, team_id=team_id, raw=rest, user_id=user_id, curated=True)
            except topics.TopicError as exc:
                return private(f"{exc} Try again, for example `/mentor topics add Leadership`.")
            return private(
                f"*{shown(topic.name)}* is on the mentoring list."
                if changed
                else f"*{shown(topic.name)}* was already on the list."
            )
        name = mentoring.remove_topic(session, team_id=team_id, raw=rest)
    if name is None:
        return private(f"*{shown(rest)}* is not on the mentoring list. `/mentor topics` shows it.")
    return private(f"Removed *{shown(name)}* from the list. Offers and requests already in it carry on.")


def register(app: App, deps: Deps) -> None:
    @app.command(ids.MENTOR_COMMAND)
    def mentor_command(ack, command, context, client, respond):
        try:
            handle_command(deps, ack, command, context, client, respond)
        except Exception:
            log.exception("/mentor failed")
            ack(**private("Sorry, that could not be done just now. Please try again in a minute."))
