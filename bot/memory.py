"""A small thread-safe memory of what Slack (or the database) said lately, on cachetools.

Values go stale after `seconds` (None: they stay until newer ones push them out), and at most
`limit` are kept, the least recently used leaving first.
"""

from __future__ import annotations

import threading

from cachetools import LRUCache, TTLCache

LIMIT = 10_000


class Memory:
    def __init__(self, seconds: float | None = None, limit: int = LIMIT):
        self._values = TTLCache(limit, seconds) if seconds is not None else LRUCache(limit)
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            return self._values.get(key, default)

    def put(self, key, value) -> None:
        with self._lock:
            self._values[key] = value

    def forget(self, key) -> None:
        with self._lock:
            self._values.pop(key, None)
