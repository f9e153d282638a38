"""What listeners and senders need from the running process, handed over explicitly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from bot.ackbudget import AckBudget
from bot.config import Settings
from bot.installs import Identity, Installs


@dataclass
class Deps:
    engine: Engine
    settings: Settings
    # Called after something was queued in the outbox, so it goes out now rather than at the next poll.
    wake_outbox: Callable[[], None] = field(default=lambda: None)
    # Called after a request was stored as work (notify.queue_work), so it is done now.
    wake_work: Callable[[], None] = field(default=lambda: None)
    # Called with a session just scheduled or started, to set its alarms when this process runs
    # the scheduler (a replica leaves it to the scheduler's sweep).
    on_session_scheduled: Callable[[object], None] = field(default=lambda info: None)
    # Who SLACK_BOT_TOKEN is (auth.test), in single-token mode; None in distribution mode.
    identity: Identity | None = None
    # Where this process finds bot tokens outside a request (bot/installs.py); None: not needed.
    installs: Installs | None = None
    # How long a request may wait on Slack before it is answered, and how many at once (bot/ackbudget.py).
    ack_budget: AckBudget = field(default_factory=AckBudget)
