"""What listeners and senders need from the running process, handed over explicitly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from bot.config import Settings


@dataclass
class Deps:
    engine: Engine
    settings: Settings
    # Called after something was queued in the outbox, so it goes out now rather than at the next poll.
    wake_outbox: Callable[[], None] = field(default=lambda: None)
