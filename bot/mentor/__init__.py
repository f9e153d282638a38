"""The Mentor Center's Slack edge: `/mentor` and its subcommands (bot.mentor.command), the forms
(bot.mentor.forms), the buttons in direct messages (bot.mentor.buttons), and the outbox senders
for everything it says (bot.mentor.senders). The rules are in core.mentoring; what each change
queues is in notify.mentoring.

Privacy is built into where things go: requests, candidates, answers and ratings only ever
travel in a modal or a direct message to the person concerned; the one channel post (a call for
volunteers) carries counts behind the privacy threshold.
"""

from __future__ import annotations

import logging
import re

from slack_bolt import App

from bot import ids
from bot.blockkit import private
from bot.deps import Deps
from bot.edge import said_on_failure
from bot.mentor.buttons import handle_answer, handle_choose, handle_met, handle_open_form, handle_withdraw
from bot.mentor.command import handle_command
from bot.mentor.forms import (
    handle_broadcast_form,
    handle_find_form,
    handle_profile_form,
    handle_volunteer_form,
    handle_wrap_up_form,
)
from bot.mentor.senders import SENDERS

__all__ = ["SENDERS", "register"]

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    @app.command(ids.MENTOR_COMMAND)
    def mentor_command(ack, command, context, client):
        try:
            handle_command(deps, ack, command, context, client)
        except Exception:
            log.exception("/mentor failed")
            ack(**private("Sorry, that could not be done just now. Please try again in a minute."))

    forms = {
        ids.MENTOR_VOLUNTEER_MODAL: handle_volunteer_form,
        ids.MENTOR_FIND_MODAL: handle_find_form,
        ids.MENTOR_PROFILE_MODAL: handle_profile_form,
        ids.MENTOR_WRAP_UP_MODAL: handle_wrap_up_form,
    }

    def form_listener(handler):
        # Bolt passes listeners arguments by name, so the handler is bound here, not as a default.
        def form(ack, body, view, context):
            try:
                handler(deps, ack, body, view, context)
            except Exception:
                log.exception("a Mentor Center form failed")
                first = next(iter((view.get("state") or {}).get("values") or {}), ids.MENTOR_IN_ROLE)
                ack(
                    response_action="errors",
                    errors={first: "Sorry, this could not be saved just now. Please try again in a minute."},
                )

        return form

    for callback_id, handler in forms.items():
        app.view(callback_id)(form_listener(handler))

    @app.view(ids.MENTOR_BROADCAST_MODAL)
    def broadcast_form(ack, body, view, context, client):
        handle_broadcast_form(deps, ack, body, view, context, client)

    def open_form(ack, body, context, client, respond):
        with said_on_failure(respond, "the form"):
            handle_open_form(deps, ack, body, context, client)

    for action_id in (
        ids.MENTOR_OPEN_VOLUNTEER,
        ids.MENTOR_OPEN_FIND,
        ids.MENTOR_OPEN_PROFILE,
        ids.MENTOR_OPEN_WRAP_UP,
    ):
        app.action(action_id)(open_form)

    @app.action(ids.MENTOR_WITHDRAW)
    def withdraw(ack, body, context, client):
        handle_withdraw(deps, ack, body, context, client)

    @app.action(ids.MENTOR_CHOOSE)
    def choose(ack, body, context, respond):
        with said_on_failure(respond):
            handle_choose(deps, ack, body, context, respond)

    def answer(ack, body, context, respond):
        with said_on_failure(respond):
            handle_answer(deps, ack, body, context, respond)

    app.action(ids.MENTOR_ACCEPT)(answer)
    app.action(ids.MENTOR_DECLINE)(answer)

    @app.action(re.compile(f"^{ids.MENTOR_MET}_(yes|not_yet|stopped)$"))
    def met(ack, body, context, respond):
        with said_on_failure(respond):
            handle_met(deps, ack, body, context, respond)
