"""Re-checking reported posts: is each one still online, or has the site removed it?

`recheck(targets, client, sources)` fetches each post's address (its URL without the
#fragment, once however many posts share the page) through the one HTTP client, so the
deadline, robots.txt, the size cap and the per-host spacing all hold, and says for each post:

- `removed`: the address answers 404 Not Found or 410 Gone (after any redirects); or it is a
  page of a `web` source that still lists posts with the source's selectors, none of them this
  one (not its id, and not its words anywhere on the page): a forum that deleted one post keeps
  answering 200 for the thread;
- `still_online`: the page answers and the post is on it (its id among the page's posts, or
  its words in the page's text); or 304 Not Modified to a conditional GET made with the
  validators of a check that found it online;
- `unknown`, with the reason: the check failed (timeout, connection refused, 5xx, 429, another
  4xx such as 403, refused by robots.txt, over `max_bytes`), or the page answers but cannot
  show either way (an article page from a feed without the post's words; a page on which the
  source's selectors find no posts at all, as when the site's layout changed). A failed check
  is never `removed`.

Hosts are checked in parallel, each host's pages one after another. Once a host has not
answered at all (timeout, connection failure) or answered 429 Too Many Requests, its other
pages in this run are not tried and are `unknown`: a dead host costs one deadline, not one per
post. No page is started after `budget_s` seconds (its posts are `unknown`), so the stage ends
within `budget_s` plus one page's `deadline_s`.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urldefrag, urlsplit

from schoolwatch.config import SourceConfig
from schoolwatch.errors import FetchError
from schoolwatch.models import Post, RemovalCheck, RemovalStatus, RemovalTarget
from sources.decoding import choose_encoding, decode_document, meta_declared
from sources.http import HttpClient, HttpResponse
from sources.rss import parse_feed
from sources.text import html_to_text
from sources.web import parse_page

__all__ = ["GONE_STATUSES", "MAX_HOSTS_AT_ONCE", "recheck", "words"]

GONE_STATUSES = frozenset({404, 410})
MAX_HOSTS_AT_ONCE = 4
BUDGET_S = 300.0  # no page is started after this many seconds of re-checking
NEEDLE_WORDS = 25  # the first words of a post that must appear on its page
_NOT_WORD = re.compile(r"[\W_]+")
_TRUNCATED = ("…", "...", "[…]", "[...]")

Sources = Mapping[tuple[str, str], SourceConfig]


def recheck(
    targets: Sequence[RemovalTarget],
    client: HttpClient,
    sources: Sources,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    max_hosts: int = MAX_HOSTS_AT_ONCE,
    budget_s: float = BUDGET_S,
) -> list[RemovalCheck]:
    """One check per target, in the order given. `sources` maps (school_id, source_id) to the
    post's configured source (its selectors tell posts apart on a page); a source no longer
    configured is checked by the post's words alone. Never raises `FetchError`."""
    hosts: dict[str, dict[str, list[RemovalTarget]]] = {}
    for t in targets:
        address = urldefrag(t.url).url
        hosts.setdefault(_host(address), {}).setdefault(address, []).append(t)
    if not hosts:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(max_hosts, len(hosts)))) as pool:
        until = time.monotonic() + budget_s
        done = pool.map(
            lambda pages: _check_host(pages, client, sources, clock, until), hosts.values()
        )
        by_post = {(c.school_id, c.post_id): c for checks in done for c in checks}
    return [by_post[(t.school_id, t.post_id)] for t in targets]


