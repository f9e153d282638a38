"""Ask the Expert sessions in Slack: the `/expert` command (sessions and expertise topics), the
scheduling form, the "defer to date" picker, and the senders for everything sessions say."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.sessions import command, defer, schedule, senders

SENDERS = senders.SENDERS


def register(app: App, deps: Deps) -> None:
    command.register(app, deps)
    schedule.register(app, deps)
    defer.register(app, deps)


__all__ = ["SENDERS", "register"]
