"""Where one store step's time goes: each SQL statement, commit, close, and the Python between.

    uv run python -m bench.store_phases [--posts 5000] [--history 0]

One store of `posts` new posts (bench/corpus.py), as bench/warehouse_rate.py times it (open,
store and purge in one transaction, commit, close), into a new file or one already holding
`history` posts, with every call on the connection timed: DuckDB runs outside the interpreter,
so a Python profiler sees its statements only as the line that started them. "python" is the
store's time less its statements': building rows, hashing, Arrow tables.
For older code, run that code's own copy (see bench/warehouse_rate.py).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.corpus import Corpus
from bench.warehouse_rate import _history, store_and_purge
from warehouse import Warehouse
from warehouse.connection import connect

LABEL_CHARS = 72
# where DuckDB checkpoints (compresses the rows into the file) depends on the store's settings:
# at commit since the store sets `warehouse.bulk.BULK_WRITE_SETTINGS`, at close before
COMMIT, CLOSE = "commit (a checkpoint, with the store's settings)", "close"


class TimedConnection:
    """A DuckDB connection whose every method call adds its wall time to `seconds`, under the
    statement's first words for `execute`."""

    def __init__(self, con: Any, seconds: dict[str, float]) -> None:
        self._con, self._seconds = con, seconds

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._con, name)
        if not callable(attr):
            return attr

        def timed(*args: Any, **kwargs: Any) -> Any:
            label = " ".join(str(args[0]).split())[:LABEL_CHARS] if name == "execute" else name
            t0 = time.perf_counter()
            out = attr(*args, **kwargs)
            self._seconds[label] += time.perf_counter() - t0
            return self if out is self._con else out  # chained calls stay timed

        return timed


def phases(corpus: Corpus, posts: int, history: int = 0) -> tuple[int, dict[str, float]]:
    """Rows stored and seconds per phase of one store."""
    seconds: dict[str, float] = defaultdict(float)
    batch, assessments = corpus.batch(posts, history)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        if history:
            shutil.copyfile(_history(corpus, history, Path(tmp)), path)
        else:
            Warehouse(path)

        def step(name: str, fn: Callable[[], Any]) -> Any:
            t0 = time.perf_counter()
            out = fn()
            seconds[name] += time.perf_counter() - t0
            return out

        t0 = time.perf_counter()
        con = step("open (connect)", lambda: connect(path))
        con.begin()
        timed: Any = TimedConnection(con, seconds)
        summary = step(
            "store", lambda: store_and_purge(timed, batch, assessments, corpus.fetched_at)
        )
        step(COMMIT, con.commit)
        step(CLOSE, con.close)
        seconds["total"] = time.perf_counter() - t0
    steps = ("store", "total", "open (connect)", COMMIT, CLOSE)
    statements = sum(v for k, v in seconds.items() if k not in steps)
    seconds["python (store less its statements)"] = seconds.pop("store") - statements
    return summary.new_posts + summary.new_assessments, seconds


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.store_phases", description=__doc__)
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--history", type=int, default=0)
    args = parser.parse_args()
    rows, seconds = phases(Corpus(1000), args.posts, args.history)
    total = seconds.pop("total")
    print(f"{args.posts:,} posts, {rows:,} rows in {total:.3f} s = {rows / total:,.0f} rows/s")
    for name, s in sorted(seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {1000 * s:8.1f} ms  {name}")


if __name__ == "__main__":
    main()
