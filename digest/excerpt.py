"""Excerpts of a post with the evidence spans marked: plain segments, escaped by the renderer.

Pure functions. The output is a list of `(text, marked)` segments so the HTML writer can wrap
marked ones in `<mark>` after escaping, and the plain-text writer in «guillemets».
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from schoolwatch.models import Evidence

Segment = tuple[str, bool]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")
ELLIPSIS = "…"


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


def spans_for(source: str, evidence: Iterable[Evidence], field: str) -> list[tuple[int, int]]:
    """The merged, sorted ranges of `field` evidence inside `source`."""
    ranges = sorted(
        r for ev in evidence if ev.field == field and (r := _locate(source, ev)) is not None
    )
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _windows(length: int, spans: list[tuple[int, int]], context: int) -> list[tuple[int, int]]:
    wins: list[tuple[int, int]] = []
    for start, end in spans:
        lo, hi = max(0, start - context), min(length, end + context)
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
        windows = _windows(len(source), spans, context)
    else:
        windows = [(0, limit)]
    out: list[Segment] = []
    for lo, hi in windows:
        if lo > 0 or out:
            out.append((ELLIPSIS, False))
        out.extend(_segments(source, lo, hi, spans))
    if windows and windows[-1][1] < len(source):
        out.append((ELLIPSIS, False))
    return [(clean_keep_edges(text), marked) for text, marked in out if text]


def clean_keep_edges(value: str) -> str:
    """`clean` without stripping, so words either side of a mark keep their spaces."""
    return _SPACE.sub(" ", _CONTROL.sub("", value))
