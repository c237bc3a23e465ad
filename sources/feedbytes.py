"""A fetched feed made safe for feedparser, and each item's own bytes, in time linear in size.

`prepare(body, charset)` returns the document as UTF-8 that feedparser can only read one way:

- decoded entry by entry (`sources.decoding`), so a bad byte costs one character of one entry;
- no DOCTYPE: its internal subset is where entities are defined, and feedparser's loose parser
  expands them even after expat refused (a 200 KB feed became a 200 MB post). Without it
  `&name;` is left as text; external DTDs are never fetched either;
- character references XML forbids (`&#xD800;`, `&#x110000;`, `&#0;`) and raw control
  characters become U+FFFD, so one such entry neither fails the feed nor pushes every entry
  through the loose parser.

`item_spans(body)` finds each `<item>…</item>` / `<entry>…</entry>` (any namespace prefix):
the same ranges as the obvious non-greedy regex, without its rescanning to the end of the
document for every start tag that never closes.
"""

from __future__ import annotations

import re

from sources.decoding import choose_encoding, decode_pieces, xml_declared

# Item and entry start and end tags, with or without a namespace prefix. Attributes cannot
# hold "<", so a start tag that never ends stops at the next "<" instead of scanning on.
_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"
_OPEN = {
    frozenset(names): re.compile(rb"<" + _PREFIX + rb"(" + b"|".join(names) + rb")(?:\s[^<>]*)?>")
    for names in ((b"item", b"entry"), (b"item",), (b"entry",))
}
_CLOSE = {name: re.compile(rb"</" + _PREFIX + name + rb"\s*>") for name in (b"item", b"entry")}
# Where the root element may start, as feedparser finds it (a DOCTYPE before it is honoured).
_ELEMENT_START = re.compile(r"<[A-Za-z0-9_]")
_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_DOCTYPE_TOKEN = re.compile(r"""["'\[>]""")
_SUBSET_TOKEN = re.compile(r"""["'\]]|<!--""")
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
# Characters XML 1.0 does not allow, raw: C0 controls other than tab, LF, CR; U+FFFE, U+FFFF.
_INVALID_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_DECL_ENCODING = re.compile(r"""^(\s*<\?xml[^>]{0,200}?encoding\s*=\s*)(["'])[^"'>]*\2""")


class UnendingDoctype(ValueError):
    """The DOCTYPE declaration never ends: there is no document after it to read."""


def item_spans(body: bytes) -> list[tuple[int, int]]:
    """(start, end) of each item or entry element, in document order, not overlapping: from
    each start tag to the first end tag of the same name after it."""
    spans = []
    pos = 0
    names = set(_CLOSE)
    ends: dict[bytes, re.Match[bytes] | None] = {}
    while names:
        start = _OPEN[frozenset(names)].search(body, pos)
        if start is None:
            break
        name = start.group(1)
        end = ends.get(name)
        if name not in ends or (end is not None and end.start() < start.end()):
            end = ends[name] = _CLOSE[name].search(body, start.end())
        if end is None:  # no end tag of this name from here on: no more such items
            names.discard(name)
            continue
        spans.append((start.start(), end.end()))
        pos = end.end()
    return spans


def prepare(body: bytes, charset: str | None = None) -> bytes:
    """The feed as clean UTF-8 (see the module docstring). Raises `UnendingDoctype`."""
    encoding, skip = choose_encoding(body, charset, xml_declared(body))
    cuts = [offset - skip for span in item_spans(body) for offset in span]
    text = decode_pieces(body[skip:], encoding, cuts)
    text = _without_doctype(text)
    text = _CHAR_REF.sub(_checked_reference, text)
    text = _INVALID_CHAR.sub("\ufffd", text)
    text = _XML_DECL_ENCODING.sub(r"\1\2utf-8\2", text, count=1)
    return text.encode("utf-8")


def _without_doctype(text: str) -> str:
    """`text` without the DOCTYPE declarations of its prolog, internal subsets included."""
    pieces = []
    pos = 0
    root = _ELEMENT_START.search(text)
    while True:
        if root is not None and root.start() < pos:  # that "<b" was inside a DOCTYPE
            root = _ELEMENT_START.search(text, pos)
        found = _DOCTYPE.search(text, pos, root.start() if root else len(text))
        if found is None:
            pieces.append(text[pos:])
            return "".join(pieces)
        pieces.append(text[pos : found.start()])
        pos = _doctype_end(text, found.end())


def _doctype_end(text: str, pos: int) -> int:
    """Where the DOCTYPE whose name starts at `pos` ends (just after its ">")."""
    in_subset = False
    while True:
        token = (_SUBSET_TOKEN if in_subset else _DOCTYPE_TOKEN).search(text, pos)
        if token is None:
            raise UnendingDoctype("its DOCTYPE declaration never ends")
        mark = token.group()
        if mark in ('"', "'"):
            close = text.find(mark, token.end())
            if close < 0:
                raise UnendingDoctype("a quoted value in its DOCTYPE never ends")
            pos = close + 1
        elif mark == "<!--":
            close = text.find("-->", token.end())
            if close < 0:
                raise UnendingDoctype("a comment in its DOCTYPE never ends")
            pos = close + 3
        elif mark == "[":
            in_subset, pos = True, token.end()
        elif mark == "]":
            in_subset, pos = False, token.end()
        else:  # ">"
            return token.end()


def _checked_reference(match: re.Match[str]) -> str:
    hex_digits, decimal = match.groups()
    digits = (hex_digits or decimal).lstrip("0")
    if len(digits) > 8:  # past U+10FFFF in either base (and too long for int())
        return "&#xFFFD;"
    code = int(hex_digits, 16) if hex_digits else int(decimal)
    allowed = (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )
    return match.group() if allowed else "&#xFFFD;"
