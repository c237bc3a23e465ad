"""Which of many patterns can match in a text at all, found with one look at the text for all.

Every harm rule's expression is searched over every field of every post, and most rules find
nothing in most fields; most of a search's cost is the engine stopping at each word of the
text. Each pattern's needs (`analysis.harm_regex.needs_of`: sets of needs, every match holds
every need of at least one set) say where it cannot match. A need is a string, a whole word
(a run of the letters a-z), or the start or end of a word; a text holds it only if it holds
its piece: the word itself; the first (last) three letters of some word; each character of a
string. So each set of needs is cut into pieces, and a text lacking a piece of every set of
a pattern holds no match of it: `possible` leaves that pattern out.

The text is cut into its pieces once (`pieces_of`: its characters, its words, and each
word's first and last three letters), for all the patterns. Each set of pieces is filed under
its rarest piece, so a text is looked at only for the sets whose rarest piece it holds (one
set intersection), and a pattern is taken once one of its sets is all there. A pattern whose
needs include the empty set (nothing known) is always taken. (A text's three-letter word
also counts as a start and an end, and a word's start or end as a word of three letters:
that makes `possible` take a pattern more often, never less.)

Leaving a pattern out changes nothing: it is left out only where it has no match. The tests
hold `possible` to the patterns' own searches on every training post and on generated texts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import compress
from operator import itemgetter
from typing import Generic, TypeVar

from analysis.harm_regex import Need, Needs

T = TypeVar("T")


# A set of pieces is filed under its rarest piece: the rarer, the fewer texts that make it be
# looked at. Which pieces are common is told by the commonest English words and the words most
# posts here hold (a guess: it decides only how fast `possible` is, never what it says); a
# longer word is taken as rarer. Letters, digits, spaces and common punctuation on their own
# are the commonest pieces; other characters (emoji, symbols) are rare.
_COMMON_TEXT = """the be to of and a in that have i it for not on with he as you do at this but
his by from they we say her she or an will my one all would there their what so up out if about
who get which go me when make can like time no just him know take people into year your good some
could them see other than then now look only come its over think also back after use two how our
work first well way even new want because any these give day most us is was are been has had
were said did going being very really school teacher teachers children child kids parents pupils
staff head academy class"""
_COMMON_WORDS = _COMMON_TEXT.split()
_COMMON_EDGES = frozenset(edge for w in _COMMON_WORDS for edge in (w[:3], w[-3:]))
_COMMON_WORD_SET = frozenset(_COMMON_WORDS)
_PLAIN_CHARS = frozenset(" .,'!?-")


_WORDS = re.compile("[a-z]+")


_FIRST3 = itemgetter(slice(None, 3))
_LAST3 = itemgetter(slice(-3, None))


def pieces_of(text: str) -> set[str]:
    """The text's characters, its words (runs of a-z), and the first and the last three
    letters of each word (a word of three letters or fewer: the word)."""
    out = set(text)
    words = _WORDS.findall(text)
    out.update(words)
    out.update(map(_FIRST3, words))
    out.update(map(_LAST3, words))
    return out


def _pieces(needs: frozenset[Need]) -> frozenset[str]:
    """What a text holds when it holds `needs`: a whole word; the first (last) three letters
    of a word that starts (ends) with a string of three letters or more; each character of
    any other string."""
    out: set[str] = set()
    for need in needs:
        if isinstance(need, tuple):
            kind, word = need
            if kind == "word":
                out.add(word)
            elif len(word) >= 3:
                out.add(word[:3] if kind == "start" else word[-3:])
            else:
                out.update(word)
        else:
            out.update(need)
    return frozenset(out)


def _rarity(piece: str) -> tuple[int, int, str]:
    """Higher is rarer; ties broken by the piece itself, so every process files alike."""
    if len(piece) == 1:
        return (-1 if piece.isalnum() or piece in _PLAIN_CHARS else 2), 0, piece
    common = piece in _COMMON_WORD_SET or piece in _COMMON_EDGES
    return (0 if common else 1), len(piece), piece


def _rarest(pieces: frozenset[str]) -> str:
    return max(pieces, key=_rarity)


def _fewest(sets: list[frozenset[str]]) -> list[frozenset[str]]:
    """`sets` without repeats and without those holding a set of one piece that is there too:
    a text holding the larger holds the smaller, so the larger never decides anything."""
    single = {p for s in sets if len(s) == 1 for p in s}
    out = {s for s in sets if len(s) == 1 or single.isdisjoint(s)}
    return sorted(out, key=lambda s: (len(s), sorted(s)))


class NeedsIndex(Generic[T]):
    """`items` (each with its `Needs`, in the same order) by what a text must hold for each."""

    __slots__ = ("_always", "_filed", "_items", "_keys")

    def __init__(self, items: Sequence[T], needs: Sequence[Needs]) -> None:
        self._items = tuple(items)
        always = [False] * len(self._items)
        filed: dict[str, dict[int, list[frozenset[str]]]] = {}
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


class LazyNeedsIndex(Generic[T]):
    """A `NeedsIndex` of `items` built the first time more than `after` texts have asked for
    it (`needs` gives an item's needs then); before, every item is possible. Building it twice
    from two threads at once is harmless: both build the same index, and either is kept."""

    __slots__ = ("_after", "_asked", "_index", "_items", "_needs")

    def __init__(self, items: Sequence[T], needs: Callable[[T], Needs], after: int = 0) -> None:
        self._items = tuple(items)
        self._needs = needs
        self._after = after
        self._asked = 0
        self._index: NeedsIndex[T] | None = None

    def possible(self, text: str) -> Sequence[T]:
        """`NeedsIndex.possible`, once built; every item before."""
        index = self._index
        if index is None:
            self._asked += 1
            if self._asked <= self._after:
                return self._items
            index = self.build()
        return index.possible(text)

    def build(self) -> NeedsIndex[T]:
        """The index, built now if it is not yet."""
        index = self._index
        if index is None:
            index = self._index = NeedsIndex(self._items, [self._needs(i) for i in self._items])
        return index
