"""Sentiment of what a post says about the school (DESIGN.md §4).

VADER's compound score (-1..1) of the sentences that contain a matched span (the school's
names, its people), so a post that praises the school after grumbling about the weather
scores as praise. With no span, the whole title and text are scored. Sentiment is a weak
signal and never decides harm (PITFALLS.md: VADER misses negation, sarcasm, "knife").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from schoolwatch.models import Span

# One analyzer: building it loads the lexicon (~10 ms), scoring is then pure.
_ANALYZER = SentimentIntensityAnalyzer()

# A sentence ends at . ! ? followed by white space, or at a line break. Cheap on purpose:
# "St. Aldric's" may split in two, which only widens the text scored (both halves overlap
# the span).
_BOUNDARY = re.compile(r"(?<=[.!?])\s+|\n+")

# VADER is slow on very long inputs (and the score of a book is meaningless): cap it.
MAX_CHARS = 20_000


def _sentences(text: str) -> Iterable[tuple[int, int]]:
    start = 0
    for m in _BOUNDARY.finditer(text):
        yield start, m.start()
        start = m.end()
    yield start, len(text)


def _mentioning(text: str, spans: list[Span]) -> list[str]:
    """The sentences of `text` that overlap any of `spans`."""
    if not spans:
        return []
    return [
        text[s:e] for s, e in _sentences(text) if any(sp.start < e and s < sp.end for sp in spans)
    ]


def compound(text: str) -> float:
    """VADER compound score of `text` (0.0 for empty text), capped at `MAX_CHARS`."""
    if not text.strip():
        return 0.0
    return float(_ANALYZER.polarity_scores(text[:MAX_CHARS])["compound"])


def sentiment(title: str, text: str, spans: Iterable[Span]) -> float:
    """VADER compound (-1..1) of the sentences of title and text that contain a span.

    The title counts as one sentence. With no span in either field, the whole title and
    text are scored.
    """
    title, text = title or "", text or ""
    spans = list(spans)
    title_spans = [s for s in spans if s.field == "title"]
    chosen = [title] if title_spans else []
    chosen += _mentioning(text, [s for s in spans if s.field == "text"])
    if not chosen:
        chosen = [title, text]
    return compound(" ".join(part.strip() for part in chosen if part.strip()))
