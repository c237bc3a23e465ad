"""fetch_all(): many sources on several real local hosts, fetched at once, politely."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import sources
from bench.fixture_sites import FixtureSites, serve_sites
from schoolwatch.config import HttpConfig, SourceConfig, load_config
from sources.collect import FetchJob, fetch_all
from sources.http import HttpClient
from tests.sources.hostile import SLOW_HEADERS, trickling_server

HTTP = HttpConfig(min_interval_s=0, timeout_s=5, deadline_s=10, retries=0)


def _jobs(site: FixtureSites, tmp_path: Path) -> list[FetchJob]:
    cfg = load_config(site.write_config(tmp_path))
    return [FetchJob(school.id, source) for school in cfg.schools for source in school.sources]


def test_every_source_once_in_order_overlapping_hosts_but_one_request_per_host(tmp_path):
    with serve_sites(2, 6, 3, hosts=3) as site:
        for i in range(len(site.sources)):
            site.delay(i, 0.3)
        jobs = _jobs(site, tmp_path)
        started = time.monotonic()
        with HttpClient(HTTP) as client:
            results = fetch_all(jobs, client, workers=8)
        took = time.monotonic() - started
        assert site.counts() == {200: 12}
        assert max(site.max_in_flight.values()) == 1  # each host asked one thing at a time
    assert [(r.school_id, r.source_id) for r in results] == [
        (j.school_id, j.source.id) for j in jobs
    ]
    assert all(r.status == "ok" and len(r.posts) == 3 for r in results)
    # 4 sources per host, 0.3 s each: the 3 hosts overlap (one after another would take 3.6 s)
    assert took < 3.0


def test_a_slow_source_holds_up_nothing_beyond_its_own_deadline(tmp_path):
    with serve_sites(1, 6, 2, hosts=1) as site:
        site.delay(0, 30)  # the first source in the host's queue never answers in time
        jobs = _jobs(site, tmp_path)
        started = time.monotonic()
        with HttpClient(HTTP.model_copy(update={"deadline_s": 1.5})) as client:
            results = fetch_all(jobs, client, workers=8)
        took = time.monotonic() - started
    assert results[0].status == "failed"
    assert results[0].error is not None and "deadline_s=1.5 reached" in results[0].error
    # the other five on the same host waited for it, but their own deadlines had not started
    assert [r.status for r in results[1:]] == ["ok"] * 5
    assert took < 10


def test_an_unchanged_source_costs_one_conditional_request_and_no_parsing(tmp_path, monkeypatch):
    with serve_sites(1, 3, 4, hosts=2) as site:
        jobs = _jobs(site, tmp_path)
        with HttpClient(HTTP) as client:
            first = fetch_all(jobs, client)
        site.reset_counts()
        again = [
            FetchJob(j.school_id, j.source, r.etag, r.last_modified)
            for j, r in zip(jobs, first, strict=True)
        ]
        parsed: list[str] = []

        def counting(parser: sources.Parser) -> sources.Parser:
            def parse(*args: Any, **kwargs: Any) -> list:
                parsed.append(kwargs["source"].id)
                return parser(*args, **kwargs)

            return parse

        for kind, parser in list(sources.PARSERS.items()):
            monkeypatch.setitem(sources.PARSERS, kind, counting(parser))
        with HttpClient(HTTP) as client:
            second = fetch_all(again, client)
        assert site.counts() == {304: 3}
    assert [r.status for r in second] == ["not_modified"] * 3
    assert parsed == []
    assert [(r.etag, r.last_modified) for r in second] == [(r.etag, r.last_modified) for r in first]


def test_a_parser_bug_is_recorded_for_its_source_only(tmp_path, monkeypatch):
    def broken(*args: object, **kwargs: object) -> list:
        raise ValueError("unexpected markup")

    monkeypatch.setitem(sources.PARSERS, "web", broken)
    # rss, atom (the rss kind), forum (the web kind)
    with serve_sites(1, 3, 2, hosts=1) as site, HttpClient(HTTP) as client:
        results = fetch_all(_jobs(site, tmp_path), client)
    assert [r.status for r in results] == ["ok", "ok", "failed"]
    assert results[2].error == "ValueError: unexpected markup"


@pytest.mark.parametrize("workers", [1, 3])
def test_the_time_limit_stops_what_the_client_does_not_and_the_rest_go_on(tmp_path, workers):
    # a client whose own deadline is far off: only the time limit can stop the trickling source
    http = HttpConfig(deadline_s=600, timeout_s=30, retries=0, respect_robots=False)
    with trickling_server(SLOW_HEADERS) as slow, serve_sites(1, 3, 2, hosts=1) as site:
        slow_source = SourceConfig(id="slow", kind="rss", url=f"{slow.url}/feed.rss")
        jobs = [FetchJob("s", slow_source), *_jobs(site, tmp_path)]
        started = time.monotonic()
        with HttpClient(http) as client:
            results = fetch_all(jobs, client, workers=workers, limit_s=2)
        took = time.monotonic() - started
    assert took < 30
    assert results[0].status == "failed"
    assert (
        results[0].error
        == f"fetching {slow.url}/feed.rss did not finish within its time limit of 2s"
    )
    assert [r.status for r in results[1:]] == ["ok"] * 3
