"""Time, in UTC, from one place so rules can be tested at a chosen instant."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def from_slack_ts(ts: str) -> datetime:
    """A Slack message ts ("1754400123.000400") as a UTC datetime."""
    return datetime.fromtimestamp(float(ts), UTC)
