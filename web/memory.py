"""In-memory helpers that spare the warehouse: a sliding-window limit on sign-in requests per
client, and a short-lived cache of live sessions.

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


SESSION_RECHECK_S = 30.0


class SessionCache:
    """Sessions found live in the warehouse in the last `recheck_s` seconds, so most pages
    open the file once, not twice. Signing out here drops the entry at once; a session that
    expires is refused at most `recheck_s` later."""

    def __init__(
        self, recheck_s: float = SESSION_RECHECK_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.recheck_s = recheck_s
        self._clock = clock
        self._found: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            found = self._found.get(key)
            if found is None or self._clock() - found[1] > self.recheck_s:
                self._found.pop(key, None)
                return None
            return found[0]

    def put(self, key: str, email: str) -> None:
        with self._lock:
            if len(self._found) > 10_000:
                self._found.clear()
            self._found[key] = (email, self._clock())

    def drop(self, key: str) -> None:
        with self._lock:
            self._found.pop(key, None)
