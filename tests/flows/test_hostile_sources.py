"""Whole runs with a hostile source beside healthy ones: the run ends, the healthy are kept."""

from __future__ import annotations

import time

import pytest
from pytest_httpserver import HTTPServer

from schoolwatch.config import HttpConfig
from tests.flows.conftest import serve_site, write_config
from tests.sources.hostile import SLOW_HEADERS, trickling_server
from warehouse import Warehouse

SLOW_SOURCE = """
  [[schools.sources]]
  id = "slow-headers"
  kind = "rss"
  url = "{url}/feed.rss"
"""


def test_a_server_sending_headers_a_byte_at_a_time_does_not_hang_the_run(
    prefect_harness, httpserver: HTTPServer, tmp_path
):
    from flows.daily import daily_monitor

    site = serve_site(httpserver)
    with trickling_server(SLOW_HEADERS) as slow:
        config = write_config(tmp_path, site, extra_sources=SLOW_SOURCE.format(url=slow.url))
        config.write_text(config.read_text().replace("retries = 0", "retries = 2\ndeadline_s = 2"))
        started = time.monotonic()
        summary = daily_monitor(config_path=str(config), send=False)
        took = time.monotonic() - started
    assert took < 60  # it used to hang for as long as the server kept sending
    db = tmp_path / "wh" / "schoolwatch.duckdb"
    _, rows = Warehouse(db).query("SELECT source_id, last_status, last_error FROM source_health")
    health = {source_id: rest for source_id, *rest in rows}
    assert health["gazette"][0] == "ok" and health["parents-forum"][0] == "ok"
    status, error = health["slow-headers"]
    assert status == "failed"
    # robots.txt is asked for first, and it is what trickles: the source's deadline covers it
    assert error.startswith(
        f"could not read robots.txt before fetching {slow.url}/feed.rss: timed out after 2."
    )
    assert error.endswith(f"fetching {slow.url}/robots.txt: deadline_s=2 reached after 1 attempt")
    assert summary["mentions"] > 0  # the healthy sources' posts are stored
    assert slow.requests == 1  # no retry after the deadline


@pytest.mark.parametrize(
    ("http", "limit"),
    [
        (HttpConfig(), 60 + 30 + 75),  # the defaults: 2 min 45 s
        (HttpConfig(deadline_s=10, max_bytes=1_000_000), 10 + 30 + 15),
    ],
)
def test_fetch_time_limit_follows_the_config(http, limit):
    from flows.daily import fetch_time_limit

    assert fetch_time_limit(http) == limit
