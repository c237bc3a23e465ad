"""Whole runs of the daily-monitor flow against a real local site, DuckDB file and outbox."""

from __future__ import annotations

import duckdb
import pytest
from pytest_httpserver import HTTPServer

from tests.flows.conftest import serve_site, write_config

BROKEN_SOURCES = """
  [[schools.sources]]
  id = "server-error"
  kind = "rss"
  url = "{base}/error.rss"

  [[schools.sources]]
  id = "not-a-feed"
  kind = "rss"
  url = "{base}/page.html"

  [[schools.sources]]
  id = "private"
  kind = "rss"
  url = "{base}/private/feed.rss"

  [[schools.sources]]
  id = "huge"
  kind = "rss"
  url = "{base}/huge.rss"
"""


def _rows(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def site(httpserver: HTTPServer) -> str:
    base = serve_site(httpserver)
    httpserver.expect_request("/error.rss").respond_with_data("oops", status=500)
    httpserver.expect_request("/page.html").respond_with_data(
        "<html><body><p>Just a page</p></body></html>", content_type="text/html"
    )
    httpserver.expect_request("/huge.rss").respond_with_data("<rss>" + "x" * 50_000 + "</rss>")
    return base


def test_daily_run_stores_flags_and_records_failures(prefect_harness, site, tmp_path):
    from flows.daily import daily_monitor

    config = write_config(tmp_path, site, extra_sources=BROKEN_SOURCES.format(base=site))
    summary = daily_monitor(config_path=str(config))
    db = tmp_path / "wh" / "schoolwatch.duckdb"

    # the Rovers story names only an excluded club: not stored
    assert summary["mentions"] == 5
    mentions = _rows(db, "SELECT source_id, url FROM mentions ORDER BY url")
    assert len(mentions) == 5
    assert all("utm_" not in url for _, url in mentions)

    flagged = dict(_rows(db, "SELECT author, severity FROM flagged WHERE author <> ''"))
    assert flagged["angrydad77"] == "critical"

    health = {
        r[0]: r[1:]
        for r in _rows(
            db, "SELECT source_id, last_status, last_error, consecutive_failures FROM source_health"
        )
    }
    assert health["gazette"][0] == "ok"
    assert health["parents-forum"][0] == "ok"
    assert health["server-error"][0] == "failed" and "500" in health["server-error"][1]
    assert health["not-a-feed"][0] == "failed" and "feed" in health["not-a-feed"][1]
    assert health["private"][0] == "failed" and "robots" in health["private"][1]
    assert health["huge"][0] == "failed" and "max_bytes" in health["huge"][1]
    assert all(h[2] == 1 for k, h in health.items() if h[0] == "failed")

    snapshot = tmp_path / "wh" / "snapshots" / "mentions.parquet"
    assert _rows(db, f"SELECT count(*) FROM '{snapshot}'") == [(5,)]
    # the default snapshot_mode: the warehouse's group (analysts) may read, nobody else
    assert snapshot.stat().st_mode & 0o777 == 0o640
    assert snapshot.stat().st_gid == db.stat().st_gid

    outbox = list((tmp_path / "outbox").glob("*.eml"))
    assert outbox, "a digest .eml was written"
    assert summary["alerts_sent"] >= 1


def test_second_run_on_unchanged_sources_adds_nothing_and_sends_nothing(
    prefect_harness, site, tmp_path
):
    from flows.daily import daily_monitor

    config = write_config(tmp_path, site)
    daily_monitor(config_path=str(config))
    db = tmp_path / "wh" / "schoolwatch.duckdb"
    counts_sql = (
        "SELECT (SELECT count(*) FROM mentions), (SELECT count(*) FROM post_versions), "
        "(SELECT count(*) FROM flagged)"
    )
    before = _rows(db, counts_sql)
    sent_before = sorted(p.name for p in (tmp_path / "outbox").glob("*.eml"))

    second = daily_monitor(config_path=str(config))

    assert _rows(db, counts_sql) == before
    assert second["new_posts"] == 0 and second["new_versions"] == 0
    assert second["alerts_sent"] == 0
    assert sorted(p.name for p in (tmp_path / "outbox").glob("*.eml")) == sent_before
