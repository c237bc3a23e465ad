"""Faster compiled forms of the harm rules' regular expressions, matching exactly the same.

Python's regex engine tries the alternatives of `a|b|c` one by one at every position. The
rules are long alternations of words (`shambles|shambolic|a\\sjoke|...`), so most of the time
goes into rejecting dozens of alternatives per word. `optimise(pattern)` rewrites the parsed
pattern as a trie: alternatives that begin with the same character are grouped under it
(`sham(?:bles|bolic)|a\\sjoke|...`), so the engine rejects a whole group with one comparison.

Regex alternation is ordered (the first alternative that leads to a match wins), so grouping
must not change which alternative is tried first at any position. An alternative is moved up
into an earlier group only past alternatives that cannot start with the same character; and a
leading single character is factored out only when it matches exactly one character in exactly
one way, so every attempt the engine makes happens in the same order as before. Patterns the
rewriter does not fully understand (case-insensitive flags, an unknown construct, a Python
without the parser) are returned unchanged.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from analysis import collector, regex_cache

# the parser and compiler behind `re` (Python 3.11+), private modules; None on other Pythons,
# where nothing is rewritten
_sre_compile: Any = regex_cache.re_compiler
_sre_parse: Any = regex_cache.re_parser
_c: Any = regex_cache.re_constants

# a character class with more characters than this counts as "any character" when deciding
# whether two alternatives can start with the same character
_MAX_CLASS = 256


class _Unsupported(Exception):
    """A construct the rewriter does not model: the pattern is left as it is."""


def optimise(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """An equivalent compiled pattern (same matches, spans and groups) that runs faster."""
    if _sre_parse is None or not isinstance(pattern.pattern, str):
        return pattern
    if pattern.flags & (re.IGNORECASE | re.LOCALE):
        return pattern
    try:
        tree = _sre_parse.parse(pattern.pattern, pattern.flags)
        if tree.state.flags & (re.IGNORECASE | re.LOCALE):
            return pattern
        tree.data = _sequence(tree.state, list(tree.data))
        return _sre_compile.compile(tree, pattern.flags)
    except (_Unsupported, re.error, RecursionError, TypeError, ValueError, AttributeError):
        return pattern


def _sub(state, items: list):
    return _sre_parse.SubPattern(state, items)


def _sequence(state, items: list) -> list:
    return [_item(state, op, av) for op, av in items]


def _item(state, op, av) -> tuple:
    c = _c
    if op is c.BRANCH:
        alts = [_sub(state, _sequence(state, list(alt))) for alt in av[1]]
        return (c.BRANCH, (av[0], _trie(state, alts)))
    if op is c.SUBPATTERN:
        group, add_flags, del_flags, sub = av
        if (add_flags | del_flags) & (re.IGNORECASE | re.LOCALE):
            raise _Unsupported("case flag")
        return (op, (group, add_flags, del_flags, _sub(state, _sequence(state, list(sub)))))
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        lo, hi, sub = av
        return (op, (lo, hi, _sub(state, _sequence(state, list(sub)))))
    if op in (c.ASSERT, c.ASSERT_NOT):
        direction, sub = av
        return (op, (direction, _sub(state, _sequence(state, list(sub)))))
    if op is c.ATOMIC_GROUP:
        return (op, _sub(state, _sequence(state, list(av))))
    if op is c.GROUPREF_EXISTS:
        group, yes, no = av
        return (
            op,
            (
                group,
                _sub(state, _sequence(state, list(yes))),
                _sub(state, _sequence(state, list(no))) if no is not None else None,
            ),
        )
    if op in (c.LITERAL, c.NOT_LITERAL, c.IN, c.ANY, c.AT, c.GROUPREF, c.CATEGORY):
        return (op, av)
    raise _Unsupported(op)


def _one_char(item: tuple) -> bool:
    """Does `item` always consume exactly one character, in exactly one way?"""
    return item[0] in (_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY)


def _key(item: tuple) -> object:
    # hashable identity of a one-character item (IN holds a list)
    op, av = item
    return (op, tuple(av) if isinstance(av, list) else av)


def _chars(op, av) -> frozenset[str] | None:
    """The characters a one-character item can match, or None for too many to list."""
    if op is _c.LITERAL:
        return frozenset((chr(av),))
    if op is _c.IN:
        out: set[str] = set()
        for iop, iav in av:
            if iop is _c.LITERAL:
                out.add(chr(iav))
            elif iop is _c.RANGE and iav[1] - iav[0] < _MAX_CLASS:
                out.update(chr(i) for i in range(iav[0], iav[1] + 1))
            else:  # NEGATE, CATEGORY, a wide RANGE
                return None
        return frozenset(out)
    return None


def _first(items) -> frozenset[str] | None:
    """Every character a match of `items` can start with, or None when that could be any
    character (including when `items` can match the empty string)."""
    c = _c
    for op, av in items:
        if op in (c.ASSERT, c.ASSERT_NOT, c.AT):
            continue  # zero-width: the first character comes from what follows
        if op in (c.LITERAL, c.IN):
            return _chars(op, av)
        if op is c.BRANCH:
            out: set[str] = set()
            for alt in av[1]:
                s = _first(alt)
                if s is None:
                    return None
                out |= s
            return frozenset(out)
        if op is c.SUBPATTERN:
            return _first(av[3])
        if op is c.ATOMIC_GROUP:
            return _first(av)
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
            return _first(av[2])
        return None
    return None


# an alternative `(?:A|B)T` among others is replaced by `AT|BT` (the same attempts in the same
# order) so that A and B can join their first characters' groups; only when T is short
_OPEN_MAX_ALTS = 64
_OPEN_MAX_REST = 200


def _opened(state, alts: list) -> list:
    out = []
    for alt in alts:
        inner = _leading_group(list(alt.data))
        rest = list(alt.data[1:])
        if inner is None or len(inner) > _OPEN_MAX_ALTS or _size(rest) > _OPEN_MAX_REST:
            out.append(alt)
            continue
        out.extend(_opened(state, [_sub(state, [*sub, *rest]) for sub in inner]))
    return out


def _size(items: list, limit: int = _OPEN_MAX_REST) -> int:
    """How many items `items` holds, nested ones included (counting stops past `limit`)."""
    n = 0
    stack = [items]
    while stack and n <= limit:
        for op, av in stack.pop():
            n += 1
            if op is _c.BRANCH:
                stack.extend(list(alt) for alt in av[1])
            elif op is _c.SUBPATTERN:
                stack.append(list(av[3]))
            elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
                stack.append(list(av[2]))
            elif op in (_c.ASSERT, _c.ASSERT_NOT):
                stack.append(list(av[1]))
            elif op is _c.ATOMIC_GROUP:
                stack.append(list(av))
    return n


def _overlap(a: frozenset[str] | None, b: frozenset[str] | None) -> bool:
    return a is None or b is None or not a.isdisjoint(b)


def _trie(state, alts: list) -> list:
    """The alternatives grouped by a shared first character, in an order that tries them
    exactly as the original order does at every position."""
    if len(alts) > 1:
        alts = _opened(state, alts)
    # each group: [key or None, first characters, head item, members]
    groups: list[list] = []
    for alt in alts:
        head = alt.data[0] if len(alt.data) else None
        key = _key(head) if head is not None and _one_char(head) else None
        first = _first(alt.data)
        if key is not None:
            for g in reversed(groups):
                if g[0] == key:
                    g[3].append(alt)
                    break
                if _overlap(g[1], first):
                    groups.append([key, first, head, [alt]])
                    break
            else:
                groups.append([key, first, head, [alt]])
        else:
            groups.append([None, first, None, [alt]])
    out = []
    for key, _, head, members in groups:
        if key is None or len(members) == 1:
            out.extend(members)
            continue
        rests = _trie(state, [_sub(state, list(m.data[1:])) for m in members])
        if len(rests) == 1:
            out.append(_sub(state, [head, *rests[0].data]))
        else:
            out.append(_sub(state, [head, (_c.BRANCH, (None, rests))]))
    return out


class Scanner:
    """The spans `pattern.finditer(text)` gives, found faster.

    Most rules start with a one-character negative look-behind, `(?<![a-z])...`: a match can
    only start after a character outside the class, or at the start of the text. Searching for
    "one such character, then the rest" lets the engine skip straight to those characters
    (the letters inside words are most of a text) instead of trying the look-behind at every
    position; the match then starts one character later. A pattern whose top-level
    alternatives start differently (`🙄|(?<![a-z])(?:...)`) is searched as consecutive runs of
    alike alternatives, and the leftmost match wins (the earlier run on a tie), as in `a|b`.
    Only patterns that cannot match the empty string are split: others run as they are.
    """

    __slots__ = ("_runs", "_whole")

    def __init__(self, pattern: re.Pattern[str] | str, flags: int = 0) -> None:
        """`pattern` compiled, or its source and `flags`: the source is parsed once, here, and
        never compiled whole when the runs do without it (a `re.compile` of the source first
        would parse it a second time and compile what the runs compile again)."""
        if isinstance(pattern, re.Pattern):
            source, flags, whole = pattern.pattern, pattern.flags, pattern
        else:
            source, whole = pattern, None
        self._runs: list[_Run] = []
        self._whole = whole  # searched when the pattern is not split into runs
        if _sre_parse is None or not isinstance(source, str) or flags & (re.IGNORECASE | re.LOCALE):
            self._whole = whole or re.compile(source, flags)
            return
        try:
            self._runs = _cached_runs(source, flags, whole)
        except (_Unsupported, re.error, RecursionError, TypeError, ValueError, AttributeError):
            self._whole = optimise(whole or re.compile(source, flags))

    def first(self, text: str, pos: int = 0) -> tuple[int, int] | None:
        """The (start, end) of `pattern.search(text, pos)`, or None."""
        runs = self._runs
        if not runs:
            assert self._whole is not None, "a pattern not split into runs is compiled whole"
            m = self._whole.search(text, pos)
            return None if m is None else m.span()
        best = None
        for r in runs:  # leftmost wins; on a tie, the earlier run
            span = r.next(text, pos)
            if span is not None and (best is None or span[0] < best[0]):
                best = span
        return best

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The (start, end) of each match of `pattern.finditer(text)`, in order."""
        runs = self._runs
        if not runs:
            assert self._whole is not None, "a pattern not split into runs is compiled whole"
            return [m.span() for m in self._whole.finditer(text)]
        if len(runs) == 1:
            return runs[0].all(text)
        out: list[tuple[int, int]] = []
        pos = 0
        found = [r.next(text, 0) for r in runs]
        while True:
            best: tuple[int, int] | None = None  # leftmost; on a tie, the earlier run
            for i, m in enumerate(found):
                if m is not None and m[0] < pos:
                    found[i] = m = runs[i].next(text, pos)
                if m is not None and (best is None or m[0] < best[0]):
                    best = m
            if best is None:
                return out
            out.append(best)
            pos = best[1]


