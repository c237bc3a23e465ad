"""Bytes to text for feeds and pages: a bad byte costs one character, never the document.

Which encoding: a byte order mark, else the HTTP Content-Type charset, else what the document
declares (`<?xml encoding=...?>` or `<meta charset>`), else UTF-8.

UTF-8 and its look-alikes (US-ASCII, ISO-8859-1, windows-1252, which sites mix up all the
time) are decoded piece by piece (`decode_pieces`): a piece that is valid UTF-8 is UTF-8; a
piece with no UTF-8 sequence at all but bytes above 0x7F is windows-1252 (an old item pasted
into a UTF-8 feed); otherwise each invalid byte becomes U+FFFD and the rest stays as it is.
So one stray byte in one entry cannot turn "St Osric’s" into "St Osricâ€™s" everywhere else.
Every other encoding is decoded whole, each undecodable byte replaced.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Sequence

# The UTF-8 family: decoded piece by piece as above.
_UTF8_LIKE = frozenset({"utf-8", "ascii", "latin-1", "iso8859-1", "cp1252"})
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose mark it starts with
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LABEL = rb"([A-Za-z0-9._:-]{1,40})"
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']""" + _LABEL)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,500}?charset\s*=\s*["']?\s*""" + _LABEL, re.I)


def codec_name(label: str | None) -> str | None:
    """Python's name for an encoding label ("UTF8" -> "utf-8"); None when unknown or not a
    text encoding (a document cannot ask for "zlib" or "rot13")."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
        b"a".decode(name, errors="replace")  # LookupError for bytes-to-bytes codecs
    except (LookupError, ValueError):
        return None
    return name


def bom_encoding(data: bytes) -> tuple[str | None, int]:
    """The encoding a byte order mark announces, and the mark's length."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    return None, 0


def xml_declared(data: bytes) -> str | None:
    """The encoding named by an XML declaration at the start of `data`."""
    match = _XML_ENCODING.match(data[:300])
    return codec_name(match.group(1).decode("ascii")) if match else None


def meta_declared(data: bytes) -> str | None:
    """The charset of the first `<meta charset>` or `http-equiv` in the first 1024 bytes."""
    match = _META_CHARSET.search(data[:1024])
    return codec_name(match.group(1).decode("ascii")) if match else None


def choose_encoding(data: bytes, charset: str | None, declared: str | None) -> tuple[str, int]:
    """(encoding, bytes of byte order mark to skip) by the order in the module docstring."""
    bom, skip = bom_encoding(data)
    if bom:
        return bom, skip
    return codec_name(charset) or declared or "utf-8", 0


def decode_pieces(data: bytes, encoding: str, cuts: Sequence[int] = ()) -> str:
    """`data` as text. In the UTF-8 family each piece between `cuts` (offsets at ASCII
    characters, such as where entries start and end) is decoded on its own."""
    if encoding not in _UTF8_LIKE:
        return data.decode(encoding, errors="replace")
    bounds = [0, *sorted(c for c in set(cuts) if 0 < c < len(data)), len(data)]
    return "".join(_decode_utf8_like(data[a:b])[0] for a, b in itertools.pairwise(bounds))


def decode_document(data: bytes, encoding: str) -> tuple[str, str]:
    """`data` as text in one piece, and the codec that decoded it (in the UTF-8 family,
    "utf-8" or "cp1252" as found)."""
    if encoding not in _UTF8_LIKE:
        return data.decode(encoding, errors="replace"), encoding
    return _decode_utf8_like(data)


def _decode_utf8_like(piece: bytes) -> tuple[str, str]:
    try:
        return piece.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE.search(piece) is None:
        return piece.decode("cp1252", errors="replace"), "cp1252"
    return piece.decode("utf-8", errors="replace"), "utf-8"
