"""A list of phrases searched as the one regular expression `analysis.phrases` compiles it to,
compiling only the parts a text could match.

A threat frame's phrases compile to an expression of up to a quarter of a million characters
(each slot, such as `{harm}`, is written out in every phrase that names it), and compiling it
took most of the classifier's start-up. Most phrases cannot match most texts: a phrase holding
the word "know" cannot match a text without the letters "know", and one naming `{weapon}`
cannot match a text holding none of the weapon slot's words. So the phrases are kept in the
order the whole expression tries them (`phrases.in_order`) and cut into parts of consecutive
phrases that need the same word (or slot); a part is compiled the first time a text holds what
it needs, and searched only in texts that hold it. A part that is one slot alone is the frame
book's own expression for that slot, compiled once for every frame. (Parts that need nothing
a substring test can tell, such as emoji, are searched in every text.)

What the parts find together is exactly what the whole expression finds. The whole is an
ordered alternation of the parts: at each position it takes the first part that matches there,
as that part would match on its own, so its next match is the leftmost of the parts' next
matches, the earlier part on a tie; a part that cannot match is left out of that choice
without changing it. Should a match ever be empty, which a phrase holding a word never is,
the whole expression is searched instead (its rule for what follows an empty match is its own).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress

from analysis import phrases
from analysis.lazy_regex import LazyRegex

# a token that is a word, or a word's stem (`kill*`): its letters are in every match (an inner
# apostrophe may be left out in the text, so the letters either side of it are what is sure)
_WORD = re.compile(r"[a-z0-9']+\*?")
_SLOT = re.compile(r"\{(\w+)\}")

# what a text must hold for a phrase to match there: every clause, each a set of words of which
# one is enough (a plain word is a clause of one; a slot, one word of each of its phrases)
Clauses = frozenset[frozenset[str]]


@dataclass(frozen=True, slots=True)
class _Part:
    needs: tuple[frozenset[str], ...]  # (none: the part is searched in every text)
    regex: LazyRegex
    scan: bool = False  # a slot shared with the frame book: searched with its scanner


class PhraseSearch:
    """`phrases.bounded(phrases.alternation(phrase_list, slots))`, searched part by part (see
    the module docstring). `clues`: each slot's clause (`slot_clues`); `shared`: a slot's own
    expression (`bounded` of it), used as the part of a phrase that is that slot alone. Two
    are equal when their whole expressions are."""

    __slots__ = ("_always", "_firsts", "_members", "_parts", "whole")

    def __init__(
        self,
        phrase_list: list[str],
        slots: dict[str, str],
        clues: dict[str, frozenset[str]] | None = None,
        shared: dict[str, LazyRegex] | None = None,
    ) -> None:
        clues, shared = clues or {}, shared or {}
        self.whole = LazyRegex(phrases.bounded(phrases.alternation(phrase_list, slots)))
        # consecutive phrases with the same most telling clause make one part, which needs
        # what all of them need
        runs: list[tuple[object, Clauses, list[str]]] = []
        for phrase in phrases.in_order(phrase_list):
            needs = clauses_of(phrase, clues)
            slot = _SLOT.fullmatch(phrase)
            key: object = ("slot", phrase) if slot and slot[1] in shared else _key(needs)
            if runs and runs[-1][0] == key:
                runs[-1] = (key, runs[-1][1] & needs, [*runs[-1][2], phrase])
            else:
                runs.append((key, needs, [phrase]))
        parts = []
        for key, needs, run in runs:
            if isinstance(key, tuple) and key[0] == "slot":
                parts.append(_Part((), shared[run[0][1:-1]], scan=True))
                continue
            regex = LazyRegex(phrases.bounded(phrases.alternation(run, slots)))
            parts.append(_Part(tuple(sorted(needs, key=_cost)), regex))
        self._parts = tuple(parts)
        # the parts by the first clause each needs (its cheapest): a text lacking that clause
        # rules out all of them with one look; `_always`: the parts that need nothing
        by_first: dict[frozenset[str], list[tuple[int, tuple[frozenset[str], ...]]]] = {}
        for i, part in enumerate(self._parts):
            if part.needs:
                by_first.setdefault(part.needs[0], []).append((i, part.needs[1:]))
        self._firsts = tuple(by_first)
        self._members = tuple(tuple(members) for members in by_first.values())
        self._always = tuple(i for i, part in enumerate(self._parts) if not part.needs)

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
            part.regex.compile(scanner=part.scan)

    def spans(self, text: str, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
        """The (start, end) of each match of `whole.finditer(text, lo, hi)`."""
        hi = len(text) if hi is None else hi
        live = self._live(text, lo, hi)
        out: list[tuple[int, int]] = []
        pos = lo
        found = [_next(part, text, pos, hi) for part in live]
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

    def first(self, text: str, lo: int = 0, hi: int | None = None) -> tuple[int, int] | None:
        """The (start, end) of `whole.search(text, lo, hi)`, or None."""
        hi = len(text) if hi is None else hi
        best: tuple[int, int] | None = None
        for part in self._live(text, lo, hi):
            span = _next(part, text, lo, hi)
            if span is not None and (best is None or span[0] < best[0]):
                best = span
        return best

    def _live(self, text: str, lo: int, hi: int) -> Sequence[_Part]:
        """The parts that could match in `text[lo:hi]` (it holds what they need)."""
        everywhere = self._live_in(text)
        if not (lo > 0 or hi < len(text)):
            return everywhere
        # a window holds a clause only if the whole text does: only the parts live in the
        # whole text are looked at again, in the window
        window = text[lo:hi].__contains__  # (what `text.find(w, lo, hi) >= 0` says)
        seen: dict[frozenset[str], bool] = {}
        out = []
        for part in everywhere:
            for clause in part.needs:
                held = seen.get(clause)
                if held is None:
                    held = seen[clause] = any(map(window, clause))
                if not held:
                    break
            else:
                out.append(part)
        return out

    def _live_in(self, text: str) -> tuple[_Part, ...]:
        """The parts that could match somewhere in `text`, in their order. Kept with the
        text's table (`_table`): the frames, their anchors, the strong cue and the counters
        all search the same text, and a frame searches each sentence of it that holds an
        anchor."""
        table = _table(text)
        known = table.live.get(id(self))
        if known is not None and known[0] is self:
            return known[1]
        # a clause the text lacks is lacking for every search of it: the answers are kept
        held = table.held
        firsts = self._firsts
        states = list(map(held.get, firsts))
        if None in states:  # clauses not yet looked for in this text
            for j, state in enumerate(states):
                if state is None:
                    clause = firsts[j]
                    states[j] = held[clause] = any(map(text.__contains__, clause))
        found = list(self._always)
        for members in compress(self._members, states):
            for i, rest in members:
                for clause in rest:
                    ok = held.get(clause)
                    if ok is None:
                        ok = held[clause] = any(map(text.__contains__, clause))
                    if not ok:
                        break
                else:
                    found.append(i)
        found.sort()
        parts = self._parts
        live = tuple(parts[i] for i in found)
        table.live[id(self)] = (self, live)
        return live

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PhraseSearch):
            return NotImplemented
        return self.whole == other.whole

    def __hash__(self) -> int:
        return hash(self.whole)

    def __repr__(self) -> str:
        return f"PhraseSearch({self.parts} parts, {self.compiled} compiled)"


_LAST = threading.local()


class _Table:
    """What one text holds, as found so far: each clause's answer, and each search's parts
    that could match in it (by the search's id, with the search itself to tell a new one
    from an old one at the same address)."""

    __slots__ = ("held", "live", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.held: dict[frozenset[str], bool] = {}
        self.live: dict[int, tuple[PhraseSearch, tuple[_Part, ...]]] = {}


def _table(text: str) -> _Table:
    """The table of `text`: one per thread, for its latest text."""
    table: _Table | None = getattr(_LAST, "table", None)
    if table is None or table.text is not text:
        table = _LAST.table = _Table(text)
    return table


def _next(part: _Part, text: str, pos: int, hi: int) -> tuple[int, int] | None:
    if part.scan and hi == len(text):
        return part.regex.scanner.first(text, pos)
    m = part.regex.search(text, pos, hi)
    return None if m is None else m.span()


def clauses_of(phrase: str, clues: dict[str, frozenset[str]]) -> Clauses:
    """What a text must hold for `phrase` to match in it: its words, stems and the parts of a
    word either side of an apostrophe, and for each slot it names, its clause in `clues`."""
    out: set[frozenset[str]] = set()
    for tok in phrase.split():
        slot = _SLOT.fullmatch(tok)
        if slot and slot[1] in clues:
            out.add(clues[slot[1]])
        elif _WORD.fullmatch(tok):
            out.update(frozenset((part,)) for part in tok.rstrip("*").split("'") if part)
    return frozenset(out)


def slot_clues(raw_slots: dict[str, list[str]]) -> dict[str, frozenset[str]]:
    """For each slot whose every phrase holds a word: one word of each phrase (its longest),
    of which a text holding the slot holds at least one."""
    out: dict[str, frozenset[str]] = {}
    for name, entries in raw_slots.items():
        best: set[str] = set()
        for entry in entries:
            words = [w for clause in clauses_of(entry, out) if len(clause) == 1 for w in clause]
            if not words:
                break
            best.add(max(sorted(words), key=len))
        else:
            # a word holding another of the clause adds nothing ("kill" is in "killing")
            out[name] = frozenset(w for w in best if not any(o != w and o in w for o in best))
    return out


def _cost(clause: frozenset[str]) -> tuple[int, int, list[str]]:
    # the cheapest and most telling first: few words, long ones (then alphabetical: the same
    # parts in every process, whatever its string hashing)
    return len(clause), -max(map(len, clause)), sorted(clause)


def _key(needs: Clauses) -> frozenset[str] | None:
    return min(needs, key=_cost) if needs else None