class _Run:
    """Consecutive top-level alternatives of one kind: either all `(?<!C)REST` (searched as
    `[^C]REST`, `after`) or anything else (searched as it is)."""

    __slots__ = ("_after", "_first", "_needs", "_own_key", "_plain", "_source")

    def __init__(
        self,
        plain: re.Pattern[str] | None,
        after: re.Pattern[str] | None = None,
        first: frozenset[str] | None = None,
        needs: tuple[str, ...] | None = None,
        source: tuple | None = None,
        own_key: tuple[str, int, int] | None = None,
    ) -> None:
        # the run's own pattern (with its look-behind); for a `[^C]REST` run it is needed only
        # at position 0, so it may be compiled on first use from `source` (its parsed items),
        # or read from the cache under `own_key` (the whole pattern's source and flags, and
        # the run's place), or compiled from that source parsed again
        self._plain = plain
        self._source = source
        self._own_key = own_key
        self._after = after
        self._first = first  # what REST can start with (None: anything)
        self._needs = needs  # every match contains one of these (None: not known)

    def _own(self) -> re.Pattern[str]:
        """The run's own pattern, compiled (or read from the cache) on first use."""
        if self._plain is None:
            self._plain = self._compile_own()
        return self._plain

    def _compile_own(self) -> re.Pattern[str]:
        cache = regex_cache.shared()
        name = regex_cache.key("own", *self._own_key) if self._own_key and cache.on else None
        if name is not None and self._source is None:
            stored = cache.load(name)
            if stored is not None:
                with contextlib.suppress(Exception):
                    return regex_cache.from_program(stored)
        source = self._source
        if source is None:  # restored from the cache without its parsed items: parse again
            assert self._own_key is not None, "a run is built with its pattern or its source"
            whole, flags, index = self._own_key
            source = _runs(whole, flags, None)[index]._source
            assert source is not None, "the run's own pattern is compiled from its items"
        state, items, flags = source
        with collector.paused():
            pattern, stored = regex_cache.program(_sub(state, list(items)), flags)
        if name is not None:
            cache.save(name, stored)
        return pattern

    def next(self, text: str, pos: int) -> tuple[int, int] | None:
        """The leftmost match starting at `pos` or later, as `search` would find it."""
        if pos == 0 and self._needs is not None and not any(map(text.__contains__, self._needs)):
            return None
        after = self._after
        if after is None:
            plain = self._plain
            assert plain is not None, "a run searched as it is is built with its pattern"
            m = plain.search(text, pos)
            return None if m is None else m.span()
        if pos == 0:
            if text and (self._first is None or text[0] in self._first):
                m = self._own().match(text)
                if m is not None:
                    return m.span()
            m = after.search(text)
        else:
            m = after.search(text, pos - 1)
        return None if m is None else (m.start() + 1, m.end())

    def all(self, text: str) -> list[tuple[int, int]]:
        """Every match, as `finditer` (matches are never empty)."""
        out = []
        pos = 0
        while (span := self.next(text, pos)) is not None:
            out.append(span)
            pos = span[1]
        return out


