""" "Save as a lesson": any thread becomes a lesson of the knowledge base (core.saving), from the
message shortcut or the button Knowhow offers it with."""

from __future__ import annotations

from bot.lessons import listeners, senders

SENDERS = senders.SENDERS
register = listeners.register

__all__ = ["SENDERS", "register"]
