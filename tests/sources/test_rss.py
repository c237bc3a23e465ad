"""parse_feed on fixture feeds: RSS 2.0, RSS 1.0, Atom, a partly broken feed, not-a-feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from schoolwatch.config import SourceConfig
from schoolwatch.errors import FetchError
from sources.identity import post_id
from sources.rss import parse_feed
from tests.sources.support import FETCHED_AT, fixture_bytes

SOURCE = SourceConfig(id="news-search", kind="rss", url="https://courier.example/feed.xml")


def parse(name: str, *, base_url: str = SOURCE.url, source: SourceConfig = SOURCE):
    return parse_feed(
        fixture_bytes(name),
        school_id="st-aldrics-brackenford",
        source=source,
        base_url=base_url,
        fetched_at=FETCHED_AT,
    )


def test_rss20():
    first, second, third = parse("rss20.xml")
    assert first.title == "St Aldric’s Brackenford wins reading award"
    assert first.text == "Pupils at St Aldric’s Brackenford were delighted."
    assert first.author == "Jo Marlow"
    assert first.published_at == datetime(2026, 3, 3, 13, 5, tzinfo=UTC)
    assert first.url == "https://courier.example/news/reading-award?utm_source=rss&utm_medium=feed"
    assert first.post_id == post_id("https://courier.example/news/reading-award", first.guid)
    assert (first.school_id, first.source_id, first.fetched_at, first.local) == (
        "st-aldrics-brackenford",
        "news-search",
        FETCHED_AT,
        False,
    )
    # relative link resolved; content:encoded is longer than the description so it wins
    assert second.url == "https://courier.example/news/parking"
    assert second.guid == "courier-8812"
    assert second.text == (
        "Parents at St Aldric's say the school run on Thornbury Road is chaotic. "
        "The council will review it."
    )
    assert second.author == "Sam Ketley"
    # no guid: the link stands in
    assert third.guid == "https://courier.example/news/summer-fair"
    assert third.published_at is None


def test_rss20_raw_is_each_items_own_bytes():
    body = fixture_bytes("rss20.xml")
    posts = parse("rss20.xml")
    for post in posts:
        assert post.raw.startswith(b"<item>") and post.raw.endswith(b"</item>")
        assert post.raw in body
    assert b"reading" in posts[0].raw and b"parking" in posts[1].raw


def test_rss10():
    first, second = parse("rss10.rdf")
    assert first.title == "Governors meet at St Aldric's CE Primary"
    assert first.guid == "https://wexley-gazette.example/a/1"
    assert first.author == "Ann Pryce"
    assert second.published_at == datetime(2026, 2, 11, 12, 0, tzinfo=UTC)
    assert first.raw.startswith(b'<item rdf:about="https://wexley-gazette.example/a/1">')


def test_atom():
    first, second = parse("atom.xml", base_url="https://blog.example/feed.atom")
    assert first.title == "Sports day at St Aldric's"
    assert first.text == (
        "Sports day at St Aldric's Brackenford was a great success & everyone had fun."
    )
    assert first.author == "Priya Lane"
    assert first.guid == "urn:uuid:5b1c7d9e-0000-4000-8000-000000000002"
    assert first.published_at == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    assert second.url == "https://blog.example/2026/03/uniform"
    assert second.published_at == datetime(2026, 3, 4, 15, 30, tzinfo=UTC)  # from <updated>
    assert first.raw.startswith(b"<entry>") and first.raw.endswith(b"</entry>")


def test_partly_broken_feed_keeps_good_items_with_json_raw():
    posts = parse("broken.xml")
    assert [p.title for p in posts] == ["First complete item", "Second complete item"]
    assert posts[1].text == "Another post & more."
    # the truncated item makes the byte ranges and entries disagree: canonical JSON instead
    entry = json.loads(posts[0].raw)
    assert entry["link"] == "https://digest.example/p/1"


@pytest.mark.parametrize(
    "body",
    [
        fixture_bytes("not_a_feed.html"),
        b"",
        b"\x00\xff\xfe garbage",
        b"/etc/passwd",  # feedparser would read this file if handed the bytes themselves
    ],
)
def test_not_a_feed(body):
    with pytest.raises(FetchError, match=r"^not a feed: https://courier\.example/feed\.xml: "):
        parse_feed(body, school_id="s", source=SOURCE, base_url=SOURCE.url, fetched_at=FETCHED_AT)


def test_valid_feed_without_items_is_empty():
    body = b"<rss version='2.0'><channel><title>quiet</title></channel></rss>"
    assert (
        parse_feed(body, school_id="s", source=SOURCE, base_url=SOURCE.url, fetched_at=FETCHED_AT)
        == []
    )


def test_local_flag_comes_from_source():
    local = SOURCE.model_copy(update={"local": True})
    assert all(p.local for p in parse("atom.xml", source=local))
