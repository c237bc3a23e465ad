"""A sliding-window limit on sign-in requests per client, kept in memory.

Per address the warehouse counts the links it stored (at most a few per quarter hour), so that
limit holds across restarts; this one stops a single client trying many addresses.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """At most `limit` hits per key in any `window_s` seconds."""

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count a hit for `key`; False when it is over the limit (the hit is not counted)."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients rather than grow without end
                self._hits = {k: v for k, v in self._hits.items() if v}
            return True
