"""Turning what sources publish into plain values: HTML to plain text, date strings to UTC."""

from __future__ import annotations

import email.utils
import re
import warnings
from datetime import UTC, datetime

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag

# Elements whose boundaries separate words: "<p>a</p><p>b</p>" is "a b", not "ab".
_BLOCK_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt"),
        *("fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4"),
        *("h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section"),
        *("table", "td", "th", "tr", "ul"),
    }
)
_INVISIBLE_TAGS = ("script", "style", "template", "noscript")
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
    """The visible text of an element, block boundaries as spaces, whitespace collapsed."""
    for tag in element.find_all(_INVISIBLE_TAGS):
        tag.decompose()
    for tag in element.find_all(_BLOCK_TAGS):
        tag.insert_before(" ")
        tag.insert_after(" ")
    return collapse(element.get_text())


def html_to_text(markup: str) -> str:
    """Plain text of an HTML (or plain) string: tags stripped, entities unescaped, collapsed."""
    if "<" not in markup and "&" not in markup:
        return collapse(markup)
    with warnings.catch_warnings():
        # a short string that looks like a file name or URL is still just text here
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(markup, "html.parser")
    return element_text(soup)


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
