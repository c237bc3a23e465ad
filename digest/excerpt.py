"""Excerpts of a post with the evidence spans marked: plain segments, escaped by the renderer.

Pure functions. The output is a list of `(text, marked)` segments so the HTML template can wrap
marked ones in `<mark>` after escaping, and the plain-text one in «guillemets». Marks and
excerpt edges fall on word boundaries: a span the classifier ended inside a word ("week" of
"weekend", "50" of "£19.50") is widened to the whole word.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from schoolwatch.models import Evidence

Segment = tuple[str, bool]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")
ELLIPSIS = "…"
# A word for highlighting: letters and digits, joined by an apostrophe, point, comma or hyphen
# ("£19.50", "kids'", "don't", "well-known"); a currency sign or @/# in front belongs to it.
_WORD = re.compile(r"[£$€@#]?\w+(?:[.,'’-]\w+)*")
_MAX_WIDEN = 30  # a "word" longer than this (a URL, a keyboard mash) may be cut
_LEADING_JUNK = frozenset(" \t\n.,;:!?)]}")


def clean(value: str, *, limit: int | None = None) -> str:
    """One line of web text: control and bidi-override characters dropped, whitespace collapsed.

    Bidi overrides go because they can make an author's name read as something else.
    """
    out = _SPACE.sub(" ", _CONTROL.sub("", value)).strip()
    if limit is not None and len(out) > limit:
        out = out[: limit - 1].rstrip() + ELLIPSIS
    return out


def _locate(source: str, ev: Evidence) -> tuple[int, int] | None:
    """Where the evidence sits in `source`: its offsets when they agree, else its text found."""
    start, end = ev.start, ev.end
    if 0 <= start < end <= len(source) and (not ev.text or source[start:end] == ev.text):
        return start, end
    if ev.text:
        found = source.find(ev.text)
        if found >= 0:
            return found, found + len(ev.text)
    return None


class _Words:
    """The words of a text, to move a position that falls inside one to its edge."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._spans = [m.span() for m in _WORD.finditer(source)]
        self._starts = [start for start, _ in self._spans]

    def _inside(self, pos: int) -> tuple[int, int] | None:
        i = bisect.bisect_right(self._starts, pos) - 1
        if i >= 0 and self._spans[i][0] < pos < self._spans[i][1]:
            return self._spans[i]
        return None

    def widen(self, start: int, end: int) -> tuple[int, int]:
        """`[start, end)` grown outwards so neither edge cuts a word (of a sane length)."""
        word = self._inside(start)
        if word is not None and start - word[0] <= _MAX_WIDEN:
            start = word[0]
        word = self._inside(end)
        if word is not None and word[1] - end <= _MAX_WIDEN:
            end = word[1]
        return start, end


def spans_for(source: str, evidence: Iterable[Evidence], field: str) -> list[tuple[int, int]]:
    """The merged, sorted ranges of `field` evidence inside `source`, on word boundaries."""
    words = _Words(source)
    ranges = sorted(
        words.widen(*r)
        for ev in evidence
        if ev.field == field and (r := _locate(source, ev)) is not None
    )
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _windows(
    length: int, spans: list[tuple[int, int]], context: int, words: _Words
) -> list[tuple[int, int]]:
    wins: list[tuple[int, int]] = []
    for start, end in spans:
        lo, hi = words.widen(max(0, start - context), min(length, end + context))
        while lo < start and words.source[lo] in _LEADING_JUNK:  # no "… . We pay"
            lo += 1
        if wins and lo <= wins[-1][1]:
            wins[-1] = (wins[-1][0], max(hi, wins[-1][1]))
        else:
            wins.append((lo, hi))
    return wins


def _segments(source: str, lo: int, hi: int, spans: list[tuple[int, int]]) -> list[Segment]:
    out: list[Segment] = []
    pos = lo
    for start, end in spans:
        start, end = max(start, lo), min(end, hi)
        if start >= end:
            continue
        if pos < start:
            out.append((source[pos:start], False))
        out.append((source[start:end], True))
        pos = end
    if pos < hi:
        out.append((source[pos:hi], False))
    return out


def excerpt(
    source: str, evidence: Iterable[Evidence], field: str, *, context: int = 120, limit: int = 600
) -> list[Segment]:
    """The parts of `source` around its evidence, marked; the whole of it when short.

    Windows of `context` characters either side of each span are joined with an ellipsis, so a
    long post still shows every reason it was flagged. Whitespace is collapsed for display.
    """
    spans = spans_for(source, evidence, field)
    if len(source) <= limit:
        windows = [(0, len(source))]
    elif spans:
        windows = _windows(len(source), spans, context, _Words(source))
    else:
        windows = [_Words(source).widen(0, limit)]
    out: list[Segment] = []
    for lo, hi in windows:
        if out:
            out.append((f" {ELLIPSIS} ", False))
        elif lo > 0:
            out.append((ELLIPSIS, False))
        out.extend(_segments(source, lo, hi, spans))
    if windows and windows[-1][1] < len(source):
        out.append((ELLIPSIS, False))
    return [(clean_keep_edges(text), marked) for text, marked in out if text]


def clean_keep_edges(value: str) -> str:
    """`clean` without stripping, so words either side of a mark keep their spaces."""
    return _SPACE.sub(" ", _CONTROL.sub("", value))


def shorten(segments: list[Segment], limit: int) -> list[Segment]:
    """The first `limit` characters of an excerpt, cut after a whole word, marks kept."""
    out: list[Segment] = []
    used = 0
    for text, marked in segments:
        if used + len(text) <= limit:
            out.append((text, marked))
            used += len(text)
            continue
        room = text[: max(0, limit - used)]
        cut = room[: room.rfind(" ")] if " " in room else ""
        if cut.strip():
            out.append((cut.rstrip(), marked))
        out.append((ELLIPSIS, False))
        break
    return out
