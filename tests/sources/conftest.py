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
    """Build clients with test-friendly defaults (no robots, no spacing); closed afterwards."""
    clients: list[HttpClient] = []

    def make(**overrides: object) -> HttpClient:
        settings: dict[str, object] = {
            "user_agent": "schoolwatch-test/0.1",
            "timeout_s": 2,
            "min_interval_s": 0,
            "respect_robots": False,
            "retries": 2,
        }
        settings.update(overrides)
        client = HttpClient(
            HttpConfig.model_validate(settings), sleep=clock.sleep, clock=clock.monotonic
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
