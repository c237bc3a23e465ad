"""Loading the classifier in the background while Prefect starts its API.

On Prefect's ephemeral API (no `PREFECT_API_URL`), a run's process spends seconds waiting for the
API server, a separate process, to answer. The classifier's start-up (reading the model and
compiling the threat frames' and rules' regular expressions, 2–4 s) is CPU work in the run's own
process: done in a thread during that wait, on the machine's other core, it is off the run's
critical path. The analyse stage waits for it before it assesses anything, so the classifier is
never loaded twice at once.

A run where nothing changed does not need the classifier; the thread loads it anyway, while the
process would otherwise be waiting.
"""

from __future__ import annotations

import contextlib
import threading

from analysis.pool import warm

_thread: threading.Thread | None = None


def _load() -> None:
    # a failure here is not lost: the analyse stage loads again and reports it there
    with contextlib.suppress(Exception):
        warm()


def start_loading() -> None:
    """Start loading the classifier in a daemon thread (once per process)."""
    global _thread
    if _thread is None:
        _thread = threading.Thread(target=_load, name="classifier-warm-up", daemon=True)
        _thread.start()


def wait_until_loaded() -> None:
    """Return once a load started by `start_loading` has finished (at once if none was)."""
    if _thread is not None:
        _thread.join()
