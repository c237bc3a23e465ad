"""Prefect settings that must be in place before the first `import prefect`.

Prefect reads its settings at import; these defaults make the in-process (ephemeral) API
usable on a small machine without a Prefect server. A user's own settings win.
"""

from __future__ import annotations

import logging
import os

from schoolwatch.errors import SchoolwatchError

DEFAULTS = {
    # the ephemeral server needs longer than its 20 s default on a busy 2-core machine
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    # silences a harmless "Error flushing events" traceback at exit
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}


def apply_defaults() -> None:
    """Set schoolwatch's Prefect defaults unless the environment already sets them."""
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)


class _KnownErrorsWithoutTraceback(logging.Filter):
    """Prefect logs a failed run's exception with its traceback; for the failures we explain
    (a `SchoolwatchError`: locked warehouse, full disk, bad config) the one-line message is
    the whole story, so the traceback is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if isinstance(record.exc_info, tuple) else None
        if isinstance(exc, SchoolwatchError):
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_known_errors() -> None:
    """Drop tracebacks of explained failures from Prefect's flow and task run logs."""
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logging.getLogger(name).addFilter(_KnownErrorsWithoutTraceback())
