"""Test-wide settings and fixtures. Prefect reads its settings at import, so they are set here,
first."""

import os
import tempfile
from collections.abc import Iterator

import pytest

_prefect_home = tempfile.mkdtemp(prefix="schoolwatch-prefect-")
os.environ.setdefault("PREFECT_HOME", _prefect_home)
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.pop("PREFECT_API_URL", None)
# the classifier's compiled expressions (analysis/regex_cache.py): kept for the session's
# processes, not in the home folder of whoever runs the tests
os.environ.setdefault("SCHOOLWATCH_CACHE_DIR", tempfile.mkdtemp(prefix="schoolwatch-cache-"))


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test harness for the whole session (whole-flow tests in any folder)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        prefect_test_harness(server_startup_timeout=120),
        temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield
