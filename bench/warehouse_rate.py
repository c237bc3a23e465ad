"""Warehouse write rate: one run's posts and assessments stored, rows per second.

    uv run python -m bench.warehouse_rate [--posts 5000] [--repeat 3]

A run's whole store step (`warehouse.store.store_run` in one transaction: fetches, posts,
versions, assessments, cases, commit and close) into a fresh file, through the Arrow bulk path
and, alternately in the same run, through the list-parameter path (`insert_rows`) it replaced:
the ratio between them holds on a busy machine, and the CPU time the store took says what a
quiet machine would do. Rows are posts plus assessments.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.corpus import Corpus, fetch_result
from bench.figures import Figure
from warehouse import Warehouse, store
from warehouse.bulk import RowWriter, append_rows
from warehouse.connection import insert_rows, transaction

TARGET_ROWS_S = 50_000


def _store_once(corpus: Corpus, posts: int, write: RowWriter) -> tuple[float, float, int]:
    """Wall and CPU seconds to store `posts` new posts, and the rows written (posts plus
    assessments)."""
    batch, assessments = corpus.batch(posts)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        Warehouse(path)  # created and migrated before the clock starts
        now = corpus.fetched_at
        t0, cpu0 = time.perf_counter(), time.process_time()
        with transaction(path) as con:
            summary = store.store_run(
                con, "bench", now, [fetch_result(batch, now)], batch, assessments, now, write
            )
        took, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return took, cpu, summary.new_posts + summary.new_assessments


def measure(posts: int = 5000, repeat: int = 3, corpus: Corpus | None = None) -> list[Figure]:
    corpus = corpus or Corpus()
    arrow = arrow_cpu = unnest = float("inf")
    rows = 0
    for _ in range(repeat):  # alternating, best of each: a busy neighbour hurts both alike
        took, cpu, rows = _store_once(corpus, posts, append_rows)
        arrow, arrow_cpu = min(arrow, took), min(arrow_cpu, cpu)
        unnest = min(unnest, _store_once(corpus, posts, insert_rows)[0])
    return [
        Figure(
            "warehouse: store a run (Arrow)",
            rows / arrow,
            "rows/s",
            TARGET_ROWS_S,
            note=f"{rows:,} rows of posts and assessments in {arrow:.2f} s, best of {repeat}",
        ),
        Figure(
            "warehouse: rows per CPU second (Arrow)",
            rows / arrow_cpu,
            "rows/s",
            note="the same store counted in this process's CPU time: what a quiet machine's "
            "wall clock would show, less the waits for the disk",
        ),
        Figure(
            "warehouse: Arrow against list parameters",
            unnest / arrow,
            "x",
            note=f"list-parameter path {rows / unnest:,.0f} rows/s in the same run",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.warehouse_rate", description=__doc__)
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for figure in measure(args.posts, args.repeat):
        print(figure.line())


if __name__ == "__main__":
    main()
