"""The Mentor Center's Slack edge: `/mentor` and its subcommands (bot.mentor.command), the forms
(bot.mentor.forms), the buttons in direct messages (bot.mentor.buttons), and the outbox senders
for everything it says (bot.mentor.senders). The rules are in core.mentoring; what each change
queues is in notify.mentoring.

Privacy is built into where things go: requests, candidates, answers and ratings only ever
travel in a modal or a direct message to the person concerned; the one channel post (a call for
volunteers) carries the topic's demand as the scoreboard shows it (core.privacy's rule), never a name.
"""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.mentor import buttons, command, forms
from bot.mentor.senders import SENDERS

__all__ = ["SENDERS", "register"]


def register(app: App, deps: Deps) -> None:
    for listeners in (command, forms, buttons):
        listeners.register(app, deps)
