"""HttpClient against a real HTTP server on 127.0.0.1 (pytest-httpserver)."""

from __future__ import annotations

import itertools
import re
import socket
import threading
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from schoolwatch.config import HttpConfig
from schoolwatch.errors import FetchError
from sources.http import HttpClient, parse_retry_after
from tests.sources.hostile import FAST_HEADERS, SLOW_BODY, SLOW_HEADERS, trickling_server
from tests.sources.support import FETCHED_AT

FEED = b"<rss version='2.0'><channel><item><title>x</title></item></channel></rss>"


def test_ok_sends_user_agent_and_returns_validators(httpserver: HTTPServer, make_client):
    validators = {"ETag": '"v1"', "Last-Modified": "Tue, 03 Mar 2026 10:00:00 GMT"}
    httpserver.expect_request(
        "/feed", headers={"User-Agent": "schoolwatch-test/0.1"}
    ).respond_with_data(FEED, headers=validators)
    response = make_client().get(httpserver.url_for("/feed"))
    assert response.status == 200
    assert response.body == FEED
    assert response.etag == '"v1"'
    assert response.last_modified == "Tue, 03 Mar 2026 10:00:00 GMT"
    assert not response.not_modified


def test_304_via_etag(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/feed", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304, headers={"ETag": '"v1"'}
    )
    response = make_client().get(httpserver.url_for("/feed"), etag='"v1"')
    assert response.not_modified
    assert response.status == 304
    assert response.body == b""


def test_304_via_last_modified(httpserver: HTTPServer, make_client):
    stamp = "Tue, 03 Mar 2026 10:00:00 GMT"
    httpserver.expect_request("/feed", headers={"If-Modified-Since": stamp}).respond_with_data(
        "", status=304
    )
    response = make_client().get(httpserver.url_for("/feed"), last_modified=stamp)
    assert response.not_modified


def test_500_is_retried_with_backoff_then_fails(httpserver: HTTPServer, make_client, clock):
    httpserver.expect_request("/feed").respond_with_data("oops", status=500)
    url = httpserver.url_for("/feed")
    with pytest.raises(FetchError) as info:
        make_client(retries=2).get(url)
    assert str(info.value) == (
        f"HTTP 500 Internal Server Error from {url} (gave up after 3 attempts in 3.0s)"
    )
    assert info.value.retryable
    assert info.value.status == 500
    assert len(httpserver.log) == 3
    assert clock.sleeps == [1.0, 2.0]


def test_503_then_success(httpserver: HTTPServer, make_client, clock):
    httpserver.expect_ordered_request("/feed").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/feed").respond_with_data(FEED)
    assert make_client(retries=2).get(httpserver.url_for("/feed")).body == FEED
    assert clock.sleeps == [1.0]


def test_429_honours_retry_after(httpserver: HTTPServer, make_client, clock):
    httpserver.expect_ordered_request("/feed").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request("/feed").respond_with_data(FEED)
    assert make_client(retries=1).get(httpserver.url_for("/feed")).body == FEED
    assert clock.sleeps == [7.0]


def test_429_retry_after_past_the_deadline_gives_up_at_once(
    httpserver: HTTPServer, make_client, clock
):
    httpserver.expect_request("/feed").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "86400"}
    )
    url = httpserver.url_for("/feed")
    with pytest.raises(FetchError) as info:
        make_client(retries=3, deadline_s=60).get(url)
    assert str(info.value) == (
        f"HTTP 429 Too Many Requests from {url} (gave up after 1 attempt in 0.0s: "
        "Retry-After 86400s is past deadline_s=60)"
    )
    assert info.value.retry_after == 86400
    assert clock.sleeps == []  # no waiting for a retry that could not happen in time
    assert len(httpserver.log) == 1


