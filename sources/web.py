"""HTML pages (forums, comment threads): items picked by CSS selectors, parsed with beautifulsoup4.

Selectors come from the source config: `item` finds each post; `text`, `title`, `author`,
`published` and `link` are looked up inside it. `"selector@attribute"` reads an attribute
instead of the text (`"time@datetime"`, `"a.permalink@href"`); `"@attribute"` reads one of
the item element itself.

An item without a permalink gets the page URL plus a stable anchor: its `id` (or `data-id`,
`data-post-id`) attribute, else a hash of its text. A hashed anchor changes when the text is
edited, so such an edit is seen as a new post rather than a new version: give a `link`
selector where the site has permalinks.

`raw` is the item's own bytes as fetched: the slice of the page from the item's start tag to
its end tag, located from html.parser's source positions. When that slice cannot be found
exactly (an unusual encoding, an unclosed element), it is the element as beautifulsoup4
serialises it, in UTF-8.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from datetime import datetime
from urllib.parse import urldefrag, urljoin

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag, XMLParsedAsHTMLWarning
from soupsieve import SelectorSyntaxError

from schoolwatch.config import SourceConfig, split_selector
from schoolwatch.errors import FetchError
from schoolwatch.models import Post
from sources.decoding import choose_encoding, decode_document, meta_declared
from sources.identity import post_id
from sources.text import collapse, element_text, parse_datetime

_ID_ATTRIBUTES = ("id", "data-id", "data-post-id", "data-comment-id")


def parse_page(
    body: bytes,
    *,
    school_id: str,
    source: SourceConfig,
    base_url: str,
    fetched_at: datetime,
    charset: str | None = None,
) -> list[Post]:
    """The posts on an HTML page. No matching items is an empty list; items with no text are
    skipped; an invalid selector is a `FetchError` naming it. `charset` is the Content-Type's:
    it wins over the page's `<meta charset>` (a byte order mark wins over both)."""
    if not source.item or not source.text:
        raise FetchError(f"source {source.id!r} needs `item` and `text` selectors ({base_url})")
    page = _Page(body, charset)
    with warnings.catch_warnings():
        # a page is parsed as HTML whatever it claims to be; bs4's advice about that is noise
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(page.text, "html.parser")
    posts = []
    for item in _select(soup, source.item, source, base_url):
        post = _post(item, page.raw(item), school_id, source, base_url, fetched_at)
        if post is not None:
            posts.append(post)
    return posts


def _post(
    item: Tag,
    raw: bytes,
    school_id: str,
    source: SourceConfig,
    base_url: str,
    fetched_at: datetime,
) -> Post | None:
    fields = {
        name: _field(item, getattr(source, name), source, base_url)
        for name in ("text", "title", "author", "published", "link")
    }
    text = fields["text"] or ""
    if not text:
        return None
    if fields["link"]:
        link = urljoin(base_url, fields["link"])
    else:
        link = f"{urldefrag(base_url).url}#{_anchor(item, text)}"
    return Post(
        post_id=post_id(link, link),
        source_id=source.id,
        school_id=school_id,
        url=link,
        guid=link,
        title=fields["title"] or "",
        text=text,
        author=fields["author"] or "",
        published_at=parse_datetime(fields["published"]),
        fetched_at=fetched_at,
        raw=raw,
        local=source.local,
    )


def _field(item: Tag, spec: str | None, source: SourceConfig, base_url: str) -> str | None:
    """The value `spec` names inside `item`: the first match's text or attribute."""
    if not spec:
        return None
    selector, attribute = split_selector(spec)
    if selector:
        found = _select(item, selector, source, base_url)
        if not found:
            return None
        element = found[0]
    else:
        element = item
    if attribute is None:
        return element_text(element) or None
    value = element.get(attribute)
    if isinstance(value, list):  # multi-valued attributes such as class
        value = " ".join(value)
    return collapse(value) if value else None


def _select(root: Tag, selector: str, source: SourceConfig, base_url: str) -> list[Tag]:
    try:
        return root.select(selector)
    except (SelectorSyntaxError, ValueError, NotImplementedError) as e:
        first_line = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise FetchError(
            f"invalid CSS selector {selector!r} in source {source.id!r} ({base_url}): {first_line}"
        ) from None


def _anchor(item: Tag, text: str) -> str:
    for attribute in _ID_ATTRIBUTES:
        value = item.get(attribute)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return "sw-" + hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:12]


class _Page:
    """The fetched page as text (see `sources.decoding`), to cut each item's exact source out
    of it. Items come in document order, so finding every item's bytes is one pass overall."""

    def __init__(self, body: bytes, charset: str | None) -> None:
        self.body = body
        encoding, self._skip = choose_encoding(body, charset, meta_declared(body))
        self.text, self.encoding = decode_document(body[self._skip :], encoding)
        # html.parser reports (line, column) positions; lines are split on "\n" only
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        self._cursor = (0, self._skip)  # a text offset and the byte offset it starts at

    def raw(self, item: Tag) -> bytes:
        """The item's bytes as fetched, or its serialisation when they cannot be found."""
        span = self._span(item)
        if span is not None:
            start, end = span
            encoded = self.text[start:end].encode(self.encoding, errors="replace")
            if self.body.startswith(encoded, self._byte_offset(start)):
                return encoded
        return str(item).encode("utf-8", errors="surrogatepass")

    def _byte_offset(self, start: int) -> int:
        chars, offset = self._cursor
        if start < chars:  # not in document order after all: count again from the top
            chars, offset = 0, self._skip
        offset += len(self.text[chars:start].encode(self.encoding, errors="replace"))
        self._cursor = (start, offset)
        return offset

    def _span(self, item: Tag) -> tuple[int, int] | None:
        line, column = item.sourceline, item.sourcepos
        if line is None or column is None or not 0 < line <= len(self.line_starts):
            return None
        start = self.line_starts[line - 1] + column
        opening = f"<{item.name}"
        if self.text[start : start + len(opening)].lower() != opening:
            return None
        following = _next_outside(item)
        end = len(self.text)
        if following is not None and following.sourceline is not None:
            end = self.line_starts[following.sourceline - 1] + (following.sourcepos or 0)
        end_tag = re.compile(f"</{re.escape(item.name)}", re.IGNORECASE)
        # the last end tag before the next element outside the item
        closing = max((m.start() for m in end_tag.finditer(self.text, start, end)), default=-1)
        if closing < 0:
            return None
        close_end = self.text.find(">", closing, end)
        return (start, close_end + 1) if close_end >= 0 else None


def _next_outside(item: Tag) -> Tag | None:
    """The first element after `item` in document order that is not inside it."""
    descendants = list(item.descendants)
    last = descendants[-1] if descendants else item
    following = last.find_next()
    return following if isinstance(following, Tag) else None
