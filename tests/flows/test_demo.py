"""The demo's sample site: served offline, dated relative to today."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser

from flows.demo import shift_dates, site_pages


def test_dates_move_by_whole_days_so_the_newest_post_is_recent():
    texts = {
        "a": "<updated>2026-11-21T09:30:00Z</updated> <updated>2026-11-14T08:00:00Z</updated>",
        "b": "<pubDate>Fri, 20 Nov 2026 09:15:00 +0000</pubDate>",
    }
    now = datetime(2027, 3, 2, 12, 0, tzinfo=UTC)  # 101 days and 2.5 hours later
    out = shift_dates(texts, now)
    assert (
        out["a"]
        == "<updated>2027-03-02T09:30:00Z</updated> <updated>2027-02-23T08:00:00Z</updated>"
    )
    assert out["b"] == "<pubDate>Mon, 01 Mar 2027 09:15:00 +0000</pubDate>"


def test_sample_site_pages_parse_and_point_at_the_served_host():
    pages = site_pages("127.0.0.1:8000", now=datetime(2026, 11, 21, 12, tzinfo=UTC))
    assert set(pages) == {"/robots.txt", "/news.rss", "/alerts.atom", "/forum/t/42"}
    for path in ("/news.rss", "/alerts.atom"):
        feed = feedparser.parse(pages[path][0])
        assert not feed.bozo and len(feed.entries) == 8
        assert all("127.0.0.1:8000" in e.link for e in feed.entries)
    assert pages["/forum/t/42"][0].count(b'<article class="post"') == 14
