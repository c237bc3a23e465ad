"""Post identity: canonical URLs and stable post ids."""

from __future__ import annotations

import pytest

from sources.identity import canonical_url, clean_url, post_id


@pytest.mark.parametrize(
    ("url", "expected", "why"),
    [
        ("HTTPS://Courier.EXAMPLE/News", "https://courier.example/News", "scheme/host case only"),
        ("https://courier.example:443/a", "https://courier.example/a", "default https port"),
        ("http://courier.example:80/a", "http://courier.example/a", "default http port"),
        ("http://courier.example:8080/a", "http://courier.example:8080/a", "other ports kept"),
        ("https://courier.example/a#comments", "https://courier.example/a", "fragment dropped"),
        ("https://courier.example", "https://courier.example/", "empty path is /"),
        (
            "https://courier.example/a?utm_source=x&utm_campaign=y&fbclid=1&gclid=2"
            "&mc_cid=3&mc_eid=4&ref=tw&igshid=5",
            "https://courier.example/a",
            "tracking parameters removed",
        ),
        (
            "https://courier.example/s?q=St+Aldrics&page=2&UTM_Medium=rss",
            "https://courier.example/s?page=2&q=St+Aldrics",
            "remaining parameters sorted; tracking names case-insensitive",
        ),
        ("https://courier.example/a?b=&a=1", "https://courier.example/a?a=1&b=", "blank kept"),
        ("not a url", "not a url", "non-URLs pass through"),
        ("http://[::1", "http://[::1", "unparsable URLs pass through"),
    ],
)
def test_canonical_url(url, expected, why):
    assert canonical_url(url) == expected, why


def test_post_id_is_stable_and_ignores_tracking():
    plain = post_id("https://courier.example/news/1", "https://courier.example/news/1")
    tracked = post_id(
        "https://Courier.example/news/1?utm_source=rss#top",
        "https://courier.example/news/1?fbclid=abc",
    )
    assert plain == tracked
    assert len(plain) == 16
    assert plain == post_id("https://courier.example/news/1", "https://courier.example/news/1")


def test_post_id_depends_on_guid_and_anchor():
    page = "https://forum.example/t/brackenford"
    ids = {
        post_id(page, "guid-1"),
        post_id(page, "guid-2"),
        post_id(page, f"{page}#post-1"),
        post_id(page, f"{page}#post-2"),
    }
    assert len(ids) == 4


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/n?utm_source=rss&id=3#c2", "https://a.example/n?id=3#c2"),
        ("https://a.example/forum/t/7#p1", "https://a.example/forum/t/7#p1"),
        ("https://A.example/x?b=2&a=1", "https://A.example/x?b=2&a=1"),  # untouched when clean
    ],
)
def test_clean_url_drops_only_tracking_parameters(url, expected):
    """The stored link still opens the post: fragment, case and order stay."""
    assert clean_url(url) == expected