# What `_runs` derives from a pattern, kept in the cache of compiled expressions: per run, the
# programs of its own pattern (None: compiled on first use) and of its `[^C]REST` search (None
# for a run searched as it is), and its first characters and required strings
_StoredRun = tuple[
    regex_cache.Program | None, regex_cache.Program | None, frozenset[str] | None,
    tuple[str, ...] | None,
]  # fmt: skip


def _cached_runs(source: str, flags: int, whole: re.Pattern[str] | None) -> list[_Run]:
    """`_runs(source, flags, whole)`, read from the cache of compiled expressions when it holds
    them (`analysis.regex_cache`): no parse and no compile; else built, and stored."""
    cache = regex_cache.shared()
    if not cache.on:
        return _runs(source, flags, whole)
    name = regex_cache.key("scanner", flags, source)
    stored = cache.load(name)
    if stored is not None:
        with contextlib.suppress(Exception):  # anything unexpected: built again below
            return _restored(stored, source, flags, whole)
    kept: list[_StoredRun] = []
    runs = _runs(source, flags, whole, kept)
    cache.save(name, kept)
    return runs


def _restored(
    stored: list[_StoredRun], source: str, flags: int, whole: re.Pattern[str] | None
) -> list[_Run]:
    runs = []
    for index, (plain, after, first, needs) in enumerate(stored):
        own = (source, flags, index)
        runs.append(
            _Run(
                None if plain is None else regex_cache.from_program(plain),
                None if after is None else regex_cache.from_program(after),
                first,
                needs,
                own_key=own,
            )
        )
    if whole is not None and len(runs) == 1 and runs[0]._after is not None:
        runs[0]._plain = whole  # one run: its own pattern is the whole pattern, as `_runs` has
    return runs


