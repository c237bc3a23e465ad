"""The Arrow bulk path stores exactly what the list-parameter path (`insert_columns`) stores.

The same sequence of runs (tests/warehouse/run_sequence.py: new posts, a repeat, edits, a new
classifier version, failed and unchanged sources, unflagged-only batches, an erasure, a purge)
goes into two warehouse files, one through each writer; every table must then hold the same
rows, value for value.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta, timezone

import duckdb
import pytest

from tests.warehouse.run_sequence import RETENTION_RUN, RUNS, store_all, tables
from warehouse import store
from warehouse.bulk import append_columns, arrow_table
from warehouse.connection import insert_columns, insert_rows


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[tuple[list, dict], tuple[list, dict]]:
    folder = tmp_path_factory.mktemp("bulk")
    old, new = folder / "unnest.duckdb", folder / "arrow.duckdb"
    return (
        (store_all(old, functools.partial(store.store_run, write=insert_columns)), tables(old)),
        (store_all(new, functools.partial(store.store_run, write=append_columns)), tables(new)),
    )


def test_every_table_holds_the_same_rows(both):
    (_, old), (_, new) = both
    assert old.keys() == new.keys()
    for table in old:
        assert new[table] == old[table], table


def test_the_runs_exercise_every_kind_of_write(both):
    (old_summaries, old), (new_summaries, _) = both
    assert new_summaries == old_summaries
    assert old_summaries[0].new_posts > 200 and old_summaries[0].cases_opened > 0
    assert old_summaries[1].new_posts == 0 and old_summaries[1].new_assessments == 0
    assert old_summaries[2].new_versions > 40  # of the 60 edited, those that mention a school
    assert old_summaries[3].new_assessments > 30
    assert old_summaries[4].new_posts == 40 and old_summaries[4].new_flagged == 0
    assert old_summaries[5].new_posts == old_summaries[5].new_assessments == 0
    assert old_summaries[6].new_versions > 15 and old_summaries[6].new_posts == 0
    assert len(old["erased_posts"]) > 3  # forgotten before run 6, never stored again
    purged = old_summaries[RETENTION_RUN].purged
    assert purged > 50 and old_summaries[RETENTION_RUN].new_posts == 0
    assert old_summaries[8].new_posts == purged  # seen again after the purge: stored anew
    assert len(old["fetches"]) == 3 * RUNS and len(old["runs"]) == RUNS


def test_times_are_instants_whatever_their_offset():
    """pyarrow takes one zone for a column: an hour-ahead time must stay the same instant."""
    london_summer = timezone(timedelta(hours=1))
    values = [datetime(2025, 3, 5, 10, tzinfo=UTC), datetime(2025, 7, 1, 9, tzinfo=london_summer)]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'; CREATE TABLE t (ts TIMESTAMPTZ)")
    append_columns(con, "t", {"ts": values})
    assert [r[0] for r in con.execute("SELECT ts FROM t ORDER BY ts").fetchall()] == values


def test_columns_of_different_lengths_are_refused():
    con = duckdb.connect()
    con.execute("CREATE TABLE t (a INTEGER, b INTEGER)")
    ragged = {"a": [1, 2], "b": [3]}
    for write in (arrow_table, lambda c: append_columns(con, "t", c)):
        with pytest.raises(ValueError, match="columns of different lengths"):
            write(ragged)
    with pytest.raises(ValueError):
        insert_rows(con, "t", ["a", "b"], [(1, 2), (3,)])
    with pytest.raises(ValueError, match="columns of different lengths"):
        insert_columns(con, "t", ragged)
    assert con.execute("SELECT count(*) FROM t").fetchone() == (0,)
