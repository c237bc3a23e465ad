"""An analyst with the DuckDB file open over the run and the digest: fetching goes on, the digest
still goes out once they let go within `lock_timeout_s`, and says so in one line when not."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
from pytest_httpserver import HTTPServer

from flows.cli import main
from tests.flows.conftest import serve_site, write_config
from tests.warehouse.builders import flagged, hold_file, make_post, store
from warehouse import Warehouse
from warehouse.connection import one_row

SCHOOL = "fernhill-abbey"


def _config(tmp_path: Path, base: str, lock_timeout_s: float) -> Path:
    config = write_config(tmp_path, base)
    text = config.read_text().replace(
        'path = "wh/schoolwatch.duckdb"',
        f'path = "wh/schoolwatch.duckdb"\nlock_timeout_s = {lock_timeout_s}',
    )
    config.write_text(text)
    return config


def _warehouse_with_one_flagged_post(tmp_path: Path) -> Warehouse:
    wh = Warehouse(tmp_path / "wh" / "schoolwatch.duckdb")
    post = make_post(1, school_id=SCHOOL, text="Fernhill Abbey Primary: Mr Ashdown is a thief")
    store(wh, [(post, flagged(post))])
    return wh


def _let_go_when(holder, ready, *, timeout_s: float = 60) -> threading.Thread:
    """Release the analyst's session once `ready()` (or after `timeout_s`)."""

    def wait_then_release() -> None:
        deadline = time.monotonic() + timeout_s
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # the run is now waiting for the file
        holder.communicate("\n", timeout=30)

    thread = threading.Thread(target=wait_then_release)
    thread.start()
    return thread


def test_the_digest_goes_out_once_the_analyst_lets_go(prefect_harness, tmp_path):
    from flows.delivery import send_digest

    config = _config(tmp_path, "http://127.0.0.1:9", lock_timeout_s=60)
    wh = _warehouse_with_one_flagged_post(tmp_path)
    analyst = hold_file(wh.path, "read_write")  # `duckdb data/schoolwatch.duckdb` at 07:29
    started = time.monotonic()
    releaser = _let_go_when(analyst, lambda: time.monotonic() - started > 2)
    try:
        sent = send_digest(config_path=str(config))
    finally:
        releaser.join()
    assert time.monotonic() - started >= 3, "the digest waited for the analyst"
    assert len(sent["delivered"]) == 1 and Path(sent["delivered"][0]).exists()
    assert sent["failed"] == []
    assert wh.query("SELECT count(*) FROM flagged WHERE digested_at IS NULL")[1] == [(0,)]


def test_the_run_fetches_while_the_analyst_holds_the_file(
    prefect_harness, httpserver: HTTPServer, tmp_path
):
    from flows.daily import daily_monitor

    base = serve_site(httpserver)
    config = _config(tmp_path, base, lock_timeout_s=60)
    wh = Warehouse(tmp_path / "wh" / "schoolwatch.duckdb")
    analyst = hold_file(wh.path, "read_write")
    fetched_while_held: list[bool] = []

    def both_sources_fetched() -> bool:
        done = {req.path for req, _ in httpserver.log} >= {"/news.rss", "/forum/t/7"}
        if done and not fetched_while_held:
            fetched_while_held.append(analyst.poll() is None)
        return done

    releaser = _let_go_when(analyst, both_sources_fetched)
    try:
        summary = daily_monitor(config_path=str(config), send=False)
    finally:
        releaser.join()
    assert fetched_while_held == [True], "the sources were fetched before the file was free"
    assert summary["new_posts"] > 0 and not summary["sources_failed"]
    con = duckdb.connect(str(wh.path), read_only=True)
    try:
        assert one_row(con, "SELECT count(*) FROM mentions")[0] == summary["new_posts"]
    finally:
        con.close()


def test_an_analyst_who_does_not_let_go_is_one_line(prefect_harness, tmp_path, capsys):
    config = _config(tmp_path, "http://127.0.0.1:9", lock_timeout_s=1)
    wh = _warehouse_with_one_flagged_post(tmp_path)
    analyst = hold_file(wh.path, "read_write")
    try:
        assert main(["digest", "--config", str(config)]) == 1
    finally:
        analyst.communicate("\n", timeout=30)
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"schoolwatch: warehouse {wh.path} is locked by another process (")
    assert f"PID {analyst.pid}) after waiting 1 s" in last
    assert "Traceback" not in err
    # nothing was marked sent: the next digest carries the item
    assert wh.query("SELECT count(*) FROM flagged WHERE digested_at IS NULL")[1] == [(1,)]


def test_cases_waits_the_configured_time_and_says_who_holds_the_file(tmp_path, capsys, monkeypatch):
    from warehouse import connection

    monkeypatch.setattr(connection, "WAIT_REPORT_EVERY_S", 0.3)
    config = _config(tmp_path, "http://127.0.0.1:9", lock_timeout_s=1.5)
    wh = _warehouse_with_one_flagged_post(tmp_path)
    analyst = hold_file(wh.path, "read_write")
    try:
        started = time.monotonic()
        assert main(["cases", "list", "--config", str(config)]) == 1
        waited = time.monotonic() - started
    finally:
        analyst.communicate("\n", timeout=30)
    lines = capsys.readouterr().err.strip().splitlines()
    assert 1.5 <= waited < 10, "lock_timeout_s from the config, not a built-in 5 s"
    assert len(lines) >= 3
    assert all("another process holds it (python" in line for line in lines[:-1])
    assert lines[-1].endswith("after waiting 1.5 s; close other sessions on it (analysts can use "
                              "the Parquet snapshots instead) and try again")  # fmt: skip
    assert main(["cases", "list", "--config", str(config)]) == 0  # the analyst has gone