def _runs(
    source: str, flags: int, whole: re.Pattern[str] | None, kept: list | None = None
) -> list[_Run]:
    """The runs of the pattern `source` (with `flags`); `whole`: the pattern compiled, if it
    is, which a pattern of one run uses as the run's own. `kept` receives, per run, what the
    cache stores of it (`_StoredRun`)."""
    tree = _sre_parse.parse(source, flags)
    state = tree.state
    if state.flags & (re.IGNORECASE | re.LOCALE):
        raise _Unsupported("case flag")
    alts = _top_alternatives(state, list(tree.data))
    kinds = [_boundary(alt) for alt in alts]
    single = all(_same(k, kinds[0]) for k in kinds)
    runs: list[_Run] = []
    i = 0
    while i < len(alts):
        j = i
        while j < len(alts) and _same(kinds[j], kinds[i]):
            j += 1
        group = alts[i:j]
        needs = _needs(group)
        if kinds[i] is None:
            items = _one(state, group)
            if _width(state, items)[0] < 1:
                raise _Unsupported("empty match")
            plain, program = _compile(state, items, flags)
            runs.append(_Run(plain, needs=needs))
            stored: _StoredRun = (program, None, None, needs)
        else:
            cond = group[0][0]
            rests = [_sub(state, a[1:]) for a in group]
            rest = _one(state, rests)
            if _width(state, rest)[0] < 1:
                raise _Unsupported("empty match")
            after, program = _compile(state, [kinds[i], *rest], flags)
            first = _first(rest)
            runs.append(
                _Run(
                    whole if single else None,  # one run: it is the whole pattern
                    after,
                    first,
                    needs,
                    source=(state, [cond, *rest], flags),
                    own_key=(source, flags, len(runs)),
                )
            )
            stored = (None, program, first, needs)
        if kept is not None:
            kept.append(stored)
        i = j
    return runs


