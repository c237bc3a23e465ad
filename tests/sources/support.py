"""Helpers for the sources tests: fixture files and a fake clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "sources"
FETCHED_AT = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)


def fixture_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


class FakeClock:
    """A monotonic clock that only moves when someone sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds
