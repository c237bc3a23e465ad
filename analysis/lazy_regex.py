"""A regular expression compiled the first time it is used.

The threat frames' phrase lists compile to regular expressions of up to a quarter of a million
characters (every slot, such as `{harm}`, is written out in each phrase that names it), and
compiling all of them took most of the classifier's start-up. Which frames a post is tried
against is decided without them (`analysis.threat`: the words and slots each phrase cannot
match without), so most frames are never searched in a run that assesses a few posts, and
their expressions need never be compiled. `LazyRegex` keeps the source and compiles it, and
the faster scanner of `analysis.harm_regex`, on first use; what it finds is exactly what the
compiled expression finds.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

from analysis import collector, regex_cache
from analysis.harm_regex import Scanner


class LazyRegex:
    """`re.compile(source, flags)`, compiled on first use (`search`, `finditer`, `regex`,
    `scanner`), or read from the compiled expressions earlier runs kept (`analysis.regex_cache`).
    Two are equal when their source and flags are. Compiling twice from two threads at once is
    harmless: both compile the same expression, and either is kept."""

    __slots__ = ("_regex", "_scanner", "flags", "source")

    def __init__(self, source: str, flags: int = 0) -> None:
        self.source = source
        self.flags = flags
        self._regex: re.Pattern[str] | None = None
        self._scanner: Scanner | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        """The compiled expression (compiled now if it was not yet)."""
        regex = self._regex
        if regex is None:
            with collector.paused():
                regex = self._regex = regex_cache.compile(self.source, self.flags)
        return regex

    @property
    def scanner(self) -> Scanner:
        """`analysis.harm_regex.Scanner` of the expression: its matches, found faster."""
        scanner = self._scanner
        if scanner is None:
            # from the source when the expression is not compiled yet: parsed once, and not
            # compiled whole unless the scanner needs it
            regex = self._regex
            with collector.paused():
                scanner = Scanner(regex) if regex is not None else Scanner(self.source, self.flags)
            self._scanner = scanner
        return scanner

    def compile(self, *, scanner: bool = False) -> None:
        """Compile the expression now (and its scanner, with `scanner`)."""
        regex = self.regex
        if scanner and self._scanner is None:
            self._scanner = Scanner(regex)

    @property
    def compiled(self) -> bool:
        """Has the expression, or its scanner, been compiled (has anything used it)?"""
        return self._regex is not None or self._scanner is not None

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.regex.search(text, pos, endpos)

    def finditer(
        self, text: str, pos: int = 0, endpos: int = sys.maxsize
    ) -> Iterator[re.Match[str]]:
        return self.regex.finditer(text, pos, endpos)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LazyRegex):
            return NotImplemented
        return (self.source, self.flags) == (other.source, other.flags)

    def __hash__(self) -> int:
        return hash((self.source, self.flags))

    def __repr__(self) -> str:
        state = "compiled" if self.compiled else "not compiled"
        return f"LazyRegex({len(self.source)} characters, {state})"
