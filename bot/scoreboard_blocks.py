"""Moved to bot.scoreboard.blocks. Kept only for bot.home_blocks, which shows the board on the
Home: once it imports bot.scoreboard.blocks itself, delete this module."""

from bot.scoreboard.blocks import board_blocks, privacy_note

__all__ = ["board_blocks", "privacy_note"]