def words(text: str) -> str:
    """`text` as lower-case words separated by single spaces (punctuation and layout gone), so
    a post's words can be found on a page however the page spaces and punctuates them."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'").replace("'", "")
    return _NOT_WORD.sub(" ", text).strip()


def _host(address: str) -> str:
    """The host and port, as the HTTP client spaces its requests."""
    try:
        return urlsplit(address).netloc.lower()
    except ValueError:
        return ""


def _check_host(
    pages: Mapping[str, list[RemovalTarget]],
    client: HttpClient,
    sources: Sources,
    clock: Callable[[], datetime],
    until: float,
) -> list[RemovalCheck]:
    out: list[RemovalCheck] = []
    silent: FetchError | None = None  # the host did not answer: not tried again this run
    for address, group in pages.items():
        checked_at = clock()
        reason = ""
        if silent is not None:
            reason = f"not tried: {_host(address)} did not answer earlier in this run ({silent})"
        elif time.monotonic() >= until:
            reason = "not tried: re-checking reported posts ran out of time in this run"
        if reason:
            out += [_check(t, address, checked_at, "unknown", reason) for t in group]
            continue
        etag, modified = _validators(group)
        try:
            response = client.get(address, etag=etag, last_modified=modified)
        except FetchError as e:
            if e.retryable and e.status in (None, 429):
                silent = e
            out += [_failed(t, address, checked_at, e) for t in group]
            continue
        page = _Page(response, checked_at)
        out += [_judged(t, address, page, sources.get((t.school_id, t.source_id))) for t in group]
    return out


def _validators(group: Sequence[RemovalTarget]) -> tuple[str | None, str | None]:
    """A conditional GET only when every post on the page was last seen online with the same
    validators: a 304 then says the same of each of them."""
    found = {(t.etag, t.last_modified) for t in group}
    return found.pop() if len(found) == 1 else (None, None)


def _check(
    t: RemovalTarget,
    address: str,
    checked_at: datetime,
    status: RemovalStatus,
    reason: str,
    response: HttpResponse | None = None,
    http_status: int | None = None,
) -> RemovalCheck:
    return RemovalCheck(
        school_id=t.school_id,
        post_id=t.post_id,
        case_id=t.case_id,
        url=address,
        checked_at=checked_at,
        status=status,
        reason=reason,
        http_status=response.status if response is not None else http_status,
        etag=response.etag if response is not None else None,
        last_modified=response.last_modified if response is not None else None,
    )


def _failed(t: RemovalTarget, address: str, checked_at: datetime, e: FetchError) -> RemovalCheck:
    message = str(e).splitlines()[0] if str(e) else type(e).__name__
    status: RemovalStatus = "removed" if e.status in GONE_STATUSES else "unknown"
    return _check(t, address, checked_at, status, message, http_status=e.status)


@dataclass
class _Page:
    """One fetched address, read once for all the posts on it."""

    response: HttpResponse
    checked_at: datetime
    _text: str | None = None
    _posts: dict[tuple[str, str], list[Post] | None] = field(default_factory=dict)

    def text(self) -> str:
        """The page's visible text as `words`."""
        if self._text is None:
            body = self.response.body
            encoding, skip = choose_encoding(body, self.response.charset, meta_declared(body))
            self._text = words(html_to_text(decode_document(body[skip:], encoding)[0]))
        return self._text

    def posts(self, school_id: str, source: SourceConfig) -> list[Post] | None:
        """The posts the source's own parser finds on the page; None if it cannot read it."""
        key = (school_id, source.id)
        if key not in self._posts:
            parser = parse_page if source.kind == "web" else parse_feed
            try:
                found: list[Post] | None = parser(
                    self.response.body,
                    school_id=school_id,
                    source=source,
                    base_url=self.response.url,
                    fetched_at=self.checked_at,
                    charset=self.response.charset,
                )
            except FetchError:
                found = None
            self._posts[key] = found
        return self._posts[key]


def _judged(
    t: RemovalTarget, address: str, page: _Page, source: SourceConfig | None
) -> RemovalCheck:
    response = page.response
    if response.not_modified:
        reason = "not modified since the last check, which found it online"
        return _check(t, address, page.checked_at, "still_online", reason, response)
    status, reason = _presence(t, address, page, source)
    return _check(t, address, page.checked_at, status, reason, response)


def _presence(
    t: RemovalTarget, address: str, page: _Page, source: SourceConfig | None
) -> tuple[RemovalStatus, str]:
    """Whether the post is on a page that answered."""
    listed = None
    # a web source's pages, and a feed fetched again, are read with the source's own parser
    if source is not None and (source.kind == "web" or urldefrag(source.url).url == address):
        listed = page.posts(t.school_id, source)
    if listed and any(p.post_id == t.post_id for p in listed):
        return "still_online", "still on the page"
    needle = _needle(t)
    if needle and needle in page.text():
        return "still_online", "its words are still on the page"
    if listed and source is not None and source.kind == "web":
        others = f"{len(listed)} other post{'s' if len(listed) != 1 else ''}"
        return "removed", f"no longer on the page, which still shows {others}"
    if listed is not None and source is not None and source.kind != "web":
        return "unknown", "no longer in the feed, but feeds drop old items: open it to check"
    if listed is not None:
        return "unknown", "the page shows no posts with the source's selectors: open it to check"
    return "unknown", "the page answers but the post's words are not on it: open it to check"


def _needle(t: RemovalTarget) -> str:
    """The first words of the post (its title when it has no text); a feed's summary cut short
    with an ellipsis loses its last, perhaps partial, word."""
    text = t.text.strip() or t.title.strip()
    found = words(text).split()
    if text.endswith(_TRUNCATED) and len(found) > 1:
        found = found[:-1]
    return " ".join(found[:NEEDLE_WORDS])
