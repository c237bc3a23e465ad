"""Reviewed rules of the harm classifier, read from `analysis/data/harm_rules.toml`.

A safeguarding lead edits that file, not this one. Each rule is a list of phrases in the
notation of `analysis.phrases` (words, `word*`, `his/her/their`, `(optional)`, `...` gaps and
named `{slots}`, including the character shapes of `analysis.rule_shapes`) over the folded
text (see `harm_text.fold`), or a list of words that may be masked or in leetspeak (`p*ki`,
`f4g`). The older threat rules still carry a raw regular expression (`pattern`). A rule is
`strong` (sets its category on its own) or `weak` (a signal the trained model weighs, and
evidence when the model decides). `unless` phrases are the figurative, sporting, negated or
reported uses that cancel a hit they overlap or precede.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from analysis import collector
from analysis import phrases as notation
from analysis.harm_regex import Needs, Scanner, needs_of
from analysis.lazy_regex import LazyRegex
from analysis.needs_index import LazyNeedsIndex
from analysis.rule_shapes import SHAPES

RULES_PATH = Path(__file__).resolve().parent / "data" / "harm_rules.toml"

# Characters posters put in place of letters. A word in a lexicon matches with any of its
# letters after the first swapped for one of these (or for a look-alike digit).
_MASK = r"[*@#$!_.%]"
_LEET = {
    "a": "a4@",
    "e": "e3",
    "i": "i1!|y",
    "o": "o0",
    "s": "s5$z",
    "t": "t7",
    "g": "g9",
    "l": "l1",
}


def lexicon_regex(word: str) -> str:
    """A regex for `word` tolerating masked letters (`c*nt`, `p**f`) and leetspeak (`f4g`)."""
    out = []
    for i, ch in enumerate(word.lower()):
        if ch == " ":
            out.append(r"[\s\-]*")
        elif not ch.isalnum():
            out.append(re.escape(ch) + "?")
        elif i == 0:
            out.append(f"[{re.escape(_LEET.get(ch, ch))}]")
        else:
            out.append(f"(?:[{re.escape(_LEET.get(ch, ch))}]+|{_MASK}{{1,3}})")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    category: str
    strong: bool
    # the rule's expression; its matches are found with `scanner`, which is built from the
    # source, so the expression itself is compiled only if something asks for it
    pattern: LazyRegex
    unless: LazyRegex | None
    reason: str
    needs_target: bool
    lexical: bool = False
    feature: bool = True  # a model feature when weak; `false` in the file: a [require] cue only
    # `pattern`'s matches, found faster (harm_regex); None: `pattern.finditer` itself
    scanner: Scanner | None = field(default=None, compare=False, repr=False)

    def spans(self, folded: str) -> list[tuple[int, int]]:
        """(start, end) of each match of `pattern` in `folded`, as `finditer` finds them."""
        if self.scanner is None:
            return [m.span() for m in self.pattern.finditer(folded)]
        return self.scanner.spans(folded)


@dataclass(frozen=True, slots=True)
class Hit:
    rule: Rule
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class RuleBook:
    rules: tuple[Rule, ...]
    thresholds: dict[str, float]
    crime: LazyRegex
    not_crime: LazyRegex | None
    roles: LazyRegex
    sensitive: LazyRegex
    pupil: LazyRegex
    concepts: dict[str, str]
    version: str
    harassment_when_targeted: tuple[str, ...] = ()
    vetoes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    veto_above: float = 1.0
    not_evidence: frozenset[str] = frozenset()
    requires: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # category already chosen -> {category: cues a model-only decision then needs}
    requires_beside: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    # faster finders of `crime`, `not_crime`, `roles`, `sensitive` and `pupil` (harm_regex)
    scanners: dict[str, Scanner] = field(default_factory=dict, compare=False, repr=False)
    # the rules by what a text must hold for each to match (None: every rule is searched)
    index: LazyNeedsIndex[Rule] | None = field(default=None, compare=False, repr=False)

    def possible(self, folded: str) -> Sequence[Rule]:
        """The rules that may match in `folded`, in order: every rule but those its text lacks
        what they need for (`analysis.needs_index`, once built: see `INDEX_AFTER`), which
        find nothing there."""
        return self.rules if self.index is None else self.index.possible(folded)

    def first(self, name: str, text: str) -> tuple[int, int] | None:
        """Span of `getattr(self, name).search(text)` (`name` e.g. "roles"), or None."""
        scanner = self.scanners.get(name)
        if scanner is None:
            pattern = getattr(self, name)
            m = pattern.search(text) if pattern is not None else None
            return None if m is None else m.span()
        return scanner.first(text)

    def all(self, name: str, text: str) -> list[tuple[int, int]]:
        """Spans of `getattr(self, name).finditer(text)` (empty when the pattern is None)."""
        scanner = self.scanners.get(name)
        if scanner is None:
            pattern = getattr(self, name)
            return [m.span() for m in pattern.finditer(text)] if pattern is not None else []
        return scanner.spans(text)


def _words(words: list[str]) -> str:
    return "|".join(lexicon_regex(w) for w in sorted(words, key=len, reverse=True))


def _compile(body: str) -> LazyRegex:
    return LazyRegex(body, re.VERBOSE)


def _bounded(body: str) -> str:
    # a mask character next to the word means the word goes on ("f**" is not "fat")
    return rf"(?<![a-z0-9*@#$_%])(?:{body})(?![a-z0-9*@#$_%])"


def _edge(token: str, first: bool) -> bool:
    """Does a phrase starting (`first`) or ending with `token` start or end with a word
    character, so that it must sit on a word boundary?"""
    token = token.lstrip("(!").rstrip(")")
    if token.startswith("{"):
        return token.strip("{}") not in SHAPES
    if token.startswith("."):
        return True
    word = token.split("/")[0] if first else token.split("/")[-1]
    ch = word.lstrip("*")[:1] if first else word.rstrip("*")[-1:]
    return bool(ch) and ch.isascii() and (ch.isalnum() or ch in "#*'")


def phrase_regex(phrase_list: list[str], slots: dict[str, str]) -> str:
    """One regex for a list of phrases, each a whole word or words: phrases are grouped by
    whether they start and end with a word character, and only those edges are bounded."""
    groups: dict[tuple[bool, bool], list[str]] = {}
    for p in phrase_list:
        toks = p.split()
        groups.setdefault((_edge(toks[0], True), _edge(toks[-1], False)), []).append(p)
    out = []
    for (start, end), group in groups.items():
        body = notation.alternation(group, slots, fillers=False)
        before = r"(?<![a-z])" if start else ""
        after = r"(?![a-z])" if end else ""
        out.append(f"{before}(?:{body}){after}")
    return "|".join(out)


def _slots(raw: dict) -> dict[str, str]:
    shapes = {name: s.pattern for name, s in SHAPES.items()}
    own = notation.compile_slots(
        {name: list(v) for name, v in raw.get("slots", {}).items()}, fillers=False
    )
    return {**shapes, **own}


def _body(raw: dict | list | str, slots: dict[str, str]) -> str:
    """The regex of a `phrases` list (or, in the older threat rules, a raw `pattern`)."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict):
        raw = raw["phrases"] if "phrases" in raw else raw["pattern"]
        return _body(raw, slots)
    return phrase_regex(raw, slots)


def parse_rules(raw: dict) -> RuleBook:
    """Build a `RuleBook` from the TOML structure (exposed for tests of the data file)."""
    lex = {name: _words(v["words"]) for name, v in raw.get("lexicon", {}).items()}
    slots = _slots(raw)
    rules = []
    for r in raw["rules"]:
        if "words" in r:
            body = _bounded(_words(r["words"]))
        elif "lexicon" in r:
            body = _bounded(lex[r["lexicon"]])
        else:
            body = _body(r, slots)
        unless = _body(r["unless"], slots) if r.get("unless") else None
        pattern = _compile(body)
        rules.append(
            Rule(
                name=r["name"],
                category=r["category"],
                strong=r.get("strength", "weak") == "strong",
                pattern=pattern,
                unless=_compile(unless) if unless else None,
                reason=r.get("reason", r["name"]),
                needs_target=bool(r.get("needs_target", False)),
                lexical="words" in r or "lexicon" in r,
                feature=bool(r.get("feature", True)),
                scanner=pattern.scanner,
            )
        )
    d = raw["defamation"]
    book = RuleBook(
        rules=tuple(rules),
        thresholds={k: float(v) for k, v in raw["thresholds"].items()},
        crime=_compile(_body(d["crime"], slots)),
        not_crime=_compile(_body(d["not_crime"], slots)) if d.get("not_crime") else None,
        roles=_compile(_body(raw["targets"]["roles"], slots)),
        sensitive=_compile(_body(raw["personal_data"]["sensitive"], slots)),
        pupil=_compile(_body(raw["personal_data"]["pupil"], slots)),
        concepts={w: f"@{name}" for name, ws in raw.get("concepts", {}).items() for w in ws},
        version=str(raw["version"]),
        vetoes={k: tuple(v) for k, v in raw.get("veto", {}).items() if isinstance(v, list)},
        veto_above=float(raw.get("veto", {}).get("veto_above", 1.0)),
        harassment_when_targeted=tuple(raw.get("combine", {}).get("harassment_when_targeted", ())),
        requires={k: tuple(v) for k, v in raw.get("require", {}).items() if isinstance(v, list)},
        requires_beside={
            k: {c: tuple(cues) for c, cues in v.items()}
            for k, v in raw.get("require", {}).get("beside", {}).items()
        },
        not_evidence=frozenset(raw.get("evidence", {}).get("not_shown", ())),
        index=LazyNeedsIndex(rules, _rule_needs, after=INDEX_AFTER),
    )
    for name in ("crime", "not_crime", "roles", "sensitive", "pupil"):
        pattern = getattr(book, name)
        if pattern is not None:
            book.scanners[name] = pattern.scanner
    return book


