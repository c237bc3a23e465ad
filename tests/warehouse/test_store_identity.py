"""The store stores exactly what it stored before its set-based rewrite.

tests/warehouse/reference_store.py is the store as it was (row by row, sealed by an UPDATE,
purging over the whole assessments table). The same nine runs (tests/warehouse/run_sequence.py)
go through it into one file and through `Warehouse.store_run`'s own work into another; every
table must then hold the same rows, every column (the hash chain too), and both files' chains
must verify, as `schoolwatch cases verify --warehouse` checks them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from flows.cli import main
from tests.warehouse import reference_store
from tests.warehouse.run_sequence import RUNS, runs, store_all, tables
from warehouse import Warehouse, store
from warehouse.connection import transaction


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    folder = tmp_path_factory.mktemp("identity")
    before, now = folder / "before.duckdb", folder / "now.duckdb"
    return {
        "before": (store_all(before, reference_store.store_run), tables(before), before),
        "now": (store_all(now, store.store_run), tables(now), now),
    }


def test_every_table_and_column_is_what_the_store_wrote_before(stored):
    _, before, _ = stored["before"]
    _, now, _ = stored["now"]
    assert before.keys() == now.keys()
    for table in before:
        assert now[table] == before[table], table
    chained = [r for r in now["post_contents"] if r[-1] is not None]
    assert len(chained) == len(now["post_contents"]) > 300  # every version sealed


def test_the_summaries_are_the_same(stored):
    assert stored["now"][0] == stored["before"][0]
    assert len(stored["now"][0]) == RUNS


def test_both_chains_verify(stored, tmp_path, capsys):
    for _, rows, path in stored.values():
        checked, problems = Warehouse(path).verify_chain()
        assert problems == [] and checked == len(rows["post_contents"])
        config = tmp_path / "schoolwatch.toml"
        config.write_text(f'[warehouse]\npath = "{path}"\n')
        assert main(["cases", "verify", "--warehouse", "--config", str(config)]) == 0
        assert capsys.readouterr().out == f"all {checked} versions match\n"


def test_storing_a_run_again_stores_nothing(stored, tmp_path):
    """Every run of the sequence stored a second time into the finished file adds no row."""
    _, rows, path = stored["now"]
    copy = tmp_path / "again.duckdb"
    copy.write_bytes(path.read_bytes())
    last = runs()[-1]
    with transaction(copy) as con:
        summary = store.store_run(con, "run-again", last.at, last.results, last.posts,
                                  last.assessments, last.at + timedelta(hours=1))  # fmt: skip
    assert (summary.new_posts, summary.new_versions, summary.new_assessments) == (0, 0, 0)
    again = tables(copy)
    for table in ("posts", "post_contents", "assessments", "cases", "case_posts"):
        assert again[table] == rows[table], table
