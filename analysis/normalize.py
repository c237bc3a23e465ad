"""Name normalisation with a map back to the original text (docs/contract.md §3).

Text is cut into word tokens (runs of letters and digits; apostrophes inside a word are
dropped, so "Aldric's" and "Aldrics" are one token). Each token is case-folded and stripped
of accents, then a few spelling variants that schools are written with are made one form:
"Saint" is "st", and "CE", "C.E.", "C of E" and "Church of England" are all "ce". Every
other character is a word boundary, so "St. Aldric's" and "ST ALDRICS" both become the
tokens `st aldrics`.

`normalise(text)` returns the tokens joined by single spaces (with a space at each end, so
a phrase can be found with word boundaries by plain substring or regex search) and, for
each token, its [start, end) in the original text: a match in the normalised string maps
back to the exact characters a reader sees.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

# A word: letters/digits, with apostrophes allowed inside ("Aldric's", "O’Neill").
# Underscore is excluded so "st_aldrics" is two words, like "st-aldrics".
_APOSTROPHES = "'\u2019\u2018`\u02bc\u2032"
_WORD = re.compile(rf"[^\W_]+(?:[{_APOSTROPHES}][^\W_]+)*")
_NOT_ALNUM = re.compile(r"[\W_]+")

# Multi-token forms rewritten to one token. Longest first so "church of england" wins
# over any shorter overlap; "c e" is what "C.E." becomes once the dots are boundaries.
_PHRASES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("church", "of", "england"), "ce"),
    (("c", "of", "e"), "ce"),
    (("c", "e"), "ce"),
)
_SINGLE = {"saint": "st"}


@dataclass(frozen=True, slots=True)
class Normalised:
    """A text as normalised tokens, and where each token came from in the original."""

    text: str  # " tok tok tok " (leading and trailing space; empty text gives " ")
    offsets: tuple[tuple[int, int], ...]  # per token: [start, end) in the original
    token_starts: tuple[int, ...]  # per token: its index in `text`

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original [start, end) covering the tokens that `text[start:end]` touches."""
        first = bisect_right(self.token_starts, start) - 1
        last = bisect_right(self.token_starts, max(start, end - 1)) - 1
        first = max(first, 0)
        return self.offsets[first][0], self.offsets[last][1]


def fold_token(word: str) -> str:
    """One word case-folded, without accents, apostrophes or other non-alphanumerics."""
    if word.isascii():
        folded = word.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", word.casefold())
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    if not folded.isalnum():
        folded = _NOT_ALNUM.sub("", folded)
    return _SINGLE.get(folded, folded)


# Every post is normalised for matching, and most of its words were seen in earlier posts.
_fold_seen = lru_cache(maxsize=1 << 16)(fold_token)


def tokens(text: str) -> list[tuple[str, int, int]]:
    """Normalised tokens of `text` with their original [start, end), variants merged."""
    raw = []
    for m in _WORD.finditer(text):
        tok = _fold_seen(m.group())
        if tok:
            start, end = m.span()
            raw.append((tok, start, end))
    return _merge_phrases(raw)


_PHRASE_STARTS = frozenset(phrase[0] for phrase, _ in _PHRASES)


def _merge_phrases(raw: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    # Only "c" and "church" can start a phrase: skip the work for texts without them.
    if _PHRASE_STARTS.isdisjoint(tok for tok, _, _ in raw):
        return raw
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(raw):
        for phrase, repl in _PHRASES:
            n = len(phrase)
            if raw[i][0] == phrase[0] and tuple(t[0] for t in raw[i : i + n]) == phrase:
                out.append((repl, raw[i][1], raw[i + n - 1][2]))
                i += n
                break
        else:
            out.append(raw[i])
            i += 1
    return out


# `_WORD` for a text of ASCII characters only: the same matches, without Unicode's categories
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+(?:['`][A-Za-z0-9]+)*")
_GROUP = re.Match.group
_SPAN = re.Match.span
_PLUS_ONE = (1).__add__


def _words(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """The matches of `_WORD` in `text` and their [start, end), as `_WORD.finditer` gives."""
    if not text.isascii():
        found = list(_WORD.finditer(text))
        return list(map(_GROUP, found)), list(map(_SPAN, found))
    words = _ASCII_WORD.findall(text)
    # between two words there is no letter or digit (one would start a word), so a word's
    # first occurrence after the end of the one before is where it was found
    spans = []
    find = text.find
    end = 0
    for word in words:
        start = find(word, end)
        end = start + len(word)
        spans.append((start, end))
    return words, spans


def normalise(text: str) -> Normalised:
    """`text` as space-joined normalised tokens with their original offsets."""
    # `tokens(text)`, with fewer steps per word: every post is normalised twice (title, text)
    words, spans = _words(text)
    toks = list(map(_fold_seen, words))
    if "" in toks or not _PHRASE_STARTS.isdisjoint(toks):
        # a word that folds to nothing, or one that may start a variant ("c of e"): the loop
        merged = tokens(text)
        toks = [tok for tok, _, _ in merged]
        spans = [(s, e) for _, s, e in merged]
    words_text = " ".join(toks)
    # each token starts one space after the end of the one before
    starts = tuple(accumulate(map(_PLUS_ONE, map(len, toks[:-1])), initial=1)) if toks else ()
    return Normalised(
        text=f" {words_text} " if words_text else " ",
        offsets=tuple(spans),
        token_starts=starts,
    )


def normalise_phrase(phrase: str) -> str:
    """A configured name as its normalised tokens joined by single spaces (no padding)."""
    return " ".join(t for t, _, _ in tokens(phrase))
