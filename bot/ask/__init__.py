"""/ask in Slack: asking (command, form, earlier answers offered first), searching, answers in
threads, accepting an answer, and the senders that post and keep questions up to date."""

from __future__ import annotations

from slack_bolt import App

from bot.ask import accept, listeners, messages, search, senders, work
from bot.deps import Deps

SENDERS = {**senders.SENDERS, **work.SENDERS, **messages.SENDERS}


def register(app: App, deps: Deps) -> None:
    # Bolt tries each listener's matcher in the order registered until one matches, and each try
    # costs (it builds the listener's arguments): the busiest requests, message events and /ask,
    # are registered first (bot.app registers this feature first).
    messages.register(app, deps)
    listeners.register(app, deps)
    search.register(app, deps)
    accept.register(app, deps)


__all__ = ["SENDERS", "register"]
