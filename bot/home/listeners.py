"""The App Home tab: published when a person opens it, and its "Ask a question" button."""

from __future__ import annotations

import logging

from slack_bolt import App

from bot import ids
from bot.ackbudget import SlackSlow
from bot.ask import blocks as ask_blocks
from bot.deps import Deps
from bot.edge import team_of
from bot.home.view import view

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    def publish(event, client, context, body):
        if event.get("tab") != "home":
            return
        client.views_publish(
            user_id=event["user"], view=view(deps.engine, deps.settings, team_of(context, body), event["user"])
        )

    # Lazy: the event is acked at once and the Web API call runs after, so a slow or rate-limited
    # Slack never turns the ack into a failure (and a redelivery).
    app.event("app_home_opened")(ack=lambda: None, lazy=[publish])

    @app.action(ids.HOME_ASK)
    def ask_form(ack, body, client):
        ack()
        try:  # the trigger_id expires with the 3 seconds: before the ack, within its budget
            with deps.ack_budget.client(client) as quick:
                quick.views_open(trigger_id=body["trigger_id"], view=ask_blocks.ask_modal(channel_id=None))
        except SlackSlow as exc:
            # The Home has no response_url: nothing to say it with but the Home itself, which is Slack's too.
            log.warning("the Home's ask button: Slack did not open the form in time (%s)", exc)
