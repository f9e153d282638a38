"""Time, in UTC, from one place so rules can be tested at a chosen instant.

The clock can be moved on (`advance`) for tests and the playground's tests, which must not wait
out a real minute to see an expert session close; nothing in a deployment moves it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC) + _offset


def advance(by: timedelta) -> None:
    """Move this process's clock on by `by` (never back: what was stored stays in the past)."""
    global _offset
    if by < timedelta(0):
        raise ValueError("the clock only moves on")
    _offset += by


def from_slack_ts(ts: str) -> datetime:
    """A Slack message ts ("1754400123.000400") as a UTC datetime."""
    return datetime.fromtimestamp(float(ts), UTC)