def test_backoff_stops_before_the_deadline(httpserver: HTTPServer, make_client, clock):
    httpserver.expect_request("/feed").respond_with_data("oops", status=503)
    url = httpserver.url_for("/feed")
    with pytest.raises(FetchError) as info:
        make_client(retries=10, deadline_s=10).get(url)
    # waits 1, 2 and 4 s (7 s); the next wait, 8 s, would end past the 10 s deadline
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert str(info.value) == (
        f"HTTP 503 Service Unavailable from {url} (gave up after 4 attempts in 7.0s: "
        "the next try would pass deadline_s=10)"
    )


def test_404_is_not_retried(httpserver: HTTPServer, make_client, clock):
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    url = httpserver.url_for("/gone")
    with pytest.raises(FetchError) as info:
        make_client(retries=3).get(url)
    assert str(info.value) == f"HTTP 404 Not Found from {url}"
    assert not info.value.retryable
    assert info.value.status == 404
    assert len(httpserver.log) == 1
    assert clock.sleeps == []


def test_timeout(httpserver: HTTPServer, make_client):
    release = threading.Event()

    def stall(request: Request) -> Response:
        release.wait(0.3)  # longer than the client's timeout; released early by the test
        return Response(FEED)

    httpserver.expect_request("/slow").respond_with_handler(stall)
    url = httpserver.url_for("/slow")
    try:
        with pytest.raises(FetchError) as info:
            make_client(timeout_s=0.1, retries=0, real_time=True).get(url)
    finally:
        release.set()
    assert re.fullmatch(rf"timed out after 0\.[1-9]s fetching {re.escape(url)}", str(info.value))
    assert info.value.retryable


def test_connection_refused_is_retried_and_named(make_client, clock):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed"
    with pytest.raises(FetchError) as info:
        make_client(retries=1).get(url)
    message = str(info.value)
    assert message.startswith(f"connection failed fetching {url}: ")
    assert "refused" in message.lower()
    assert message.endswith("(gave up after 2 attempts in 1.0s)")
    assert info.value.retryable
    assert clock.sleeps == [1.0]