# Building the rules' index (parsing every rule again, working out its needs) costs about a
# quarter of a second, and saves about 0.1 ms a field: a process builds it once it has searched
# this many fields, so a run of a few posts does not pay for it.
INDEX_AFTER = 1000


def _rule_needs(rule: Rule) -> Needs:
    return needs_of(rule.pattern.source, rule.pattern.flags)


@lru_cache(maxsize=1)
def load_rules(path: Path = RULES_PATH) -> RuleBook:
    """The shipped rule book, read once."""
    with path.open("rb") as f, collector.paused():
        return parse_rules(tomllib.load(f))


def find_hits(book: RuleBook, folded: str) -> list[Hit]:
    """Every rule match in one folded field that no `unless` pattern cancels."""
    hits = []
    for rule in book.possible(folded):
        for start, end in rule.spans(folded):
            if end == start or (rule.lexical and not _mostly_letters(folded[start:end])):
                continue
            if rule.unless is not None and _cancelled(rule.unless, folded, start, end):
                continue
            hits.append(Hit(rule, start, end))
    return hits


def _mostly_letters(word: str) -> bool:
    # "c*nt" and "p@kki" are words with a letter masked; "f**" could be any word at all
    letters = sum(c.isalpha() for c in word)
    return letters >= 2 and letters * 2 >= len(word.replace(" ", ""))


def _cancelled(unless: LazyRegex, folded: str, start: int, end: int) -> bool:
    # an exception cancels a hit when it overlaps it or sits in the same sentence just before
    lo = max(0, folded.rfind(".", 0, start) + 1, start - 80)
    hi = min(len(folded), end + 60)
    return any(m.start() < end + 60 and m.end() > lo for m in unless.finditer(folded, lo, hi))
