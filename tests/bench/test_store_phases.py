"""The store bench times the store a scheduled run makes, statement by statement."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from bench.store_phases import TimedConnection
from bench.warehouse_rate import RETENTION_DAYS, store_and_purge
from tests.warehouse.builders import T0, flagged, make_assessment, make_post
from warehouse import Warehouse
from warehouse.connection import transaction


def test_store_and_purge_is_what_a_scheduled_run_stores(tmp_path):
    path = tmp_path / "wh.duckdb"
    Warehouse(path)
    old = make_post(1, fetched_at=T0 - timedelta(days=RETENTION_DAYS + 1))
    with transaction(path) as con:
        store_and_purge(con, [old], [make_assessment(old)], old.fetched_at)
    posts = [make_post(n, author=f"a{n}") for n in range(2, 6)]
    seconds: dict[str, float] = defaultdict(float)
    with transaction(path) as con:
        timed: Any = TimedConnection(con, seconds)
        summary = store_and_purge(timed, posts, [flagged(p) for p in posts], T0)
    assert (summary.new_posts, summary.new_assessments, summary.cases_opened) == (4, 4, 4)
    assert summary.purged == 1  # the unflagged post first seen past retention
    timed = " | ".join(seconds)
    for statement in ("INSERT INTO posts", "INSERT INTO post_contents", "INSERT INTO assessments",
                      "CREATE TEMP TABLE doomed"):  # fmt: skip
        assert statement in timed
    assert all(s >= 0 for s in seconds.values())
