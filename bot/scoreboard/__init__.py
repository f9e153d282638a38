"""The weekly scoreboard's Slack edge: `/mentor scoreboard` and its settings form
(bot.scoreboard.listeners; the command arrives through `/mentor`), the weekly post and its
picture (bot.scoreboard.senders). The sweep that queues the post is notify.scoreboard's."""

from __future__ import annotations

from slack_bolt import App

from bot import ids
from bot.deps import Deps
from bot.scoreboard.listeners import handle_settings_form
from bot.scoreboard.senders import SENDERS

__all__ = ["SENDERS", "register"]


def register(app: App, deps: Deps) -> None:
    @app.view(ids.SCOREBOARD_SETTINGS_MODAL)
    def settings_form(ack, body, view, context, client):
        handle_settings_form(deps, ack, body, view, context, client)
