"""Re-checking reported posts against a real local site: still online, removed, or unknown."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer

from schoolwatch.config import SourceConfig
from schoolwatch.models import Post, RemovalTarget
from sources.identity import post_id
from sources.recheck import recheck, words
from sources.web import parse_page

SCHOOL = "st-aldrics-brackenford"
CHECKED_AT = datetime(2026, 3, 9, 6, 0, tzinfo=UTC)

POSTS = {
    "p1": ("BrackenMum", "Loved the reading week at St Aldric's. Mrs Okafor was brilliant!"),
    "p2": ("Gaz1985", "Everyone knows the head at St Aldric's Brackenford fiddles the budget."),
    "p3": ("Dad_of_two", "The parking on Thornbury Road is a nightmare though."),
}


def page(*ids: str) -> str:
    """The thread as the forum serves it, with these posts."""
    articles = "".join(
        f'<article class="post" id="{pid}"><span class="post-author">{POSTS[pid][0]}</span>'
        f'<div class="post-body"><p>{POSTS[pid][1]}</p></div>'
        f'<a class="permalink" href="/t/brackenford#{pid}">#</a></article>\n'
        for pid in ids
    )
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>Brackenford schools</title>'
        f"</head><body><nav>Brackenford Parents Forum</nav><main>\n{articles}</main></body></html>"
    )


def forum(url: str) -> SourceConfig:
    return SourceConfig(
        id="parents-forum",
        kind="web",
        url=url,
        item="article.post",
        text=".post-body",
        author=".post-author",
        link="a.permalink@href",
        local=True,
    )


def targets_from(html: str, source: SourceConfig, *ids: str) -> list[RemovalTarget]:
    """The stored posts, as the run that first fetched the page parsed them."""
    parsed = parse_page(
        html.encode(), school_id=SCHOOL, source=source, base_url=source.url, fetched_at=CHECKED_AT
    )
    by_text = {words(p.text): p for p in parsed}
    return [target(by_text[words(POSTS[i][1])], case_id=f"C-{i}") for i in ids]


def target(post: Post, *, case_id: str = "C-000001", **kw: object) -> RemovalTarget:
    values: dict = dict(
        school_id=post.school_id,
        post_id=post.post_id,
        case_id=case_id,
        source_id=post.source_id,
        url=post.url,
        title=post.title,
        text=post.text,
    )
    values.update(kw)
    return RemovalTarget(**values)


def bare(url: str, text: str, *, source_id: str = "gazette", **kw: object) -> RemovalTarget:
    values: dict = dict(
        school_id=SCHOOL,
        post_id=post_id(url, url),
        case_id="C-000009",
        source_id=source_id,
        url=url,
        title="",
        text=text,
    )
    values.update(kw)
    return RemovalTarget(**values)


def check(targets, client, sources=None):
    return recheck(targets, client, sources or {}, clock=lambda: CHECKED_AT)


def test_a_post_on_the_page_is_still_online_then_removed_when_the_page_answers_404_or_410(
    httpserver: HTTPServer, make_client
):
    url = httpserver.url_for("/t/brackenford")
    source = forum(url)
    html = page("p1", "p2", "p3")
    httpserver.expect_request("/t/brackenford").respond_with_data(html, content_type="text/html")
    two = targets_from(html, source, "p2", "p3")
    sources = {(SCHOOL, source.id): source}
    client = make_client()

    first = check(two, client, sources)
    assert [(c.status, c.http_status, c.reason) for c in first] == [
        ("still_online", 200, "still on the page")
    ] * 2
    assert first[0].url == url  # the page, without the post's #fragment
    assert first[0].checked_at == CHECKED_AT
    assert len(httpserver.log) == 1  # one request for the page, however many posts are on it

    httpserver.clear_all_handlers()
    httpserver.expect_request("/t/brackenford").respond_with_data("Not found", status=404)
    gone = check(two, client, sources)
    assert [(c.status, c.http_status) for c in gone] == [("removed", 404)] * 2
    assert gone[0].reason == f"HTTP 404 Not Found from {url}"

    httpserver.clear_all_handlers()
    httpserver.expect_request("/t/brackenford").respond_with_data("Gone", status=410)
    assert [(c.status, c.http_status) for c in check(two, client, sources)] == [
        ("removed", 410)
    ] * 2


def test_a_forum_page_that_still_answers_but_dropped_the_post_means_removed(
    httpserver: HTTPServer, make_client
):
    url = httpserver.url_for("/t/brackenford")
    source = forum(url)
    before = page("p1", "p2", "p3")
    reported = targets_from(before, source, "p2", "p3")
    httpserver.expect_request("/t/brackenford").respond_with_data(
        page("p1", "p3"), content_type="text/html"
    )
    removed, kept = check(reported, make_client(), {(SCHOOL, source.id): source})
    assert (removed.status, removed.http_status) == ("removed", 200)
    assert removed.reason == "no longer on the page, which still shows 2 other posts"
    assert (kept.status, kept.reason) == ("still_online", "still on the page")


def test_a_post_moved_under_another_anchor_is_found_by_its_words(
    httpserver: HTTPServer, make_client
):
    url = httpserver.url_for("/t/brackenford")
    source = forum(url)
    (reported,) = targets_from(page("p2"), source, "p2")
    moved = page("p1", "p2").replace('href="/t/brackenford#p2"', 'href="/t/brackenford/page2#p2"')
    httpserver.expect_request("/t/brackenford").respond_with_data(moved, content_type="text/html")
    (c,) = check([reported], make_client(), {(SCHOOL, source.id): source})
    assert (c.status, c.reason) == ("still_online", "its words are still on the page")


def test_server_errors_and_refusals_are_unknown_never_removed(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /mod/\n")
    httpserver.expect_request("/500").respond_with_data("oops", status=500)
    httpserver.expect_request("/403").respond_with_data("no bots", status=403)
    posts = [
        bare(httpserver.url_for("/500"), "The head fiddles the budget."),
        bare(httpserver.url_for("/403"), "The head fiddles the budget."),
        bare(httpserver.url_for("/mod/4"), "The head fiddles the budget."),
    ]
    checks = check(posts, make_client(retries=1, respect_robots=True))
    assert [(c.status, c.http_status) for c in checks] == [
        ("unknown", 500),
        ("unknown", 403),
        ("unknown", None),
    ]
    assert checks[0].reason.startswith("HTTP 500 Internal Server Error from ")
    assert "gave up after 2 attempts" in checks[0].reason  # retried like any fetch
    assert checks[1].reason.startswith("HTTP 403 Forbidden from ")
    assert checks[2].reason == f"refused by robots.txt: {posts[2].url}"


@pytest.fixture
def silent_host() -> Iterator[str]:
    """A host that accepts connections and never answers (the kernel completes the handshake
    from the listen backlog; nobody reads)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


