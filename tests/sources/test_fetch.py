"""fetch(): the one entry point, end to end against a real local server."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from schoolwatch.config import SourceConfig
from schoolwatch.errors import FetchError
from sources import PARSERS, fetch
from tests.sources.support import FETCHED_AT, fixture_bytes


def rss_source(url: str, **extra: object) -> SourceConfig:
    return SourceConfig.model_validate({"id": "news-search", "kind": "rss", "url": url, **extra})


def test_every_configured_kind_has_a_parser():
    from schoolwatch.config import SOURCE_KINDS

    assert set(PARSERS) == set(SOURCE_KINDS)


def test_ok_rss(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/feed.xml").respond_with_data(
        fixture_bytes("rss20.xml"),
        content_type="application/rss+xml",
        headers={"ETag": '"abc"', "Last-Modified": "Wed, 04 Mar 2026 08:00:00 GMT"},
    )
    url = httpserver.url_for("/feed.xml")
    result = fetch("st-aldrics-brackenford", rss_source(url), make_client(), now=FETCHED_AT)
    assert result.status == "ok"
    assert (result.school_id, result.source_id, result.url) == (
        "st-aldrics-brackenford",
        "news-search",
        url,
    )
    assert result.http_status == 200
    assert result.etag == '"abc"'
    assert result.last_modified == "Wed, 04 Mar 2026 08:00:00 GMT"
    assert len(result.posts) == 3
    assert all(p.fetched_at == FETCHED_AT for p in result.posts)
    # the relative link is resolved against the URL the feed was fetched from
    assert result.posts[1].url == "http://" + httpserver.host + f":{httpserver.port}/news/parking"


def test_not_modified_keeps_validators(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/feed.xml", headers={"If-None-Match": '"abc"'}).respond_with_data(
        "", status=304
    )
    result = fetch(
        "s",
        rss_source(httpserver.url_for("/feed.xml")),
        make_client(),
        etag='"abc"',
        last_modified="Wed, 04 Mar 2026 08:00:00 GMT",
        now=FETCHED_AT,
    )
    assert result.status == "not_modified"
    assert result.posts == ()
    assert result.etag == '"abc"'
    assert result.last_modified == "Wed, 04 Mar 2026 08:00:00 GMT"


def test_web_source_is_local(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/t/brackenford-schools").respond_with_data(
        fixture_bytes("forum.html"), content_type="text/html; charset=utf-8"
    )
    source = SourceConfig(
        id="parents-forum",
        kind="web",
        url=httpserver.url_for("/t/brackenford-schools"),
        item="article.post",
        text=".post-body",
        link="a.permalink@href",
        local=True,
    )
    result = fetch("s", source, make_client(), now=FETCHED_AT)
    assert result.status == "ok"
    assert [p.local for p in result.posts] == [True, True, True]
    assert result.posts[0].url.startswith(httpserver.url_for("/t/brackenford-schools/77?post=1"))


def test_html_page_behind_a_feed_url_is_not_a_feed(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/feed.xml").respond_with_data(
        fixture_bytes("not_a_feed.html"), content_type="text/html"
    )
    url = httpserver.url_for("/feed.xml")
    with pytest.raises(FetchError) as info:
        fetch("s", rss_source(url), make_client())
    assert str(info.value) == (
        f"not a feed: {url}: it looks like an HTML page (no RSS or Atom entries found)"
    )


def test_http_failure_raises_with_status(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/feed.xml").respond_with_data("no", status=403)
    url = httpserver.url_for("/feed.xml")
    with pytest.raises(FetchError) as info:
        fetch("s", rss_source(url), make_client())
    assert str(info.value) == f"HTTP 403 Forbidden from {url}"
    assert info.value.status == 403


def test_same_post_fetched_twice_has_same_id(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/feed.xml").respond_with_data(fixture_bytes("atom.xml"))
    client = make_client()
    source = rss_source(httpserver.url_for("/feed.xml"))
    first = fetch("s", source, client)
    second = fetch("s", source, client)
    assert [p.post_id for p in first.posts] == [p.post_id for p in second.posts]
