"""Imported only by the fork server of `analysis.pool`: loads the classifier there, once, so
that every worker forked from it starts with the classifier in memory.

The fork server may have been started early, before the run knew whether it had posts to
assess (`analysis.pool.start_loading`). If the run ends while the classifier is still loading
here, this process ends too, at once, rather than finishing a load nobody will use.
"""

import os
import threading
from contextlib import suppress

from analysis.pool import warm

_run = os.getppid()
_loaded = threading.Event()


def _end_with_the_run() -> None:
    while not _loaded.wait(0.1):
        if os.getppid() != _run:  # the run's process has ended
            os._exit(0)


_watch = threading.Thread(target=_end_with_the_run, name="end-with-the-run", daemon=True)
_watch.start()
try:
    # a failure is not raised here, where it would end the fork server with a traceback: each
    # worker then loads the classifier itself, meets the same error, and its tasks raise it
    with suppress(Exception):
        warm()
finally:
    _loaded.set()
    _watch.join()  # no thread is left when the server forks its workers
