"""/ask in Slack: asking (command, form, earlier answers offered first), searching, answers in
threads, accepting an answer, the senders that post and keep questions up to date, and help
channels (`/ask channels`: earlier lessons offered to people who ask there, bot/ask/helpchannels)."""

from __future__ import annotations

from slack_bolt import App

from bot.ask import accept, helpchannels, listeners, messages, search, senders, work
from bot.deps import Deps

SENDERS = {**senders.SENDERS, **work.SENDERS, **messages.SENDERS, **helpchannels.SENDERS}


def register(app: App, deps: Deps) -> None:
    # Bolt tries each listener's matcher in the order registered until one matches, and each try
    # costs (it builds the listener's arguments): the busiest requests, message events and /ask,
    # are registered first (bot.app registers this feature first).
    messages.register(app, deps)
    listeners.register(app, deps)
    search.register(app, deps)
    accept.register(app, deps)
    helpchannels.register(app, deps)


__all__ = ["SENDERS", "register"]