def test_max_bytes_by_content_length(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/big").respond_with_data(b"x" * 2000)
    url = httpserver.url_for("/big")
    with pytest.raises(FetchError) as info:
        make_client(max_bytes=1000).get(url)
    assert str(info.value) == f"response from {url} is larger than max_bytes=1000"
    assert not info.value.retryable


def test_max_bytes_while_streaming(httpserver: HTTPServer, make_client):
    chunks_sent = []

    def endless():
        for _ in range(10_000):  # far more than the cap; the client must stop reading early
            chunks_sent.append(1)
            yield b"y" * 512

    httpserver.expect_request("/stream").respond_with_response(Response(endless()))
    url = httpserver.url_for("/stream")
    with pytest.raises(FetchError, match=r"larger than max_bytes=3000$"):
        make_client(max_bytes=3000).get(url)


def test_redirect_is_followed_and_final_url_reported(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": "/new"}
    )
    httpserver.expect_request("/new").respond_with_data(FEED)
    response = make_client().get(httpserver.url_for("/old"))
    assert response.url == httpserver.url_for("/new")
    assert response.body == FEED


def test_redirect_loop_fails(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": "/loop"}
    )
    url = httpserver.url_for("/loop")
    with pytest.raises(FetchError, match=r"^too many redirects fetching "):
        make_client().get(url)


def test_not_http_url(make_client):
    with pytest.raises(FetchError, match=r"^not an http\(s\) URL: file:///etc/passwd$"):
        make_client().get("file:///etc/passwd")


def test_robots_disallow_and_fetched_once(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /private\n", content_type="text/plain"
    )
    httpserver.expect_request("/feed").respond_with_data(FEED)
    httpserver.expect_request("/other").respond_with_data(FEED)
    client = make_client(respect_robots=True)
    assert client.get(httpserver.url_for("/feed")).body == FEED
    assert client.get(httpserver.url_for("/other")).body == FEED
    private = httpserver.url_for("/private/thread")
    with pytest.raises(FetchError) as info:
        client.get(private)
    assert str(info.value) == f"refused by robots.txt: {private}"
    assert not info.value.retryable
    paths = [request.path for request, _ in httpserver.log]
    assert paths == ["/robots.txt", "/feed", "/other"]


def test_robots_rules_for_our_user_agent(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: schoolwatch-test\nDisallow: /\n\nUser-agent: *\nDisallow:\n"
    )
    with pytest.raises(FetchError, match=r"^refused by robots\.txt: "):
        make_client(respect_robots=True).get(httpserver.url_for("/feed"))


def test_missing_robots_allows_all(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/robots.txt").respond_with_data("not here", status=404)
    httpserver.expect_request("/feed").respond_with_data(FEED)
    assert make_client(respect_robots=True).get(httpserver.url_for("/feed")).body == FEED


def test_robots_server_error_refuses_with_reason(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/robots.txt").respond_with_data("down", status=503)
    url = httpserver.url_for("/feed")
    with pytest.raises(FetchError) as info:
        make_client(respect_robots=True, retries=0).get(url)
    assert str(info.value) == (
        f"could not read robots.txt before fetching {url}: "
        f"HTTP 503 Service Unavailable from {httpserver.url_for('/robots.txt')}"
    )
    assert [request.path for request, _ in httpserver.log] == ["/robots.txt"]


def test_min_interval_spacing_per_host(httpserver: HTTPServer, make_client, clock):
    httpserver.expect_request("/feed").respond_with_data(FEED)
    client = make_client(min_interval_s=5)
    url = httpserver.url_for("/feed")
    client.get(url)
    client.get(url)
    client.get(url)
    assert clock.sleeps == [5.0, 5.0]
    # the same server under another host name is another host as far as spacing goes
    other = (
        url.replace("localhost", "127.0.0.1")
        if "localhost" in url
        else url.replace("127.0.0.1", "localhost")
    )
    assert other != url
    client.get(other)
    assert clock.sleeps == [5.0, 5.0]


def test_min_interval_spacing_across_threads(httpserver: HTTPServer, make_client, clock):
    seen_at: list[float] = []

    def record(request: Request) -> Response:
        seen_at.append(clock.monotonic())
        return Response(FEED)

    httpserver.expect_request("/feed").respond_with_handler(record)
    client = make_client(min_interval_s=2)
    url = httpserver.url_for("/feed")
    threads = [threading.Thread(target=client.get, args=(url,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen_at) == 4
    gaps = [b - a for a, b in itertools.pairwise(seen_at)]
    assert all(gap >= 2 for gap in gaps), gaps


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("12", 12.0),
        ("soon", None),
        ("Fri, 06 Mar 2026 12:00:30 GMT", 30.0),
        ("Fri, 06 Mar 2026 11:00:00 GMT", 0.0),  # in the past: go now
    ],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value, now=FETCHED_AT) == expected


def test_redirect_to_other_scheme_is_refused(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/old").respond_with_data(
        "", status=302, headers={"Location": "file:///etc/passwd"}
    )
    url = httpserver.url_for("/old")
    with pytest.raises(FetchError) as info:
        make_client().get(url)
    assert str(info.value) == f"not an http(s) URL: file:///etc/passwd (redirected to from {url})"


def test_3xx_without_location_fails(httpserver: HTTPServer, make_client):
    httpserver.expect_request("/choices").respond_with_data("pick one", status=300)
    url = httpserver.url_for("/choices")
    with pytest.raises(FetchError, match=r"^HTTP 300 Multiple Choices from .* without a usable"):
        make_client().get(url)


# Hostile servers: one deadline bounds the whole fetch, whatever the server does.


def test_headers_one_byte_at_a_time_stop_at_the_deadline(make_client):
    with trickling_server(SLOW_HEADERS) as server:
        client = make_client(timeout_s=5, deadline_s=1, retries=3, real_time=True)
        started = time.monotonic()
        with pytest.raises(FetchError) as info:
            client.get(server.url + "/feed")
        took = time.monotonic() - started
    # each byte arrives well within timeout_s, so only the deadline can stop it
    assert 1.0 <= took < 3.0
    assert re.fullmatch(
        rf"timed out after [12]\.[0-9]s fetching {re.escape(server.url)}/feed: "
        r"deadline_s=1 reached after 1 attempt",
        str(info.value),
    )
    assert server.requests == 1  # no retry once the deadline has passed


def test_body_one_byte_at_a_time_stops_at_the_deadline(make_client):
    with trickling_server(SLOW_BODY, prefix=FAST_HEADERS) as server:
        client = make_client(timeout_s=5, deadline_s=1, real_time=True)
        started = time.monotonic()
        with pytest.raises(FetchError, match=r": deadline_s=1 reached after 1 attempt$"):
            client.get(server.url + "/feed")
        assert time.monotonic() - started < 3.0


def test_deadline_covers_every_attempt_and_the_waits_between(make_client):
    # no answer at all: each attempt times out after timeout_s, the deadline ends the retries
    with trickling_server(SLOW_HEADERS, interval=30) as server:
        client = HttpClient(
            HttpConfig(timeout_s=0.4, deadline_s=1.5, retries=10, respect_robots=False),
            backoff_s=0.1,
        )
        started = time.monotonic()
        with client, pytest.raises(FetchError) as info:
            client.get(server.url + "/feed")
        took = time.monotonic() - started
    assert took < 3.0  # the deadline plus room for a busy machine
    message = str(info.value)
    attempts = server.requests
    assert 2 <= attempts <= 4
    # the message counts the attempts really made and the time really taken
    expected = (
        rf"gave up after {attempts} attempts in [12]\.[0-9]s"
        rf"|deadline_s=1\.5 reached after {attempts} attempts"
    )
    assert re.search(expected, message), message


def test_robots_fetch_counts_against_the_sources_deadline(make_client):
    with trickling_server(SLOW_HEADERS) as server:
        client = make_client(respect_robots=True, deadline_s=1, real_time=True)
        started = time.monotonic()
        with pytest.raises(FetchError) as info:
            client.get(server.url + "/feed")
        assert time.monotonic() - started < 3.0
    assert str(info.value).startswith(
        f"could not read robots.txt before fetching {server.url}/feed: timed out after 1."
    )


ROBOTS_9309 = """\
User-agent: *
Disallow: /

User-agent: schoolwatch
Disallow: /forum/*/print
Disallow: /*.pdf$
Disallow: /news/
Allow: /news/schools/
"""


@pytest.mark.parametrize(
    ("path", "allowed", "why"),
    [
        ("/forum/7", True, "our group, not the '*' group that disallows everything"),
        ("/forum/7/print", False, "'*' matches any run of characters"),
        ("/forum/7/print/2", False, "a rule matches the start of the path"),
        ("/report.pdf", False, "'$' anchors the end"),
        ("/report.pdf?page=2", True, "'$': the path goes on after .pdf"),
        ("/news/other", False, "disallowed by /news/"),
        ("/news/schools/7", True, "the longer (more specific) Allow wins over /news/"),
    ],
)
def test_robots_txt_follows_rfc_9309(httpserver: HTTPServer, make_client, path, allowed, why):
    httpserver.expect_request("/robots.txt").respond_with_data(ROBOTS_9309)
    httpserver.expect_request(path.split("?")[0]).respond_with_data(FEED)
    client = make_client(respect_robots=True, user_agent="schoolwatch/0.1 (+mailto:it@x.example)")
    url = httpserver.url_for(path)
    if allowed:
        assert client.get(url).body == FEED, why
    else:
        with pytest.raises(FetchError, match=r"^refused by robots\.txt: "):
            client.get(url)