def _top_alternatives(state, items: list) -> list[list]:
    """The pattern as a list of alternatives (each a list of items) whose ordered union it is.
    A leading group is opened (`(?:A|B)T` is `AT|BT`) only when some of its alternatives start
    with a look-around, which is what decides how an alternative is searched."""
    inner = _leading_group(items)
    if inner is None or not any(_leads_with_lookaround(alt) for alt in inner):
        return [items]
    out = []
    for alt in inner:
        out.extend(_top_alternatives(state, [*alt, *items[1:]]))
    return out


def _leading_group(items: list) -> list | None:
    """The alternatives of a leading `(?:...)` or `a|b` (None: the items start otherwise)."""
    if not items:
        return None
    op, av = items[0]
    if op is _c.BRANCH:
        return [list(alt) for alt in av[1]]
    if op is _c.SUBPATTERN and av[0] is None and not (av[1] or av[2]):
        return [list(av[3])]
    return None


def _leads_with_lookaround(items: list) -> bool:
    if items and items[0][0] in (_c.ASSERT, _c.ASSERT_NOT):
        return True
    inner = _leading_group(items)
    return inner is not None and any(_leads_with_lookaround(alt) for alt in inner)


def _boundary(items: list) -> tuple | None:
    """For `(?<!C)REST` with C one character: the item matching one character not in C."""
    if not items:
        return None
    op, av = items[0]
    if op is not _c.ASSERT_NOT or av[0] != -1 or len(av[1].data) != 1:
        return None
    ((cop, cav),) = av[1].data
    if cop is _c.LITERAL:
        return (_c.IN, [(_c.NEGATE, None), (_c.LITERAL, cav)])
    if cop is _c.IN and cav and cav[0][0] is _c.NEGATE:
        return (_c.IN, list(cav[1:])) if len(cav) > 1 else None
    if cop is _c.IN and cav:
        return (_c.IN, [(_c.NEGATE, None), *cav])
    return None


def _same(a: tuple | None, b: tuple | None) -> bool:
    if a is None or b is None:
        return a is b
    return _key(a) == _key(b)


