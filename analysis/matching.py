"""Does a post mention a school? The rules of docs/contract.md §3, with the spans that matched.

A post mentions the school when its title or text contains one of `names` (or the full
`name`); or one of `ambiguous_names` with a `context` word anywhere in the same post; or,
on a `local` source, one of `ambiguous_names` or a person's name or alias. Comparison is on
normalised tokens (`analysis.normalize`), whole words only, and a name may carry a
possessive or plural "s" ("Mrs Okafor's class"). Occurrences inside an `exclude` name do
not count for anything, so a post naming only the excluded school does not mention this one.

Each school's patterns are compiled once and cached: this runs on every post.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from analysis.normalize import Normalised, normalise, normalise_phrase
from schoolwatch.config import SchoolConfig
from schoolwatch.models import Span

MATCHING_VERSION = "1"

MatchKind = Literal["none", "name", "ambiguous+context", "local:ambiguous", "local:person"]


@dataclass(frozen=True, slots=True)
class Match:
    """The outcome of matching one post against one school.

    `spans` are the school's names found in the post (empty unless `mentions`); `people` are
    configured people's names and aliases found, whatever the source. Both point into the
    original title or text. `kind` is the first rule that made the post a mention.
    """

    mentions: bool
    spans: tuple[Span, ...]
    people: tuple[Span, ...]
    kind: MatchKind


@dataclass(frozen=True, slots=True)
class _Compiled:
    names: re.Pattern[str] | None
    ambiguous: re.Pattern[str] | None
    context: re.Pattern[str] | None
    exclude: re.Pattern[str] | None
    people: re.Pattern[str] | None


def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex finding any of `phrases` as whole normalised words, with an optional "s".

    A multi-word phrase also matches run together as one word ("#StAldricsBrackenford").
    """
    alts: set[str] = set()
    for phrase in phrases:
        norm = normalise_phrase(phrase)
        if not norm:
            continue
        alts.add(norm)
        if " " in norm:
            alts.add(norm.replace(" ", ""))
    if not alts:
        return None
    # Longest first, so the regex prefers "dr yvonne ashworth" over "yvonne ashworth".
    body = "|".join(re.escape(a) for a in sorted(alts, key=lambda a: (-len(a), a)))
    return re.compile(rf"(?<= )(?:{body})s?(?= )")


def _school_key(school: SchoolConfig) -> tuple:
    """Everything matching depends on: a change to any of it gives a new cache entry."""
    return (
        school.id,
        school.name,
        tuple(school.names),
        tuple(school.ambiguous_names),
        tuple(school.context),
        tuple(school.exclude),
        tuple((p.name, tuple(p.aliases)) for p in school.people),
    )


@lru_cache(maxsize=256)
def _compile(key: tuple) -> _Compiled:
    _, name, names, ambiguous, context, exclude, people = key
    return _Compiled(
        names=_pattern((name, *names)),
        ambiguous=_pattern(ambiguous),
        context=_pattern(context),
        exclude=_pattern(exclude),
        people=_pattern(tuple(n for person, aliases in people for n in (person, *aliases))),
    )


def _inside(intervals: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) lies within one of `intervals` (sorted, non-overlapping)."""
    i = bisect_right(intervals, (start, sys.maxsize)) - 1
    return i >= 0 and intervals[i][0] <= start and end <= intervals[i][1]


def _find(
    pattern: re.Pattern[str] | None, norm: Normalised, excluded: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Normalised [start, end) of each hit that is not inside an excluded school's name.

    Hits come from one `finditer`, so they are sorted and do not overlap.
    """
    if pattern is None:
        return []
    return [m.span() for m in pattern.finditer(norm.text) if not _inside(excluded, *m.span())]


@dataclass(slots=True)
class _FieldHits:
    field: Literal["title", "text"]
    source: str
    norm: Normalised
    names: list[tuple[int, int]]
    ambiguous: list[tuple[int, int]]
    context: list[tuple[int, int]]
    people: list[tuple[int, int]]

    def spans(self, hits: list[tuple[int, int]]) -> list[Span]:
        out = []
        for s, e in hits:
            start, end = self.norm.original_span(s, e)
            out.append(Span(self.field, start, end, self.source[start:end]))
        return out


def _scan(compiled: _Compiled, field: Literal["title", "text"], source: str) -> _FieldHits:
    norm = normalise(source)
    excluded = _find(compiled.exclude, norm, [])
    names = _find(compiled.names, norm, excluded)
    # An ambiguous name inside a full name is the same mention: report it once.
    ambiguous = [
        (s, e) for s, e in _find(compiled.ambiguous, norm, excluded) if not _inside(names, s, e)
    ]
    return _FieldHits(
        field=field,
        source=source,
        norm=norm,
        names=names,
        ambiguous=ambiguous,
        context=_find(compiled.context, norm, excluded),
        people=_find(compiled.people, norm, excluded),
    )


def _kind(fields: list[_FieldHits], local: bool) -> MatchKind:
    if any(f.names for f in fields):
        return "name"
    has_ambiguous = any(f.ambiguous for f in fields)
    if has_ambiguous and any(f.context for f in fields):
        return "ambiguous+context"
    if local and has_ambiguous:
        return "local:ambiguous"
    if local and any(f.people for f in fields):
        return "local:person"
    return "none"


def match_school(school: SchoolConfig, title: str, text: str, *, local: bool) -> Match:
    """Whether the post (title and text) mentions `school`, by which rule, and where."""
    compiled = _compile(_school_key(school))
    fields = [_scan(compiled, "title", title or ""), _scan(compiled, "text", text or "")]
    kind = _kind(fields, local)
    mentions = kind != "none"
    spans: list[Span] = []
    people: list[Span] = []
    for f in fields:
        if mentions:
            spans.extend(sorted(f.spans(f.names + f.ambiguous), key=lambda sp: sp.start))
        people.extend(f.spans(f.people))
    return Match(mentions=mentions, spans=tuple(spans), people=tuple(people), kind=kind)
