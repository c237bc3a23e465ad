"""Sentiment of what a post says about the school (docs/contract.md §4).

VADER's compound score (-1..1) of the sentences that contain a matched span (the school's
names, its people), so a post that praises the school after grumbling about the weather
scores as praise. With no span, the whole title and text are scored. Sentiment is a weak
signal and never decides harm (VADER misses negation, sarcasm, and has no entry for "knife").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from analysis.vader import FastAnalyzer
from schoolwatch.models import Span

# One analyzer: building it loads the lexicon (~10 ms), scoring is then pure.
_ANALYZER = FastAnalyzer()

# A sentence ends at . ! ? followed by white space, or at a line break. Cheap on purpose:
# "St. Aldric's" may split in two, which only widens the text scored (both halves overlap
# the span).
_BOUNDARY = re.compile(r"(?<=[.!?])\s+|\n+")

# VADER's time grows with the square of its input (2,000 chars: 10 ms; 20,000: 750 ms), so
# long texts are scored in chunks of whole sentences, and only the first few chunks: the
# mean mood of a very long text is a weak signal anyway.
CHUNK_CHARS = 2_000
MAX_CHUNKS = 10


def _sentences(text: str) -> Iterable[tuple[int, int]]:
    start = 0
    for m in _BOUNDARY.finditer(text):
        yield start, m.start()
        start = m.end()
    yield start, len(text)


def _mentioning(text: str, spans: list[Span]) -> list[str]:
    """The sentences of `text` that overlap any of `spans` (one pass over both, in order)."""
    if not spans:
        return []
    ranges = sorted((sp.start, sp.end) for sp in spans)
    chosen, i = [], 0
    for s, e in _sentences(text):
        while i < len(ranges) and ranges[i][1] <= s:
            i += 1  # spans that end before this sentence cannot overlap later ones either
        if i == len(ranges):
            break
        if ranges[i][0] < e:
            chosen.append(text[s:e])
    return chosen


def _chunks(text: str) -> list[str]:
    """Up to `MAX_CHUNKS` pieces of at most `CHUNK_CHARS`, cut between sentences if possible."""
    chunks: list[str] = []
    current = ""
    for s, e in _sentences(text):
        sentence = text[s:e]
        if current and len(current) + len(sentence) >= CHUNK_CHARS:
            chunks.append(current)
            current = ""
        while len(sentence) > CHUNK_CHARS and len(chunks) < MAX_CHUNKS:
            chunks.append(sentence[:CHUNK_CHARS])  # one very long "sentence": cut it
            sentence = sentence[CHUNK_CHARS:]
        current = f"{current} {sentence}" if current else sentence
        if len(chunks) >= MAX_CHUNKS:
            return chunks[:MAX_CHUNKS]
    return [*chunks, current] if current else chunks


def compound(text: str) -> float:
    """VADER compound score of `text`, -1..1 (0.0 for empty text).

    A text longer than `CHUNK_CHARS` is scored as the length-weighted mean of its chunks.
    """
    if not text.strip():
        return 0.0
    if len(text) <= CHUNK_CHARS:
        return float(_ANALYZER.polarity_scores(text)["compound"])
    chunks = [c for c in _chunks(text) if c.strip()]
    total = sum(len(c) for c in chunks)
    score = sum(_ANALYZER.polarity_scores(c)["compound"] * len(c) for c in chunks) / total
    return max(-1.0, min(1.0, float(score)))


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
