"""Slack's per-channel limit on posting, for the stand-in: a token bucket per channel.

Slack lets an app post about one message a second in a channel, tolerating short bursts, and
answers HTTP 429 with `Retry-After` (whole seconds) and `{"ok": false, "error": "ratelimited"}`
beyond that. `ChannelLimit` models it as a bucket of `burst` tokens per channel refilled at `rate`
a second: a post takes a token or is refused. It is off unless asked for (`FakeSlack(post_rate_limit=...)`
or `FakeSlack.limit_posts`), so tests that post freely are not slowed down.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable

from fakeslack.http import Answer

# The methods limited per channel unless told otherwise: chat.postMessage's special limit. Others
# (chat.postEphemeral, chat.update) can be limited the same way by naming them.
POSTING = frozenset({"chat.postMessage"})


class ChannelLimit:
    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        methods: frozenset[str] = POSTING,
        clock: Callable[[], float] = time.monotonic,
    ):
        if rate <= 0 or burst < 1:
            raise ValueError("the rate must be positive and the burst at least 1")
        self.rate, self.burst, self.methods, self.clock = rate, burst, methods, clock
        self._tokens: dict[str, float] = {}
        self._stamp: dict[str, float] = {}
        self._lock = threading.Lock()
        # How many 429s each channel was answered, and how many posts it let through.
        self.refused: Counter[str] = Counter()
        self.passed: Counter[str] = Counter()

    def check(self, method: str, channel: str) -> Answer | None:
        """None when the call may go on (a token was taken), else Slack's 429 answer."""
        if method not in self.methods or not channel:
            return None
        with self._lock:
            now = self.clock()
            tokens = min(
                self.burst,
                self._tokens.get(channel, self.burst) + (now - self._stamp.get(channel, now)) * self.rate,
            )
            self._stamp[channel] = now
            if tokens >= 1:
                self._tokens[channel] = tokens - 1
                self.passed[channel] += 1
                return None
            self._tokens[channel] = tokens
            self.refused[channel] += 1
            wait = (1 - tokens) / self.rate
        return Answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(max(1, math.ceil(wait)))})

    @property
    def total_refused(self) -> int:
        with self._lock:
            return sum(self.refused.values())
