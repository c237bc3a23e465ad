"""Spreading a run over Dask: the parts, and a real run on a real LocalCluster.

A trust's config (three schools, twelve sources on three hosts) is run once with the thread
pool and once through prefect-dask's DaskTaskRunner on a LocalCluster it starts (one
in-process worker, four threads): both must store the same mentions, each once; a re-run on an
existing cluster, given by its address, must find every source unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.fixture_sites import serve_sites
from flows.scale_out import by_key, chunks, parts_for


@given(st.lists(st.integers(0, 50)), st.integers(1, 12))
def test_chunks_keep_every_item_in_order(items, parts):
    out = chunks(items, parts)
    assert [x for c in out for x in c] == items
    assert len(out) <= parts and all(out)
    if out:
        assert max(map(len, out)) - min(map(len, out)) <= max(map(len, out)) // 2 + 1


@given(st.lists(st.tuples(st.sampled_from("abcdefg"), st.integers())), st.integers(1, 6))
def test_by_key_keeps_each_key_in_one_part(items, parts):
    out = by_key(items, parts, key=lambda item: item[0])
    assert sorted(x for part in out for x in part) == sorted(items)
    assert len(out) == min(parts, len({k for k, _ in items}))
    for key in {k for k, _ in items}:
        holding = [part for part in out if any(k == key for k, _ in part)]
        assert len(holding) == 1
        assert [x for x in holding[0] if x[0] == key] == [x for x in items if x[0] == key]


def test_parts_for_a_cluster():
    assert parts_for(2) == 8
    assert parts_for(None) == parts_for(2)  # an existing cluster: as for two workers
    assert parts_for(1) == 4


FIXTURE_GUID = re.compile(r"[\w-]+-(?:rss|atom|forum)-\d{2}-\d{4}")
MENTIONS = "SELECT school_id, post_id, url, sentiment, categories, severity, rung FROM mentions"


def _rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sorted(con.execute(sql).fetchall())
    finally:
        con.close()


@pytest.mark.slow
def test_a_trust_run_on_dask_stores_what_the_thread_pool_stores(prefect_harness, tmp_path):
    from distributed import LocalCluster

    from flows.daily import daily_monitor
    from flows.scale_out import dask_task_runner

    on_dask = daily_monitor.with_options(
        task_runner=dask_task_runner(workers=1, processes=False)  # type: ignore[arg-type]
    )
    with serve_sites(schools=3, sources_per_school=4, posts_per_source=6, hosts=3) as site:
        threads_cfg = site.write_config(tmp_path / "threads")
        dask_cfg = site.write_config(tmp_path / "dask")
        by_threads = daily_monitor(config_path=str(threads_cfg), send=False)
        by_dask = on_dask(config_path=str(dask_cfg), send=False, parts=4)
        site.reset_counts()
        # the re-run on an existing cluster, by its scheduler's address
        with LocalCluster(n_workers=1, threads_per_worker=2, processes=False) as cluster:
            on_cluster = daily_monitor.with_options(
                task_runner=dask_task_runner(cluster.scheduler_address)  # type: ignore[arg-type]
            )
            again = on_cluster(config_path=str(dask_cfg), send=False, parts=4)
        assert site.counts() == {304: 12}  # one conditional request per source, nothing new

    threads_db = tmp_path / "threads" / "schoolwatch.duckdb"
    dask_db = tmp_path / "dask" / "schoolwatch.duckdb"
    stored = _rows(dask_db, MENTIONS)
    assert stored == _rows(threads_db, MENTIONS)
    assert len(stored) == site.expected_mentions == by_dask["new_posts"]
    assert len({(s, p) for s, p, *_ in stored}) == len(stored)  # each mention once
    assert {s for s, *_ in stored} == {s.id for s in site.schools}
    assert by_dask["sources_ok"] == by_threads["sources_ok"] == 12
    assert again["sources_not_modified"] == 12 and again["new_posts"] == 0
    health = "SELECT school_id, source_id, last_status, items_last_run FROM source_health"
    assert len(_rows(dask_db, health)) == 12


@pytest.mark.slow
def test_the_200_source_trust_run_stores_each_mention_once(prefect_harness, tmp_path):
    """8 schools x 25 sources x 25 posts: every post that names its school is stored, once,
    under its school; posts that name none are not; the unchanged re-run adds nothing."""
    from flows.daily import daily_monitor

    with serve_sites() as site:
        config = site.write_config(tmp_path)
        cold = daily_monitor(config_path=str(config), send=False)
        site.reset_counts()
        again = daily_monitor(config_path=str(config), send=False)
        assert site.counts() == {304: 200}
    expected = sorted((s.school.id, p.guid) for s in site.sources for p in s.posts if p.mentions)
    stored = _rows(tmp_path / "schoolwatch.duckdb", "SELECT school_id, guid FROM posts")
    assert len(stored) == len(expected) == site.expected_mentions == cold["new_posts"]
    # the fixture's guid inside the stored one (feeds' guids, Atom tags, forum anchors)
    found = [(school, FIXTURE_GUID.search(guid)) for school, guid in stored]
    assert sorted((school, m.group()) for school, m in found if m) == expected
    assert again["sources_not_modified"] == 200 and again["new_posts"] == 0
    versions = "SELECT count(*), count(DISTINCT (school_id, post_id)) FROM post_contents"
    assert _rows(tmp_path / "schoolwatch.duckdb", versions) == [(len(expected), len(expected))]
