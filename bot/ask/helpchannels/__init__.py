"""Help channels in Slack: `/ask channels` (bot/helpchannels/command.py, reached from `/ask`),
the earlier lessons offered privately to people who ask in them, the askers' choices, and the
offer to save a marked answer as a lesson (core.helpchannels)."""

from __future__ import annotations

from slack_bolt import App

from bot.ask.helpchannels import listeners, senders
from bot.deps import Deps

SENDERS = senders.SENDERS


def register(app: App, deps: Deps) -> None:
    listeners.register(app, deps)


__all__ = ["SENDERS", "register"]
