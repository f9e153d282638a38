"""The App Home tab: the person's own picture and the workspace's scoreboard, published on
`app_home_opened` and again (through the outbox) when something in it changes."""

from __future__ import annotations

from bot.home import listeners, senders

SENDERS = senders.SENDERS
register = listeners.register

__all__ = ["SENDERS", "register"]
