"""Python's cyclic garbage collector paused while the classifier builds its lookups.

Compiling a large regular expression, or parsing the rule and frame books, makes hundreds of
thousands of short-lived objects. Each batch of new objects sets off a collection, and a full
collection walks every object the process holds (Prefect, DuckDB and the loaded model in a
run): half of the classifier's start-up went in those walks, which free nothing, because what
is built is either kept or freed by its reference count at once. The collector is switched off
for such a block and on again after it; the next collection finds any cycle made meanwhile.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block. The collector is switched on again on leaving
    only if it was on when the block began, so a caller that had switched it off keeps it off,
    and two threads inside such blocks at once leave it on once the first of them leaves."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