def _one(state, alts: list) -> list:
    """One item list matching the ordered alternatives `alts` (a trie when there are many)."""
    subs = [a if isinstance(a, _sre_parse.SubPattern) else _sub(state, list(a)) for a in alts]
    subs = [_sub(state, _sequence(state, list(s.data))) for s in subs]
    subs = _trie(state, subs)
    if len(subs) == 1:
        return list(subs[0].data)
    return [(_c.BRANCH, (None, subs))]


def _width(state, items: list) -> tuple[int, int]:
    return _sub(state, list(items)).getwidth()


def _compile(state, items: list, flags: int) -> tuple[re.Pattern[str], regex_cache.Program]:
    """The items compiled, and their program as the cache of compiled expressions keeps it."""
    return regex_cache.program(_sub(state, list(items)), flags)


# Required strings. A run is skipped when a text holds none of the strings one of which every
# match must contain ("bomb" or "device" for `(?:bomb|device)s?\sin`). Checking a string is
# cheap but not free: only a short list is worth checking first.
_MAX_NEEDS = 12
_MAX_STRINGS = 64  # larger sets of alternative strings are not tracked
_EMPTY = frozenset({""})


def _needs(alts: list) -> tuple[str, ...] | None:
    """Strings one of which every match of any of `alts` contains, if few; else None."""
    try:
        reqs = [_required(list(a))[1] for a in alts]
    except _Unsupported:
        return None
    union: frozenset[str] = frozenset()
    for req in reqs:
        if req is None:
            return None
        union |= req
    if not union or "" in union or len(union) > _MAX_NEEDS:
        return None
    return tuple(sorted(union))


def _best(cands: list) -> frozenset[str] | None:
    good = [s for s in cands if s and "" not in s]
    return max(good, key=lambda s: (min(map(len, s)), -len(s))) if good else None


def _product(a: frozenset[str], b: frozenset[str]) -> frozenset[str] | None:
    if len(a) * len(b) > _MAX_STRINGS:
        return None
    return frozenset(x + y for x in a for y in b)


def _required(items: list) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """(exact, required) of a sequence: `exact` is every string it can match, when that is a
    short list; `required` is a set of strings one of which every match contains."""
    cands: list = []
    run: frozenset[str] = _EMPTY  # strings the items since the last break match, joined
    exact_all = True
    for op, av in items:
        exact, req = _required_item(op, av)
        if exact is not None:
            joined = _product(run, exact)
            if joined is not None:
                run = joined
                continue
            exact_all = False
            cands.append(run)
            run = exact
        else:
            exact_all = False
            cands += [run, req]
            run = _EMPTY
    cands.append(run)
    return (run if exact_all else None), _best(cands)


def _required_item(op, av) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    c = _c
    if op is c.LITERAL:
        s = frozenset((chr(av),))
        return s, s
    if op is c.IN:
        chars = _chars(op, av)
        if chars is None or len(chars) > 16:
            return None, None
        return chars, chars
    if op is c.BRANCH:
        if len(av[1]) > _MAX_NEEDS:  # a long word list: its strings would be too many to check
            return None, None
        parts = [_required(list(alt)) for alt in av[1]]
        exacts = [e for e, _ in parts if e is not None]
        if len(exacts) == len(parts):
            union = frozenset[str]().union(*exacts)
            if len(union) <= _MAX_STRINGS:
                return union, _best([union])
        reqs = [r for _, r in parts if r is not None]
        if len(reqs) < len(parts):
            return None, None
        return None, _best([frozenset[str]().union(*reqs)])
    if op is c.SUBPATTERN:
        return _required(list(av[3]))
    if op is c.ATOMIC_GROUP:
        return _required(list(av))
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        lo, hi, sub = av
        exact, req = _required(list(sub))
        if exact is not None and lo == hi <= 4:
            out: frozenset[str] | None = _EMPTY
            for _ in range(lo):
                out = _product(out, exact) if out is not None else None
            if out is not None:
                return out, _best([out])
        if exact is not None and lo == 0 and hi == 1:
            return exact | _EMPTY, None
        return None, (req if lo >= 1 else None)
    if op in (c.ASSERT, c.ASSERT_NOT, c.AT):
        return _EMPTY, None  # zero-width: adds nothing, breaks no string
    if op in (c.NOT_LITERAL, c.ANY, c.GROUPREF, c.GROUPREF_EXISTS, c.CATEGORY):
        return None, None
    raise _Unsupported(op)


