"""A run's store checkpoints at commit (`warehouse.bulk.BULK_WRITE_SETTINGS`): what it
committed is in the file even when the process dies before closing it, with no log to replay,
and its text is compressed with zstd.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb

from tests.warehouse.run_sequence import runs, tables
from warehouse import Warehouse

_STORE_THEN_DIE = textwrap.dedent(
    """
    import os, sys
    from datetime import timedelta
    from tests.warehouse.run_sequence import runs
    from warehouse import store
    from warehouse.connection import connect

    run = runs()[0]
    con = connect(__import__("pathlib").Path(sys.argv[1]))
    con.begin()
    store.store_run(con, run.run_id, run.at, run.results, run.posts, run.assessments,
                    run.at + timedelta(minutes=5))
    con.commit()
    os._exit(0)  # killed: no close, no checkpoint at close
    """
)


def test_a_committed_run_is_in_the_file_when_the_process_dies_before_closing(tmp_path: Path):
    path = tmp_path / "crash.duckdb"
    Warehouse(path)  # created and migrated
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", _STORE_THEN_DIE, str(path)], cwd=root, check=True)
    assert not path.with_name(path.name + ".wal").exists()  # written to the file, not a log
    stored = tables(path)
    expected = [p for p, a in zip(runs()[0].posts, runs()[0].assessments, strict=True)
                if a.mentions]  # fmt: skip
    assert len(stored["posts"]) == len({(p.school_id, p.post_id) for p in expected}) > 200
    assert len(stored["post_contents"]) == len(stored["posts"])
    with duckdb.connect(str(path), read_only=True) as con:
        text = con.execute(
            "SELECT DISTINCT compression FROM pragma_storage_info('post_contents') "
            "WHERE column_name = 'text' AND segment_type = 'VARCHAR'"
        ).fetchall()
    assert text == [("ZSTD",)]
    checked, problems = Warehouse(path).verify_chain()
    assert problems == [] and checked == len(stored["post_contents"])
