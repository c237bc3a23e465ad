"""Fetching and parsing sources: `fetch(school_id, source, client)` is the one entry point.

Each source kind is one module with one parser function of the `Parser` shape, registered in
`PARSERS` below; adding a kind is a module plus a line here (and its name in
`schoolwatch.config.SOURCE_KINDS`). Network I/O lives only in `sources.http`, so parsers are
plain functions of bytes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol

from schoolwatch.config import SourceConfig
from schoolwatch.errors import FetchError
from schoolwatch.models import FetchResult, Post
from sources.http import HttpClient, HttpResponse
from sources.identity import canonical_url, clean_url, post_id
from sources.rss import parse_feed
from sources.web import parse_page

__all__ = [
    "PARSERS",
    "HttpClient",
    "HttpResponse",
    "Parser",
    "canonical_url",
    "fetch",
    "parse_feed",
    "parse_page",
    "post_id",
]


class Parser(Protocol):
    """Turns a fetched body into posts. Raises `FetchError` when the body is not what the kind
    expects; never touches the network. `charset` is the response's Content-Type charset."""

    def __call__(
        self,
        body: bytes,
        *,
        school_id: str,
        source: SourceConfig,
        base_url: str,
        fetched_at: datetime,
        charset: str | None = None,
    ) -> list[Post]: ...


PARSERS: dict[str, Parser] = {
    "rss": parse_feed,
    "web": parse_page,
}


def fetch(
    school_id: str,
    source: SourceConfig,
    client: HttpClient,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    now: datetime | None = None,
) -> FetchResult:
    """Fetch one source and parse its posts.

    Returns status "ok" with the posts and the response's validators, or "not_modified" (HTTP
    304 to our conditional GET) with no posts. Raises `FetchError` with a message that says
    what happened and where; the flow records it as the source's `last_error`.
    """
    parser = PARSERS.get(source.kind)
    if parser is None:
        known = ", ".join(sorted(PARSERS))
        raise FetchError(f"source {source.id!r}: no parser for kind {source.kind!r} ({known})")
    fetched_at = now or datetime.now(UTC)
    response = client.get(source.url, etag=etag, last_modified=last_modified)
    if response.not_modified:
        return FetchResult(
            school_id=school_id,
            source_id=source.id,
            url=source.url,
            status="not_modified",
            fetched_at=fetched_at,
            http_status=response.status,
            # a 304 may omit the validators; the ones we sent are still current
            etag=response.etag or etag,
            last_modified=response.last_modified or last_modified,
            http_date=response.headers.get("date"),
        )
    posts = parser(
        response.body,
        school_id=school_id,
        source=source,
        base_url=response.url,
        fetched_at=fetched_at,
        charset=response.charset,
    )
    return FetchResult(
        school_id=school_id,
        source_id=source.id,
        url=source.url,
        status="ok",
        fetched_at=fetched_at,
        posts=tuple(replace(p, url=clean_url(p.url)) for p in posts),
        http_status=response.status,
        etag=response.etag,
        last_modified=response.last_modified,
        http_date=response.headers.get("date"),
    )
