"""Where one store step's time goes: each SQL statement, commit, close, and the Python between.

    uv run python -m bench.store_phases [--posts 5000] [--history 0] [--repeat 1]

One store of `posts` new posts (bench/corpus.py), as bench/warehouse_rate.py times it (open,
store and purge in one transaction, commit, close), into a new file or one already holding
`history` posts, with every call on the connection timed: DuckDB runs outside the interpreter,
so a Python profiler sees its statements only as the line that started them. "python" is the
store's time less its statements': building columns, hashing, Arrow tables. With `--repeat`,
each phase's best of that many stores in one process, and how many full garbage collections
of the process's objects ran inside them.
For older code, run that code's own copy (see bench/warehouse_rate.py).
"""

from __future__ import annotations

import argparse
import gc
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
# DuckDB's checkpoint (the rows compressed into the file) is in the commit since the store sets
# `warehouse.bulk.BULK_WRITE_SETTINGS`; before that, in the close
COMMIT, CLOSE = "commit", "close"


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


def phases(corpus: Corpus, posts: int, history: int = 0) -> tuple[int, dict[str, float], int]:
    """Rows stored, seconds per phase of one store, and how many full (oldest-generation)
    garbage collections ran from opening the file to closing it."""
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

        full = gc.get_stats()[2]["collections"]
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
        full = gc.get_stats()[2]["collections"] - full
    steps = ("store", "total", "open (connect)", COMMIT, CLOSE)
    statements = sum(v for k, v in seconds.items() if k not in steps)
    seconds["python (store less its statements)"] = seconds.pop("store") - statements
    return summary.new_posts + summary.new_assessments, seconds, full


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.store_phases", description=__doc__)
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--history", type=int, default=0)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="stores in one process, each into a new file; each phase's best is shown "
        "(the first store also pays the process's one-time costs)",
    )
    args = parser.parse_args()
    corpus = Corpus(1000)
    stores = [phases(corpus, args.posts, args.history) for _ in range(args.repeat)]
    rows = stores[0][0]
    total = min(seconds.pop("total") for _, seconds, _ in stores)
    best = {name: min(s[1].get(name, 0.0) for s in stores) for name in stores[0][1]}
    full = sum(n for _, _, n in stores)
    print(f"{args.posts:,} posts, {rows:,} rows in {total:.3f} s = {rows / total:,.0f} rows/s"
          f" (best of {args.repeat}; full garbage collections in the stores: {full})")  # fmt: skip
    for name, s in sorted(best.items(), key=lambda kv: -kv[1]):
        print(f"  {1000 * s:8.1f} ms  {name}")


if __name__ == "__main__":
    main()