def test_a_dead_host_costs_one_deadline_and_does_not_hold_up_the_others(
    httpserver: HTTPServer, make_client, silent_host
):
    httpserver.expect_request("/article/1").respond_with_data(
        "<html><body><p>The head fiddles the budget, says a parent.</p></body></html>",
        content_type="text/html",
    )
    dead = [bare(f"{silent_host}/t/{n}", "The head fiddles the budget.") for n in range(1, 4)]
    alive = bare(httpserver.url_for("/article/1"), "The head fiddles the budget.")
    client = make_client(timeout_s=0.5, deadline_s=1.0, retries=2, real_time=True)

    started = time.monotonic()
    checks = check([*dead, alive], client)
    elapsed = time.monotonic() - started

    assert elapsed < 2.5, f"three posts on a dead host took {elapsed:.1f}s"
    assert [c.status for c in checks] == ["unknown"] * 3 + ["still_online"]
    # the read timeout (0.5 s) gives up first; on a loaded machine the wake-up can come so late
    # that the attempt's deadline (1.0 s) is the one that ends it: either way, one timed-out try
    assert re.match(
        rf"timed out after (0\.5s|1\.0s) fetching {re.escape(dead[0].url)}", checks[0].reason
    ), checks[0].reason
    assert checks[0].http_status is None
    host = silent_host.removeprefix("http://")
    assert all(
        c.reason.startswith(f"not tried: {host} did not answer earlier in this run")
        for c in checks[1:3]
    )