# What every match holds, for skipping a pattern in a text that cannot hold a match: sets of
# needs, where every match holds every need of at least one set (a set with nothing in it:
# nothing is known). A need is a string the match holds (`str`), or a string of the letters a-z
# with no letter a-z before it, after it or both: ("start", s), ("end", s) or ("word", s), so
# that the text holds a run of a-z starting with it, ending with it or equal to it. Worked out
# from the parsed pattern: consecutive literal characters make a string (a look-around between
# them consumes nothing, so they stay side by side), bounded where what precedes or follows it
# cannot be a letter (a look-behind `(?<![a-z])`, a space, the pattern's edge where its context
# says so); a class of a few symbols or emoji needs one of them; an alternation needs what one
# of its alternatives needs (their sets together); a sequence, what each of its items needs
# (every set of one joined with every set of the next); a repeat, what its body needs when it
# must occur at least once. Anything else (a class holding letters or digits, `.`, a
# back-reference) adds nothing. Beyond `_MAX_SETS` sets the extra needs are left out: fewer
# needs are still true of every match.
Need = str | tuple[str, str]
Needs = tuple[frozenset[Need], ...]
NOTHING: Needs = (frozenset(),)
_MAX_SETS = 4000
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
_ALNUM = _LETTERS | frozenset("0123456789")
_MAX_CLASS_NEEDS = 16


def needs_of(source: str, flags: int = 0) -> Needs:
    """What every match of the pattern `source` (with `flags`) holds (see above)."""
    if _sre_parse is None or flags & (re.IGNORECASE | re.LOCALE):
        return NOTHING
    try:
        tree = _sre_parse.parse(source, flags)
        if tree.state.flags & (re.IGNORECASE | re.LOCALE):
            return NOTHING  # a literal "a" could match "A"
        return _needs_seq(list(tree.data), left=False, right=False)
    except (_Unsupported, re.error, RecursionError, TypeError, ValueError, AttributeError):
        return NOTHING


def _needs_seq(items: list, *, left: bool, right: bool) -> Needs:
    """`left`, `right`: is the character before (after) the sequence never a letter a-z?"""
    sets = NOTHING
    run: list[str] = []
    run_left = False
    run_end = 0  # the index after the run's last character
    bound = left  # the character before the current position is never a letter
    for k, (op, av) in enumerate(items):
        chars = _chars(op, av) if op in (_c.LITERAL, _c.IN) else None
        if chars is not None and len(chars) == 1:
            if not run:
                run_left = bound
            run.extend(chars)
            run_end = k + 1
            bound = not (chars & _LETTERS)
            continue
        if op in (_c.ASSERT, _c.ASSERT_NOT, _c.AT):
            bound = bound or _bounds_before(op, av)
            continue
        if run:
            after = _bounded_after(items, run_end, right)
            sets = _joined(sets, _run_needs(run, run_left, after))
            run = []
        if chars is not None and len(chars) <= _MAX_CLASS_NEEDS and not chars & _ALNUM:
            # one of a few symbols or emoji (`(?:😂|🤣)` is parsed as a class)
            sets = _joined(sets, tuple(frozenset((ch,)) for ch in sorted(chars)))
            bound = True
            continue
        sets = _joined(sets, _needs_item(op, av, bound, _bounded_after(items, k + 1, right)))
        bound = _no_letter(op, av, last=True)
    if run:
        sets = _joined(sets, _run_needs(run, run_left, _bounded_after(items, run_end, right)))
    return sets


