"""RSS 0.9x/1.0/2.0 and Atom feeds, parsed by feedparser from bytes we fetched ourselves.

`raw` (the evidence) is each item's own bytes exactly as fetched: the `<item>…</item>` or
`<entry>…</entry>` ranges found in the body, paired with feedparser's entries in document
order. When the counts do not agree (a broken feed, items hidden in CDATA, a UTF-16 body), the
pairing would be a guess, so every entry of that feed falls back to a canonical JSON
serialisation of feedparser's entry (sorted keys, UTF-8), which still records what we parsed.

feedparser reads the document only after `sources.feedbytes.prepare`: decoded entry by entry,
no DOCTYPE (so no entity is ever expanded), forbidden characters replaced.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from schoolwatch.config import SourceConfig
from schoolwatch.errors import FetchError
from schoolwatch.models import Post
from sources.feedbytes import UnendingDoctype, item_spans, prepare
from sources.identity import post_id
from sources.text import html_to_text

_EMAIL_AND_NAME = re.compile(r"^\S+@\S+\s*\((.+)\)$")


def parse_feed(
    body: bytes,
    *,
    school_id: str,
    source: SourceConfig,
    base_url: str,
    fetched_at: datetime,
    charset: str | None = None,
) -> list[Post]:
    """The posts of an RSS or Atom document. Broken entries are skipped, good ones kept;
    `FetchError("not a feed: ...")` when the body holds no feed at all (HTML, garbage).
    `charset` is the Content-Type's, which wins over the document's own declaration."""
    try:
        prepared = prepare(body, charset)
    except UnendingDoctype as e:
        raise FetchError(f"not a feed: {base_url}: {e}") from None
    # A BytesIO, never the bytes themselves: given bytes, feedparser first tries them as a local
    # file name (a body of b"/etc/passwd" would be read from disk) and given a str URL it fetches.
    # No response_headers: without a Content-Type among them feedparser marks every feed bozo.
    # Relative links are resolved against base_url below instead.
    parsed = feedparser.parse(io.BytesIO(prepared), sanitize_html=True)
    entries = parsed.entries
    if not entries and (parsed.get("bozo") or not parsed.get("version")):
        raise FetchError(f"not a feed: {base_url}: {_why_not_a_feed(parsed, body)}")
    raws = _item_bytes(body, len(entries))
    posts = []
    for entry, raw in zip(entries, raws, strict=True):
        post = _post(entry, raw, school_id, source, base_url, fetched_at)
        if post is not None:
            posts.append(post)
    return posts


def _why_not_a_feed(parsed: Any, body: bytes) -> str:
    head = body[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "it looks like an HTML page (no RSS or Atom entries found)"
    error = parsed.get("bozo_exception")
    if not body.strip():
        return "the response body is empty"
    if error is not None:
        reason = str(error).removeprefix("<unknown>:").strip() or type(error).__name__
        return f"no RSS or Atom entries found (parser: {reason})"
    return "no RSS or Atom entries found"


def _item_bytes(body: bytes, count: int) -> list[bytes | None]:
    """Each entry's raw bytes in document order, or all None when the counts disagree."""
    found = [body[start:end] for start, end in item_spans(body)]
    if len(found) != count:
        return [None] * count
    return list(found)


def _post(
    entry: Any,
    raw: bytes | None,
    school_id: str,
    source: SourceConfig,
    base_url: str,
    fetched_at: datetime,
) -> Post | None:
    title = html_to_text(entry.get("title") or "")
    text = _longest_text(entry)
    link = urljoin(base_url, (entry.get("link") or "").strip())
    guid = (entry.get("id") or "").strip() or (entry.get("link") or "").strip()
    if not guid:
        if not (title or text):
            return None  # nothing to identify or read
        guid = "sha256:" + _digest(f"{title}\n{text}")
    return Post(
        post_id=post_id(link, guid),
        source_id=source.id,
        school_id=school_id,
        url=link,
        guid=guid,
        title=title,
        text=text,
        author=_author(entry),
        published_at=_published(entry),
        fetched_at=fetched_at,
        raw=raw if raw is not None else _entry_json(entry),
        local=source.local,
    )


def _longest_text(entry: Any) -> str:
    candidates = [html_to_text(c.get("value") or "") for c in entry.get("content") or []]
    candidates.append(html_to_text(entry.get("summary") or ""))
    return max(candidates, key=len)


def _author(entry: Any) -> str:
    author = html_to_text(entry.get("author") or "")
    # RSS 2.0 <author> is "email (Name)". Not author_detail.name: feedparser 6.0.14 cuts that
    # wrongly ("newsdesk@courier.example (Sam Ketley)" -> "ple (Sam Ketley").
    named = _EMAIL_AND_NAME.match(author)
    if named:
        return named.group(1).strip()
    return author or html_to_text((entry.get("author_detail") or {}).get("name") or "")


def _published(entry: Any) -> datetime | None:
    # feedparser has already normalised these to UTC struct_time
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # dict.get, not entry.get: FeedParserDict maps a missing published_parsed to
        # updated_parsed with a DeprecationWarning; we ask for each key ourselves.
        value = dict.get(entry, key)
        if isinstance(value, time.struct_time):
            try:
                return datetime(*value[:6], tzinfo=UTC)
            except ValueError:
                continue
    return None


def _entry_json(entry: Any) -> bytes:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, default=_json_default).encode(
        "utf-8", errors="surrogatepass"
    )


def _json_default(value: object) -> object:
    if isinstance(value, time.struct_time):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", value)
    return str(value)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:16]