def test_a_host_asking_to_slow_down_is_left_alone_for_the_run(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/t/1").respond_with_data("slow down", status=429)
    posts = [bare(httpserver.url_for(f"/t/{n}"), "The head fiddles the budget.") for n in (1, 2)]
    first, second = check(posts, make_client(retries=0))
    assert (first.status, first.http_status) == ("unknown", 429)
    assert second.status == "unknown" and second.reason.startswith("not tried: ")
    assert [r.path for r, _ in httpserver.log] == ["/t/1"]


def test_no_page_is_started_once_the_time_is_up(httpserver: HTTPServer, make_client):
    post = bare(httpserver.url_for("/t/1"), "The head fiddles the budget.")
    (c,) = recheck([post], make_client(), {}, clock=lambda: CHECKED_AT, budget_s=0)
    assert (c.status, c.http_status) == ("unknown", None)
    assert c.reason == "not tried: re-checking reported posts ran out of time in this run"
    assert httpserver.log == []


def test_a_feed_items_article_page(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/news/1").respond_with_data(
        "<html><body><h1>Parents' anger</h1><p>Parents say the head at St Aldric&#8217;s "
        "Brackenford fiddles the budget, and have written to the governors.</p></body></html>",
        content_type="text/html",
    )
    httpserver.expect_request("/news/2").respond_with_data(
        "<html><body><p>This story has been updated.</p></body></html>", content_type="text/html"
    )
    gazette = SourceConfig(id="gazette", kind="rss", url=httpserver.url_for("/news.rss"))
    summary = bare(
        httpserver.url_for("/news/1"),
        "Parents say the head at St Aldric’s Brackenford fiddles the budget, and have wri…",
    )
    edited = bare(httpserver.url_for("/news/2"), "Parents say the head fiddles the budget.")
    on_page, not_on_page = check([summary, edited], make_client(), {(SCHOOL, "gazette"): gazette})
    # a summary cut short with an ellipsis is found by its words before the cut
    assert (on_page.status, on_page.reason) == ("still_online", "its words are still on the page")
    # an article that answers without the words may be edited, moved or removed: ask a person
    assert not_on_page.status == "unknown"
    assert not_on_page.reason == (
        "the page answers but the post's words are not on it: open it to check"
    )


def test_a_page_where_the_selectors_find_nothing_is_unknown(httpserver: HTTPServer, make_client):
    url = httpserver.url_for("/t/brackenford")
    source = forum(url)
    (reported,) = targets_from(page("p1", "p2"), source, "p2")
    httpserver.expect_request("/t/brackenford").respond_with_data(
        "<html><body><div class='new-layout'>Thread</div></body></html>", content_type="text/html"
    )
    (c,) = check([reported], make_client(), {(SCHOOL, source.id): source})
    assert (c.status, c.http_status) == ("unknown", 200)
    assert "no posts with the source's selectors" in c.reason


def test_a_conditional_get_answered_304_keeps_it_online(httpserver: HTTPServer, make_client):
    url = httpserver.url_for("/t/brackenford")
    source = forum(url)
    html = page("p2")
    (reported,) = targets_from(html, source, "p2")
    unchanged = {"If-None-Match": '"v1"'}
    httpserver.expect_request("/t/brackenford", headers=unchanged).respond_with_data("", status=304)
    httpserver.expect_request("/t/brackenford").respond_with_data(
        html, content_type="text/html", headers={"ETag": '"v1"'}
    )
    sources = {(SCHOOL, source.id): source}
    (first,) = check([reported], make_client(), sources)
    assert (first.status, first.etag) == ("still_online", '"v1"')
    again = replace(reported, etag=first.etag)
    (second,) = check([again], make_client(), sources)
    assert (second.status, second.http_status) == ("still_online", 304)
    assert second.reason == "not modified since the last check, which found it online"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("St. Aldric’s  C.E.\nPrimary!", "st aldrics c e primary"),
        ("ＦＵＬＬ width", "full width"),
        ("", ""),
    ],
)
def test_words_ignore_case_punctuation_and_layout(text, expected):
    assert words(text) == expected
