"""Turning what sources publish into plain values: HTML to plain text, date strings to UTC."""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

from bs4 import PageElement, Tag

# Elements whose boundaries separate words: "<p>a</p><p>b</p>" is "a b", not "ab".
_BLOCK_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt"),
        *("fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4"),
        *("h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section"),
        *("table", "td", "th", "tr", "ul"),
    }
)
_INVISIBLE_TAGS = frozenset({"script", "style", "template", "noscript"})
_WHITESPACE = re.compile(r"\s+")

_FORMATS = (
    "%d %B %Y %H:%M",
    "%d %b %Y %H:%M",
    "%d %B %Y, %H:%M",
    "%d %b %Y, %H:%M",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d, %Y %H:%M",
    "%b %d, %Y %H:%M",
    "%B %d, %Y",
    "%b %d, %Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",  # UK sites: day first
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
)


def collapse(text: str) -> str:
    """Runs of whitespace to one space, trimmed."""
    return _WHITESPACE.sub(" ", text).strip()


def element_text(element: Tag) -> str:
    """The visible text of an element, block boundaries as spaces, whitespace collapsed.

    One walk over the tree, which it leaves as it was: time linear in the element's size, even
    for tens of thousands of sibling blocks.
    """
    # the strings get_text() would give: plain text and CDATA, not comments or script bodies
    wanted = element.interesting_string_types or set()
    parts: list[str] = []
    stack: list[PageElement | None] = list(reversed(element.contents))
    while stack:
        node = stack.pop()
        if node is None:  # the end of a block element
            parts.append(" ")
        elif isinstance(node, Tag):
            if node.name in _INVISIBLE_TAGS:
                continue
            if node.name in _BLOCK_TAGS:
                parts.append(" ")
                stack.append(None)
            stack.extend(reversed(node.contents))
        elif type(node) in wanted:
            parts.append(str(node))
    return collapse("".join(parts))


def html_to_text(markup: str) -> str:
    """Plain text of an HTML (or plain) string: tags stripped, entities unescaped, collapsed.

    The same text `element_text` gives for the parsed markup, read in one streaming pass
    without building a tree (about three times faster; feeds call this for every field).
    """
    if "<" not in markup and "&" not in markup:
        return collapse(markup)
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    return collapse("".join(collector.parts))


class _TextCollector(HTMLParser):
    """Visible text with a space at each block boundary; script, style and the like skipped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0  # depth inside invisible elements

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _INVISIBLE_TAGS:
            self._hidden += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE_TAGS:
            self._hidden = max(self._hidden - 1, 0)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)

    def unknown_decl(self, data: str) -> None:
        if data.startswith("CDATA[") and not self._hidden:
            self.parts.append(data.removeprefix("CDATA["))


def parse_datetime(value: str | None) -> datetime | None:
    """A date as sources write it (ISO 8601, RFC 2822, "3 March 2026 14:05", "03/03/2026", ...)
    as an aware UTC datetime; None when absent or unreadable. A time without a zone is taken as
    UTC (the sources we watch are British, and the error is at most an hour)."""
    if not value:
        return None
    text = collapse(value)
    parsed = _iso(text) or _rfc2822(text) or _by_formats(text)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


def _rfc2822(text: str) -> datetime | None:
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _by_formats(text: str) -> datetime | None:
    # "3rd March 2026" -> "3 March 2026"
    text = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text)
    for fmt in _FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None
