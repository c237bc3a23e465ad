"""Fixtures for the sources tests: a fake clock and a client factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from schoolwatch.config import HttpConfig
from sources.http import HttpClient
from tests.sources.support import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(clock: FakeClock) -> Iterator[Callable[..., HttpClient]]:
    """Build clients with test-friendly defaults (no robots, no spacing); closed afterwards.

    Their clock is the fake one unless `real_time=True` (for timeouts, where the server's real
    slowness is what is measured)."""
    clients: list[HttpClient] = []

    def make(*, real_time: bool = False, **overrides: object) -> HttpClient:
        settings: dict[str, object] = {
            "user_agent": "schoolwatch-test/0.1",
            "timeout_s": 2,
            "min_interval_s": 0,
            "respect_robots": False,
            "retries": 2,
        }
        settings.update(overrides)
        config = HttpConfig.model_validate(settings)
        if real_time:
            client = HttpClient(config)
        else:
            client = HttpClient(config, sleep=clock.sleep, clock=clock.monotonic)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
