"""Prefect settings that must be in place before the first `import prefect`.

Prefect reads its settings at import; these defaults make the in-process (ephemeral) API
usable on a small machine without a Prefect server. A user's own settings win.
"""

from __future__ import annotations

import os

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
