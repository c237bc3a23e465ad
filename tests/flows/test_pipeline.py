"""Analysis overlapping the fetch: the workers' answers are exactly the single-process ones,
whenever the pool starts, and nothing is lost when a worker dies."""

from __future__ import annotations

import multiprocessing
import os
import signal
from dataclasses import replace
from pathlib import Path

from analysis.assess import assess_posts
from analysis.pool import AssessPool
from bench.fixture_sites import serve_sites
from flows.pipeline import AssessAsFetched
from schoolwatch.config import HttpConfig, load_config
from schoolwatch.models import FetchResult
from sources.collect import FetchJob, fetch_all
from sources.http import HttpClient

HTTP = HttpConfig(min_interval_s=0, timeout_s=5, deadline_s=10, retries=0)
SITE = {"schools": 3, "sources_per_school": 4, "posts_per_source": 6, "hosts": 3}  # 72 posts


def _fetch(
    tmp_path: Path, stream: AssessAsFetched | None = None, site: dict[str, int] | None = None
) -> tuple:
    """The fixture's sources fetched as the daily flow fetches them, each result handed to
    `stream` as it arrives; the results (in the order of the sources) and the schools."""
    shape = site or SITE
    with serve_sites(
        shape["schools"],
        shape["sources_per_school"],
        shape["posts_per_source"],
        hosts=shape["hosts"],
    ) as served:
        cfg = load_config(served.write_config(tmp_path))
        jobs = [FetchJob(s.id, source) for s in cfg.schools for source in s.sources]
        with HttpClient(HTTP) as client:
            on_result = stream.fetched if stream is not None else None
            results = fetch_all(jobs, client, workers=4, on_result=on_result)
    return results, {s.id: s for s in cfg.schools}


def _posts(results: list[FetchResult]) -> list:
    return [p for r in results for p in r.posts]


def test_posts_assessed_as_they_arrive_equal_the_single_process_assessments(tmp_path):
    _, schools = _fetch(tmp_path / "config")
    pool = AssessPool(workers=2, min_posts=20)  # starts after the fourth source or so
    try:
        stream = AssessAsFetched(schools, pool)
        results, _ = _fetch(tmp_path / "run", stream)
        assert pool.started
        # every source went to the workers, the ones before the pool started too
        assert stream.sent == len(results) == 12
        got = stream.assessments(results)
    finally:
        pool.close()
    posts = _posts(results)
    assert len(posts) == 72
    # dataclass equality: every field, evidence spans, confidences, in the order of the posts
    assert got == assess_posts(posts, schools)


def test_a_run_too_small_for_the_pool_is_assessed_in_this_process(tmp_path):
    pool = AssessPool(workers=2, min_posts=73)
    try:
        stream = AssessAsFetched({}, pool)
        results, schools = _fetch(tmp_path, stream)
        stream.schools = schools
        assert not pool.started and stream.sent == 0
        assert stream.assessments(results) == assess_posts(_posts(results), schools)
        assert not pool.started
    finally:
        pool.close()


def test_a_worker_dying_midway_loses_nothing(tmp_path):
    results, schools = _fetch(tmp_path)
    pool = AssessPool(workers=2, min_posts=1)
    try:
        stream = AssessAsFetched(schools, pool)
        stream.fetched(results[0])
        stream.assessments(results[:1])  # the workers are up and have answered once
        workers = [p.pid for p in multiprocessing.active_children() if p.pid is not None]
        assert workers  # the pool's worker processes, started by this test
        for r in results[1:6]:
            stream.fetched(r)
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        for r in results[6:]:
            stream.fetched(r)
        got = stream.assessments(results)
    finally:
        pool.close()
    assert got == assess_posts(_posts(results), schools)


def test_the_pool_starts_once_the_first_answers_project_a_big_batch(tmp_path):
    results, schools = _fetch(tmp_path)  # 12 sources of 6 posts
    pool = AssessPool(workers=2, min_posts=60)
    try:
        stream = AssessAsFetched(schools, pool, sources=12)
        for r in results[:7]:
            stream.fetched(r)
        assert not pool.started  # 42 posts, and too few answers to project from
        stream.fetched(results[7])
        assert pool.started  # 48 posts so far, 72 projected
        for r in results[8:]:
            stream.fetched(r)
        assert stream.assessments(results) == assess_posts(_posts(results), schools)
    finally:
        pool.close()


def test_answers_without_posts_project_no_pool(tmp_path):
    results, schools = _fetch(tmp_path)
    unchanged = [replace(r, status="not_modified", posts=()) for r in results]
    pool = AssessPool(workers=2, min_posts=200)
    try:
        stream = AssessAsFetched(schools, pool, sources=200)
        for r in [*unchanged[:10], results[0]]:  # 6 posts among 11 answers: 109 projected
            stream.fetched(r)
        assert not pool.started
        for r in results[1:]:  # 72 posts among 22 answers: 654 projected
            stream.fetched(r)
        assert pool.started
    finally:
        pool.close()


def test_a_big_source_is_shared_between_the_workers_in_parts(tmp_path):
    big = {"schools": 1, "sources_per_school": 2, "posts_per_source": 120, "hosts": 1}
    results, schools = _fetch(tmp_path, site=big)
    pool = AssessPool(workers=2, min_posts=1)
    try:
        stream = AssessAsFetched(schools, pool)
        for r in results:
            stream.fetched(r)
        assert stream.sent == 2
        assert stream.assessments(results) == assess_posts(_posts(results), schools)
    finally:
        pool.close()
