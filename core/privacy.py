"""Counts shown in a channel are aggregates, and a small count could single someone out: below
the workspace's threshold (KNOWHOW_PRIVACY_THRESHOLD, default 3) it is shown as "fewer than N"."""

from __future__ import annotations

DEFAULT_THRESHOLD = 3


def count_text(count: int, threshold: int = DEFAULT_THRESHOLD) -> str:
    """ "7", or "fewer than 3" for a count under the threshold (zero included: "nobody" next to
    "fewer than 3" would tell the two apart)."""
    return f"fewer than {threshold}" if count < threshold else f"{count:,}"


def is_exact(count: int, threshold: int = DEFAULT_THRESHOLD) -> bool:
    return count >= threshold