def _run_needs(run: list[str], left: bool, right: bool) -> Needs:
    text = "".join(run)
    need: Need = text
    if (left or right) and len(text) >= 2 and _LETTERS.issuperset(text):
        need = ("word" if left and right else "start" if left else "end", text)
    return (frozenset((need,)),)


def _needs_item(op, av, left: bool, right: bool) -> Needs:
    c = _c
    if op is c.BRANCH:
        out: dict[frozenset[Need], None] = {}
        for alt in av[1]:
            sets = _needs_seq(list(alt), left=left, right=right)
            if frozenset() in sets:
                return NOTHING  # an alternative that needs nothing
            out.update(dict.fromkeys(sets))
            if len(out) > _MAX_SETS:
                return NOTHING
        return tuple(out)
    if op is c.SUBPATTERN:
        if (av[1] | av[2]) & (re.IGNORECASE | re.LOCALE):
            return NOTHING
        return _needs_seq(list(av[3]), left=left, right=right)
    if op is c.ATOMIC_GROUP:
        return _needs_seq(list(av), left=left, right=right)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
        once = av[0] == av[1] == 1  # otherwise a copy may sit beside another
        return _needs_seq(list(av[2]), left=left and once, right=right and once)
    return NOTHING


def _bounds_before(op, av) -> bool:
    """Does a zero-width item say the character before it is not a letter a-z?"""
    if op is _c.AT:
        return av in (_c.AT_BEGINNING, _c.AT_BEGINNING_STRING)
    return op is _c.ASSERT_NOT and av[0] == -1 and _letters_excluded(av[1])


def _bounded_after(items: list, k: int, right: bool) -> bool:
    """Is the character after position `k` of `items` (before item `k`) never a letter?"""
    for op, av in items[k:]:
        if op is _c.AT:
            if av in (_c.AT_END, _c.AT_END_STRING):
                return True
            continue
        if op is _c.ASSERT_NOT and av[0] == 1 and _letters_excluded(av[1]):
            return True
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            continue
        return _no_letter(op, av)
    return right


def _letters_excluded(sub) -> bool:
    """Is the look-around `sub` one character of a class holding every letter a-z?"""
    if len(sub.data) != 1:
        return False
    op, av = sub.data[0]
    chars = _chars(op, av) if op in (_c.LITERAL, _c.IN) else None
    return chars is not None and chars >= _LETTERS


def _no_letter(op, av, last: bool = False) -> bool:
    """Is the first character `op` consumes (the last, with `last`) never a letter a-z?"""
    c = _c
    if op is c.LITERAL:
        return chr(av) not in _LETTERS
    if op is c.IN:
        for iop, iav in av:
            if iop is c.LITERAL and chr(iav) in _LETTERS:
                return False
            if iop is c.RANGE and not (iav[1] < ord("a") or iav[0] > ord("z")):
                return False
            if iop is c.CATEGORY and iav not in (c.CATEGORY_SPACE, c.CATEGORY_DIGIT):
                return False
            if iop not in (c.LITERAL, c.RANGE, c.CATEGORY):
                return False  # NEGATE and the rest
        return True
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
        return _edge_no_letter(list(av[2]), last)
    if op is c.SUBPATTERN:
        return _edge_no_letter(list(av[3]), last)
    if op is c.BRANCH:
        return all(_edge_no_letter(list(alt), last) for alt in av[1])
    return False


def _edge_no_letter(items: list, last: bool) -> bool:
    if not items:
        return False
    op, av = items[-1 if last else 0]
    return _no_letter(op, av, last=last)


def _joined(a: Needs, b: Needs) -> Needs:
    """What a match of A then B holds: a set of A's with a set of B's (A's alone, when the
    pairs would be too many)."""
    if b == NOTHING:
        return a
    if a == NOTHING:
        return b
    if len(a) * len(b) > _MAX_SETS:
        return a
    return tuple(dict.fromkeys(x | y for x in a for y in b))
