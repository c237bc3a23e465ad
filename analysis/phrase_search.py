"""A list of phrases searched as the one regular expression `analysis.phrases` compiles it to,
compiling only the parts a text could match.

A threat frame's phrases compile to an expression of up to a quarter of a million characters
(each slot, such as `{harm}`, is written out in every phrase that names it), and compiling it
took most of the classifier's start-up. Most phrases cannot match most texts: a phrase holding
the word "know" cannot match a text without the letters "know". So the phrases are kept in the
order the whole expression tries them (`phrases.in_order`) and cut into parts of consecutive
phrases that need the same word; a part is compiled the first time a text holds its word, and
searched only in texts that hold it. (Phrases of slots and emoji only need no word: their
parts are searched in every text.)

What the parts find together is exactly what the whole expression finds. The whole is an
ordered alternation of the parts: at each position it takes the first part that matches there,
as that part would match on its own, so its next match is the leftmost of the parts' next
matches, the earlier part on a tie; a part that cannot match is left out of that choice
without changing it. Should a match ever be empty, which a phrase holding a word never is,
the whole expression is searched instead (its rule for what follows an empty match is its own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analysis import phrases
from analysis.lazy_regex import LazyRegex

# a token that is a word, or a word's stem (`kill*`): its letters are in every match (an inner
# apostrophe may be left out in the text, so the letters either side of it are what is sure)
_WORD = re.compile(r"[a-z0-9']+\*?")


@dataclass(frozen=True, slots=True)
class _Part:
    words: tuple[str, ...]  # letters every match holds (none: the part is always searched)
    regex: LazyRegex

    def possible(self, text: str, lo: int, hi: int) -> bool:
        """Could the part match in `text[lo:hi]` (does it hold every one of `words`)?"""
        return all(text.find(word, lo, hi) >= 0 for word in self.words)


class PhraseSearch:
    """`phrases.bounded(phrases.alternation(phrase_list, slots))`, searched part by part (see
    the module docstring). Two are equal when their whole expressions are."""

    __slots__ = ("_parts", "whole")

    def __init__(self, phrase_list: list[str], slots: dict[str, str]) -> None:
        self.whole = LazyRegex(phrases.bounded(phrases.alternation(phrase_list, slots)))
        # consecutive phrases that need the same (longest) word make one part, which needs
        # every word they all need
        runs: list[tuple[str | None, frozenset[str], list[str]]] = []
        for phrase in phrases.in_order(phrase_list):
            words = _words_in(phrase)
            key = max(sorted(words), key=len) if words else None
            if runs and runs[-1][0] == key:
                runs[-1] = (key, runs[-1][1] & words, [*runs[-1][2], phrase])
            else:
                runs.append((key, words, [phrase]))
        self._parts = tuple(
            _Part(
                tuple(sorted(common, key=lambda w: (-len(w), w))),
                LazyRegex(phrases.bounded(phrases.alternation(run, slots))),
            )
            for _, common, run in runs
        )

    @property
    def compiled(self) -> int:
        """How many of the parts have been compiled (searched at least once)."""
        return sum(part.regex.compiled for part in self._parts)

    @property
    def parts(self) -> int:
        return len(self._parts)

    def compile(self) -> None:
        """Compile every part now."""
        for part in self._parts:
            part.regex.compile()

    def spans(self, text: str, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
        """The (start, end) of each match of `whole.finditer(text, lo, hi)`."""
        hi = len(text) if hi is None else hi
        live = [part.regex for part in self._parts if part.possible(text, lo, hi)]
        out: list[tuple[int, int]] = []
        pos = lo
        found = [_next(r, text, pos, hi) for r in live]
        while True:
            best: tuple[int, int] | None = None  # leftmost; on a tie, the earlier part
            for i, span in enumerate(found):
                if span is not None and span[0] < pos:
                    found[i] = span = _next(live[i], text, pos, hi)
                if span is not None and (best is None or span[0] < best[0]):
                    best = span
            if best is None:
                return out
            if best[0] == best[1]:  # an empty match: the whole expression's own rules
                return [m.span() for m in self.whole.finditer(text, lo, hi)]
            out.append(best)
            pos = best[1]

    def first(self, text: str) -> tuple[int, int] | None:
        """The (start, end) of `whole.search(text)`, or None."""
        best: tuple[int, int] | None = None
        for part in self._parts:
            if not part.possible(text, 0, len(text)):
                continue
            span = _next(part.regex, text, 0, len(text))
            if span is not None and (best is None or span[0] < best[0]):
                best = span
        return best

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PhraseSearch):
            return NotImplemented
        return self.whole == other.whole

    def __hash__(self) -> int:
        return hash(self.whole)

    def __repr__(self) -> str:
        return f"PhraseSearch({self.parts} parts, {self.compiled} compiled)"


def _next(regex: LazyRegex, text: str, pos: int, hi: int) -> tuple[int, int] | None:
    m = regex.search(text, pos, hi)
    return None if m is None else m.span()


def _words_in(phrase: str) -> frozenset[str]:
    """The runs of letters that every match of `phrase` holds (its words, stems and the parts
    of a word either side of an apostrophe)."""
    return frozenset(
        part
        for tok in phrase.split()
        if _WORD.fullmatch(tok)
        for part in tok.rstrip("*").split("'")
        if part
    )
