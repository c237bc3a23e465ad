"""Warehouse write rate: one run's posts and assessments stored, rows per second.

    uv run python -m bench.warehouse_rate [--posts 5000] [--repeat 3] [--history 50000]

What a scheduled run's store step does, timed whole: open the file, `warehouse.store.store_run`
in one transaction (fetches, posts, sealed versions, assessments, cases, and the purge of
unflagged mentions past the default 90-day retention, as `Warehouse.store_run` does with the
configured `retention_days`), commit (where the store's settings make DuckDB checkpoint: the
rows compressed into the file) and close. Rows are posts plus assessments, every one new.

Twice: into a new file, and into a file that already holds `history` posts of earlier runs
(copied into place before the clock starts), where the lookups of known posts, the purge, the
indexes and the checkpoint have a warehouse's worth of rows to work beside. The new-file store
goes alternately through the Arrow bulk path and the list-parameter path (`insert_columns`)
it replaced: the ratio between them holds on a busy machine, and the CPU time the store took
says what a quiet machine would do.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import duckdb

from bench.backfill import DISTINCT
from bench.corpus import Corpus, fetch_result
from bench.figures import Figure
from schoolwatch.config import WarehouseConfig
from schoolwatch.models import Assessment, Post
from warehouse import Warehouse, maintenance, store
from warehouse.bulk import ColumnWriter, append_columns
from warehouse.connection import insert_columns, transaction
from warehouse.records import StoreSummary

TARGET_ROWS_S = 50_000
RETENTION_DAYS = WarehouseConfig.model_fields["retention_days"].default


def _store_once(
    corpus: Corpus, posts: int, write: ColumnWriter, history: Path | None = None, start: int = 0
) -> tuple[float, float, int]:
    """Wall and CPU seconds to store `posts` new posts (from `start` in the corpus) into a
    new file, or a copy of `history`; and the rows written (posts plus assessments)."""
    batch, assessments = corpus.batch(posts, start)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        if history is None:
            Warehouse(path)  # created and migrated before the clock starts
        else:
            shutil.copyfile(history, path)
        now = corpus.fetched_at
        t0, cpu0 = time.perf_counter(), time.process_time()
        with transaction(path) as con:
            summary = store_and_purge(con, batch, assessments, now, write)
        took, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return took, cpu, summary.new_posts + summary.new_assessments


def store_and_purge(
    con: duckdb.DuckDBPyConnection,
    batch: list[Post],
    assessments: list[Assessment],
    now: datetime,
    write: ColumnWriter = append_columns,
) -> StoreSummary:
    """What `Warehouse.store_run` does in its transaction with the default retention: the
    store, then the purge (two steps, as the store made them before the purge moved into
    `store.store_run`). To measure older code, `git archive` it to a folder and run its own
    copy of this bench from there: the store's writers took rows, not columns, before."""
    summary = store.store_run(
        con, "bench", now, [fetch_result(batch, now)], batch, assessments, now, write
    )
    return replace(summary, purged=maintenance.purge(con, now, RETENTION_DAYS))


def _history(corpus: Corpus, posts: int, folder: Path) -> Path:
    """A warehouse holding `posts` posts stored by earlier runs of 10,000."""
    path = folder / "history.duckdb"
    wh = Warehouse(path)
    for i, (chunk, assessments) in enumerate(corpus.batches(posts, 10_000)):
        at = corpus.fetched_at
        wh.store_run(f"earlier-{i}", at, [fetch_result(chunk, at)], assessments, posts=chunk)
    return path


def measure(
    posts: int = 5000, repeat: int = 3, corpus: Corpus | None = None, history: int = 50_000
) -> list[Figure]:
    corpus = corpus or Corpus()
    arrow = arrow_cpu = unnest = float("inf")
    rows = 0
    for _ in range(repeat):  # alternating, best of each: a busy neighbour hurts both alike
        took, cpu, rows = _store_once(corpus, posts, append_columns)
        arrow, arrow_cpu = min(arrow, took), min(arrow_cpu, cpu)
        unnest = min(unnest, _store_once(corpus, posts, insert_columns)[0])
    figures = [
        Figure(
            "warehouse: store a run (Arrow)",
            rows / arrow,
            "rows/s",
            TARGET_ROWS_S,
            note=f"{rows:,} rows of posts and assessments in {arrow:.2f} s, best of {repeat}, "
            "into a new file",
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
    if history:
        with tempfile.TemporaryDirectory() as tmp:
            earlier = _history(corpus, history, Path(tmp))
            stores = [_store_once(corpus, posts, append_columns, earlier, history)
                      for _ in range(repeat)]  # fmt: skip
            best = min(took for took, _, _ in stores)
        figures.append(
            Figure(
                f"warehouse: store a run beside {history:,} posts",
                rows / best,
                "rows/s",
                TARGET_ROWS_S,
                note=f"{rows:,} rows in {best:.2f} s, best of {repeat}, into a file already "
                f"holding {history:,} posts of earlier runs",
            )
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.warehouse_rate", description=__doc__)
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--history", type=int, default=50_000, help="posts already stored (0: skip)"
    )
    args = parser.parse_args()
    for figure in measure(args.posts, args.repeat, Corpus(DISTINCT), args.history):
        print(figure.line())


if __name__ == "__main__":
    main()
