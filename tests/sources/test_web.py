"""parse_page on a fixture forum page: selectors, attributes, links and anchors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schoolwatch.config import SourceConfig
from schoolwatch.errors import FetchError
from sources.web import parse_page
from tests.sources.support import FETCHED_AT, fixture_bytes

PAGE = "https://forum.example/t/brackenford-schools"
FORUM = SourceConfig(
    id="parents-forum",
    kind="web",
    url=PAGE,
    item="article.post",
    text=".post-body",
    title="h2",
    author=".post-author",
    published="time@datetime",
    link="a.permalink@href",
    local=True,
)


def parse(source: SourceConfig = FORUM, body: bytes | None = None, base_url: str = PAGE):
    return parse_page(
        fixture_bytes("forum.html") if body is None else body,
        school_id="st-aldrics-brackenford",
        source=source,
        base_url=base_url,
        fetched_at=FETCHED_AT,
    )


def test_forum_page_fields():
    first, second, third = parse()  # the fourth item has an empty body and is skipped
    assert first.title == "Reading week"
    assert first.author == "BrackenMum"
    assert first.text == "Loved the reading week at St Aldric’s. Mrs Okafor was brilliant!"
    assert first.published_at == datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
    assert (first.local, first.source_id, first.school_id) == (
        True,
        "parents-forum",
        "st-aldrics-brackenford",
    )
    assert second.published_at == datetime(2026, 3, 2, 8, 40, tzinfo=UTC)
    assert third.title == "" and third.published_at is None


def test_relative_permalink_resolved_against_page():
    first = parse()[0]
    assert first.url == "https://forum.example/t/brackenford-schools/77?post=1&utm_source=share"
    assert first.guid == first.url


def test_items_without_permalink_get_stable_anchors():
    _, second, third = parse()
    assert second.url == f"{PAGE}#post-2002"
    assert third.url.startswith(f"{PAGE}#sw-")
    again = parse()
    assert [p.post_id for p in again] == [p.post_id for p in parse()]
    assert len({p.post_id for p in again}) == 3


def test_raw_is_the_items_bytes_as_fetched():
    body = fixture_bytes("forum.html")
    posts = parse()
    for post in posts:
        assert post.raw.startswith(b"<article") and post.raw.endswith(b"</article>")
        assert post.raw in body
    assert posts[0].raw.count(b"<article") == 1
    assert b"track()" in posts[0].raw  # evidence is the item as published, script included
    assert b"The   parking" in posts[1].raw  # whitespace as published


def test_raw_falls_back_to_serialised_html_for_unclosed_items():
    body = b"<ul><li class=c><p>first post</p><li class=c><p>second post</p></ul>"
    source = FORUM.model_copy(update={"item": "li.c", "text": "p", "link": None})
    posts = parse(source, body)
    assert [p.text for p in posts] == ["first post", "second post"]
    assert posts[1].raw == b'<li class="c"><p>second post</p></li>'


def test_raw_of_latin1_page_is_exact():
    item = "<div class=p>Café & crème brûlée at St Aldric's</div>"
    body = f"<html><head><meta charset=iso-8859-1></head><body>{item}</body></html>"
    source = FORUM.model_copy(update={"item": "div.p", "text": "@class", "link": None})
    (post,) = parse(source, body.encode("latin-1"))
    assert post.raw == item.encode("latin-1")


def test_selector_at_attribute_and_item_attribute():
    source = FORUM.model_copy(update={"author": "@data-thread", "title": "a.permalink@class"})
    first = parse(source)[0]
    assert first.author == "77"
    assert first.title == "permalink"


def test_published_from_element_text():
    source = FORUM.model_copy(update={"published": "time"})
    third = parse(source)[2]
    assert third.published_at == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_no_matching_items_is_empty():
    assert parse(FORUM.model_copy(update={"item": "div.no-such-thing"})) == []


def test_invalid_selector_is_a_fetch_error():
    with pytest.raises(
        FetchError, match=r"invalid CSS selector 'article\[' in source 'parents-forum'"
    ):
        parse(FORUM.model_copy(update={"item": "article["}))
