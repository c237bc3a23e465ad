"""Property tests: parsers and normalisers take any input and fail only with FetchError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schoolwatch.config import SourceConfig
from schoolwatch.errors import FetchError
from schoolwatch.models import Post
from sources.identity import canonical_url, post_id
from sources.rss import parse_feed
from sources.web import parse_page
from tests.sources.support import FETCHED_AT, fixture_bytes

RSS = SourceConfig(id="feed", kind="rss", url="https://courier.example/feed.xml")
WEB = SourceConfig(
    id="forum",
    kind="web",
    url="https://forum.example/t/1",
    item="article.post",
    text=".post-body",
    title="h2",
    author=".post-author",
    published="time@datetime",
    link="a.permalink@href",
)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of real documents, shuffled and cut, reach deeper into the parsers than random bytes.
_PIECES = [
    piece
    for name in ("rss20.xml", "rss10.rdf", "atom.xml", "forum.html")
    for piece in fixture_bytes(name).split(b"\n")
]
documents = st.one_of(
    st.binary(max_size=2000),
    st.lists(st.sampled_from(_PIECES), max_size=40).map(b"\n".join),
    st.text(max_size=500).map(lambda s: s.encode("utf-8", "surrogatepass")),
)


def _check(posts: list[Post]) -> None:
    for post in posts:
        assert post.text or post.title or post.guid
        assert post.published_at is None or post.published_at.utcoffset() is not None
        assert isinstance(post.raw, bytes)


@FAST
@given(documents)
def test_parse_feed_never_crashes(body: bytes):
    try:
        posts = parse_feed(body, school_id="s", source=RSS, base_url=RSS.url, fetched_at=FETCHED_AT)
    except FetchError as e:
        assert str(e).startswith(f"not a feed: {RSS.url}: ")
    else:
        _check(posts)


@FAST
@given(documents)
def test_parse_page_never_crashes(body: bytes):
    posts = parse_page(body, school_id="s", source=WEB, base_url=WEB.url, fetched_at=FETCHED_AT)
    _check(posts)
    assert all(p.text for p in posts)


@FAST
@given(st.text(max_size=300))
def test_canonical_url_total_and_idempotent(url: str):
    once = canonical_url(url)
    assert isinstance(once, str)
    assert canonical_url(once) == once
    assert len(post_id(url, url)) == 16


@FAST
@given(
    st.sampled_from(["utm_source", "utm_medium", "fbclid", "gclid", "mc_cid", "ref", "igshid"]),
    st.text(alphabet="abcXYZ019-_", max_size=10),
)
def test_tracking_parameters_never_change_identity(name: str, value: str):
    base = "https://courier.example/news/1?id=7"
    assert canonical_url(f"{base}&{name}={value}") == canonical_url(base)
    assert post_id(f"{base}&{name}={value}", "g") == post_id(base, "g")
