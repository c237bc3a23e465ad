"""Which of many patterns can match in a text at all, found with one look at the text for all.

Every harm rule's expression is searched over every field of every post, and most rules find
nothing in most fields; most of a search's cost is the engine stopping at each word of the
text. Each pattern's needs (`analysis.harm_regex.needs_of`: sets of strings, every match holds
every string of at least one set) say where it cannot match. A text holds a string only if it
holds each three-character piece of it (each character, for a string shorter than three), so
a set of strings is cut into the pieces it holds, and a text lacking a piece of every set of a
pattern holds no match of it: `possible` leaves that pattern out.

The text is cut into its pieces once (its three-character pieces and its characters, one set),
for all the patterns. Each set of pieces is filed under its rarest piece, so a text is looked
at only for the sets whose rarest piece it holds (one set intersection), and a pattern is
taken once one of its sets is all there. A pattern whose needs include the empty set (nothing
known) is always taken.

Leaving a pattern out changes nothing: it is left out only where it has no match. The tests
hold `possible` to the patterns' own searches on every training post and on generated texts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import compress
from typing import Generic, TypeVar

from analysis.harm_regex import Need, Needs

T = TypeVar("T")

# a piece of text: three characters (a tuple) or one (a string)
Piece = tuple[str, str, str] | str

# A set of pieces is filed under its rarest piece: the rarer, the fewer texts that make it be
# looked at. Which pieces are common is told by the pieces of the commonest English words and of
# the words every post here holds (a guess: it decides only how fast `possible` is, never what
# it says); among the rest, pieces of rarer letters are rarer. Letters, digits, spaces and
# common punctuation on their own are commoner than any three-character piece.
_COMMON_TEXT = """the be to of and a in that have i it for not on with he as you do at this but
his by from they we say her she or an will my one all would there their what so up out if about
who get which go me when make can like time no just him know take people into year your good some
could them see other than then now look only come its over think also back after use two how our
work first well way even new want because any these give day most us is was are been has had
were said did going being very really school teacher teachers children child kids parents pupils
staff head academy class"""
_COMMON_WORDS = _COMMON_TEXT.split()
_COMMON_PIECES = frozenset(p for w in _COMMON_WORDS for p in zip(w, w[1:], w[2:], strict=False))
_COMMON_WORD_SET = frozenset(_COMMON_WORDS)
_COMMON = " etaoinshrdlcumwfgypbvkjxqz"  # letters, most common first
_RANK = {ch: i for i, ch in enumerate(_COMMON)}
_PLAIN_CHARS = frozenset(" .,'!?-")


_WORDS = re.compile("[a-z]+")


def pieces_of(text: str) -> set[Piece]:
    """The text's three-character pieces, its characters and its words (runs of a-z)."""
    out: set[Piece] = set(zip(text, text[1:], text[2:], strict=False))
    out.update(text)
    out.update(_WORDS.findall(text))
    return out


def _pieces(needs: frozenset[Need]) -> frozenset[Piece]:
    """The pieces a text holds when it holds `needs`: a whole word (a string of two letters
    or more), or each three-character piece of a string (each character, when shorter)."""
    out: set[Piece] = set()
    for need in needs:
        if isinstance(need, tuple):
            out.add(need[0])
        elif len(need) >= 3:
            out.update(zip(need, need[1:], need[2:], strict=False))
        else:
            out.update(need)
    return frozenset(out)


def _rarity(piece: Piece) -> tuple[int, int, str]:
    """Higher is rarer; ties broken by the piece itself, so every process files alike."""
    if isinstance(piece, str) and len(piece) == 1:
        return (-1 if piece.isalnum() or piece in _PLAIN_CHARS else 2), 0, repr(piece)
    if isinstance(piece, str):  # a whole word
        return (1 if piece in _COMMON_WORD_SET else 3), len(piece), piece
    common = piece in _COMMON_PIECES
    return (0 if common else 2), sum(_RANK.get(ch, len(_COMMON)) for ch in piece), repr(piece)


def _rarest(pieces: frozenset[Piece]) -> Piece:
    return max(pieces, key=_rarity)


def _fewest(sets: list[frozenset[Piece]]) -> list[frozenset[Piece]]:
    """`sets` without those holding all of another: a text holding the larger holds the
    smaller, so the larger never decides anything."""
    out: list[frozenset[Piece]] = []
    for s in sorted(set(sets), key=lambda s: (len(s), sorted(map(repr, s)))):
        if not any(o <= s for o in out):
            out.append(s)
    return out


class NeedsIndex(Generic[T]):
    """`items` (each with its `Needs`, in the same order) by what a text must hold for each."""

    __slots__ = ("_always", "_filed", "_items", "_keys")

    def __init__(self, items: Sequence[T], needs: Sequence[Needs]) -> None:
        self._items = tuple(items)
        always = [False] * len(self._items)
        filed: dict[Piece, dict[int, list[frozenset[Piece]]]] = {}
        for i, sets in enumerate(needs):
            pieces = [_pieces(s) for s in sets]
            if not pieces or not all(pieces):
                always[i] = True  # a set with nothing in it: nothing is known
                continue
            for p in _fewest(pieces):
                filed.setdefault(_rarest(p), {}).setdefault(i, []).append(p)
        self._always = always
        # each piece: the items with a set filed under it, and those sets
        self._filed = {
            key: tuple((i, tuple(sets)) for i, sets in by_item.items())
            for key, by_item in filed.items()
        }
        self._keys = frozenset(filed)

    def possible(self, text: str) -> list[T]:
        """The items that may match in `text`, in their order: all but those whose every set
        of needs the text lacks a piece of."""
        pieces = pieces_of(text)
        ok = self._always.copy()
        held = pieces.issuperset
        for key in self._keys.intersection(pieces):
            for i, sets in self._filed[key]:
                if not ok[i] and any(map(held, sets)):
                    ok[i] = True
        return list(compress(self._items, ok))

    @property
    def always(self) -> int:
        """How many items are taken whatever the text holds."""
        return sum(self._always)
