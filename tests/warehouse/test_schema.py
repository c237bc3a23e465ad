"""Opening the file: migrations, permissions, locks, the read-only query path."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from schoolwatch.errors import WarehouseError
from tests.warehouse.builders import (
    SCHOOL,
    T0,
    count,
    hold_file,
    make_assessment,
    make_post,
    store,
)
from warehouse import Warehouse, schema

VIEW_COLUMNS = {
    "mentions": [
        "school_id", "post_id", "source_id", "url", "author", "title", "text", "published_at",
        "first_seen_at", "sentiment", "categories", "severity", "rung",
    ],
    "flagged": [
        "school_id", "post_id", "source_id", "url", "author", "title", "text", "published_at",
        "first_seen_at", "sentiment", "categories", "severity", "rung",
        "case_id", "case_status", "respond_by", "digested_at", "confidence",
    ],
    "daily_sentiment": [
        "school_id", "day", "mentions", "mean_sentiment", "negative_share", "flagged",
    ],
    "source_health": [
        "school_id", "source_id", "last_run_at", "last_status", "last_error",
        "consecutive_failures", "items_last_run",
    ],
    "post_versions": ["post_id", "version", "fetched_at", "url", "sha256", "text"],
}  # fmt: skip


def test_migrations_are_recorded_and_run_once(tmp_path):
    wh = Warehouse(tmp_path / "x.duckdb", migrate=False)
    applied = wh.migrate()
    assert applied[:2] == ["0001_tables", "0002_views"]
    assert {"0006_outgoing", "0007_board", "0008_evidence", "0009_removal_checks"} <= set(applied)
    assert "0003_confidence" in applied
    assert applied == sorted(applied)
    assert wh.migrate() == []
    assert Warehouse(wh.path).migrate() == []
    cols, rows = wh.query("SELECT version, name FROM schema_migrations ORDER BY version")
    assert cols == ["version", "name"]
    assert rows == [(int(a[:4]), a[5:]) for a in applied]


def test_new_file_is_private_and_its_folder_created(tmp_path):
    path = tmp_path / "data" / "new.duckdb"
    Warehouse(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.mark.parametrize("view", sorted(VIEW_COLUMNS))
def test_views_have_the_documented_columns(wh, view):
    wh.migrate()
    cols, _ = wh.query(f"SELECT * FROM {view}")
    assert cols == VIEW_COLUMNS[view]


def test_unwritable_path_is_one_line_warehouse_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(WarehouseError) as e:
        Warehouse(blocker / "sub" / "x.duckdb")
    assert str(e.value) == (
        f"cannot create warehouse {blocker}/sub/x.duckdb: {blocker} is not a writable folder"
    )


def test_constructor_creates_and_migrates_unless_told_not_to(tmp_path):
    path = tmp_path / "later" / "x.duckdb"
    Warehouse(path, migrate=False)
    assert not path.parent.exists()
    Warehouse(path)
    _, rows = Warehouse(path, migrate=False).query("SELECT name FROM schema_migrations")
    assert rows == [(name,) for _, name, _ in schema.available()]
    assert rows[:2] == [("tables",), ("views",)] and ("evidence",) in rows


def test_not_a_duckdb_file_is_warehouse_error(tmp_path):
    bogus = tmp_path / "notes.duckdb"
    bogus.write_text("hello")
    with pytest.raises(WarehouseError, match=r"notes.duckdb is not a DuckDB database"):
        Warehouse(bogus)  # the constructor checks, before any lock is taken


def test_read_only_query_between_writes(wh):
    p = make_post()
    store(wh, [(p, make_assessment(p))])
    cols, rows = wh.query("SELECT post_id, author FROM mentions")
    assert (cols, rows) == (["post_id", "author"], [("p1", "ParentOfTwo")])


def test_query_cannot_write(wh):
    wh.migrate()
    with pytest.raises(WarehouseError, match="read-only") as e:
        wh.query("DELETE FROM posts")
    assert "\n" not in str(e.value)


def test_query_reports_sql_errors_in_one_line(wh):
    wh.migrate()
    with pytest.raises(WarehouseError, match=r"query failed: .*no_such_table") as e:
        wh.query("SELECT * FROM no_such_table")
    assert "\n" not in str(e.value)


def test_query_takes_one_statement(wh):
    wh.migrate()
    with pytest.raises(WarehouseError, match="exactly one SQL statement"):
        wh.query("SELECT 1; SELECT 2")


def test_query_before_any_run_says_how_to_create(tmp_path):
    with pytest.raises(WarehouseError, match=r"no warehouse at .* run 'schoolwatch run'"):
        Warehouse(tmp_path / "none.duckdb", migrate=False).query("SELECT 1")


def test_analysts_read_only_session_does_not_block_reads(wh):
    p = make_post()
    store(wh, [(p, make_assessment(p))])
    analyst = hold_file(wh.path, "read_only")
    try:
        again = Warehouse(wh.path, lock_timeout_s=0.2)  # schema current: opens read-only
        assert again.query("SELECT post_id FROM mentions")[1] == [("p1",)]
        # every read path opens read-only, so the analyst blocks none of them
        assert again.list_cases() == []
        assert again.pending_alerts(SCHOOL) == []
        assert again.last_action_rungs(SCHOOL) == {}
        assert list(again.validators().values()) == [(None, None)]
        assert again.digest_data(SCHOOL, "St Aldric's", T0).items == ()
        assert again.stale_posts("another-version") == [p]
        # a write does wait for the analyst, and says who holds the file
        with pytest.raises(WarehouseError, match=r"is locked by another process \(python"):
            again.purge(T0, retention_days=1)
    finally:
        analyst.communicate("\n", timeout=30)


def test_locked_by_another_process(wh):
    holder = hold_file(wh.path, "read_write")
    try:
        with pytest.raises(WarehouseError, match="is locked by another process") as e:
            Warehouse(wh.path, lock_timeout_s=0.2).list_cases()
        assert "\n" not in str(e.value)
    finally:
        holder.communicate("\n", timeout=30)
    # once the other process has gone, the same call works
    assert Warehouse(wh.path).list_cases() == []
    assert count(wh, "cases") == 0


def test_waiting_for_the_file_says_who_holds_it_and_goes_on_when_it_is_free(wh, monkeypatch):
    from warehouse import connection

    monkeypatch.setattr(connection, "WAIT_REPORT_EVERY_S", 0.3)
    p = make_post()
    store(wh, [(p, make_assessment(p))])
    heard: list[str] = []
    waiting = Warehouse(wh.path, lock_timeout_s=30, on_wait=heard.append)
    analyst = hold_file(wh.path, "read_write")  # e.g. `duckdb data/schoolwatch.duckdb`
    letting_go = threading.Timer(1.5, analyst.communicate, args=("\n",))
    letting_go.start()
    try:
        assert waiting.purge(T0, retention_days=1) == 0  # waited, then worked
    finally:
        letting_go.join()
    assert len(heard) >= 2, heard
    assert f"waiting for warehouse {wh.path}: another process holds it (python" in heard[0]
    assert f"PID {analyst.pid})" in heard[0]
    assert all("\n" not in line for line in heard)
