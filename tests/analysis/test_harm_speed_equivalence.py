"""The faster rule matching (`analysis.harm_regex`) finds exactly what the plain patterns find.

`Scanner(p).spans(text)` must equal `[m.span() for m in p.finditer(text)]` for every shipped
pattern on every training post, and for generated patterns and texts built to catch the ways a
rewrite could go wrong: alternatives whose first characters overlap (`[i1]` and `[l1]`), an
earlier alternative that is a prefix of a later one (ordered alternation: `a|ab` finds "a"),
matches at the very start of the text, adjacent matches, and look-behinds.
"""

from __future__ import annotations

import json
import re
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import harm_text
from analysis.harm_regex import Scanner, optimise
from analysis.harm_rules import RULES_PATH, load_rules, parse_rules

TRAIN = RULES_PATH.parent / "train"


def _plain(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


def _shipped_patterns() -> list[tuple[str, re.Pattern[str], Scanner]]:
    """Each shipped pattern with the scanner the rule book built for it."""
    book = load_rules()
    pats = []
    for r in book.rules:
        assert r.scanner is not None, f"the rule book built no scanner for {r.name}"
        pats.append((r.name, r.pattern.regex, r.scanner))
    pats += [(n, getattr(book, n).regex, s) for n, s in book.scanners.items()]
    return pats


def _training_texts() -> list[str]:
    out = []
    for path in sorted(TRAIN.glob("*_posts.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out += [harm_text.fold(row.get("title") or ""), harm_text.fold(row["text"])]
    return out


def test_shipped_rules_use_the_fast_path() -> None:
    # guards the speed-up itself: a rewrite that silently fell back would still be correct
    book = load_rules()
    assert all(r.scanner is not None and r.scanner._runs for r in book.rules)
    assert set(book.scanners) == {"crime", "not_crime", "roles", "sensitive", "pupil"}


def test_loading_the_rules_parses_each_expression_once_and_compiles_none_whole() -> None:
    # guards the start-up saving: the scanners are built from the rules' sources, so no
    # rule's whole expression is compiled (a second parse and compile) until something asks
    with RULES_PATH.open("rb") as f:
        book = parse_rules(tomllib.load(f))
    lazy = [r.pattern for r in book.rules] + [getattr(book, n) for n in book.scanners]
    assert lazy and all(p._regex is None for p in lazy)


def test_shipped_patterns_find_the_same_spans_on_training_posts() -> None:
    texts = _training_texts()
    # each post also shifted by a character or two: matches at the start, cut-off words
    texts += [t[i:] for t in texts[:400] for i in (1, 2)]
    for name, pattern, scanner in _shipped_patterns():
        fast = optimise(pattern)
        for text in texts:
            assert scanner.spans(text) == _plain(pattern, text), (name, text)
            m, f = pattern.search(text), scanner.first(text)
            assert (m.span() if m else None) == f, (name, text)
            assert _plain(fast, text) == _plain(pattern, text), (name, text)


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"a|ab|abc", "abc ab a"),  # ordered: the first alternative wins, not the longest
        (r"ab|a|abc", "abc ab a"),
        (r"(?<![a-z])(?:[i1]x|[l1]y|1z|ix)", "1z 1y ix lx 1x"),  # overlapping first classes
        # "[i1]" may not move up past "[l1]\S+": on "1q" the middle alternative must win
        (r"(?<![a-z])(?:[i1]x|[l1]\S+|[i1])", "1q 1x iq lq"),
        (r"(?<![a-z])(?:kill|kick|ki|k)", "kill kick kit k skill"),
        (r"(?<![a-z])(?:ab)", "abab ab"),  # adjacent: the second "ab" follows a letter
        (r"(?<![a-z])(?:a\s?)", "a a  a"),
        (r"x|(?<![a-z])(?:ab|x)|y(?<![a-z])", "xab ab yab y"),  # mixed top-level alternatives
        (r"(?<![0-9])1488(?![0-9])|(?<![a-z])88(?=\s*$)", "1488 88"),
        (r"(?<![a-z])(?:(a)|(ab))b", "abb ab"),  # groups keep their numbers
        (r"(?<![a-z])(?:x*)", "xx y"),  # can match empty: left as it is
        (r"(?i)(?<![a-z])(?:ab|AC)", "Ab ac"),  # case-insensitive: left as it is
    ],
)
def test_tricky_patterns(pattern: str, text: str) -> None:
    p = re.compile(pattern, re.VERBOSE)
    assert Scanner(p).spans(text) == _plain(p, text)
    from_source = Scanner(pattern, re.VERBOSE)  # parsed once, never compiled whole
    assert from_source.spans(text) == _plain(p, text)
    m = p.search(text)
    assert from_source.first(text) == (m.span() if m else None)
    fast = optimise(p)
    assert [m.span() for m in fast.finditer(text)] == _plain(p, text)
    assert [m.groups() for m in fast.finditer(text)] == [m.groups() for m in p.finditer(text)]


# generated patterns: alternations of short words over a small alphabet with the rules'
# building blocks (classes with overlapping members, optional characters, repeats, spaces,
# look-behinds), searched in texts over the same alphabet so that matches are frequent
_ATOMS = st.sampled_from(
    [
        *("a", "b", "i", "l", "1", "[i1]", "[l1]", "[ab]", "a?", "b+", r"\s", r"\s?", r"\S+"),
        *("'", "bib", "lil", r"(?:ab\s)?", r"(?:li\S){0,2}", r"(?:ba|il\s)", "(?:11|1)"),
    ]
)
_WORD = st.lists(_ATOMS, min_size=1, max_size=4).map("".join)
_LOOK = st.sampled_from(["", "(?<![a-z])", "(?<![a-z0-9])", "(?<!1)", "(?<![^a-z])"])
_ALT = st.tuples(_LOOK, _WORD).map("".join)
_PATTERN = st.tuples(
    st.sampled_from(["", "(?<![a-z])"]),
    st.lists(_ALT, min_size=1, max_size=8),
    st.sampled_from(["", "(?![a-z])", r"\s"]),
).map(lambda t: f"{t[0]}(?:{'|'.join(t[1])}){t[2]}")
_TEXT = st.text(alphabet="abil1' \n-", max_size=40)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=_PATTERN, texts=st.lists(_TEXT, min_size=1, max_size=5))
def test_generated_patterns_find_the_same_spans(pattern: str, texts: list[str]) -> None:
    p = re.compile(pattern)
    scanner = Scanner(p)
    from_source = Scanner(pattern)
    fast = optimise(p)
    for text in texts:
        assert scanner.spans(text) == _plain(p, text)
        assert from_source.spans(text) == _plain(p, text)
        assert _plain(fast, text) == _plain(p, text)
        m = p.search(text)
        assert scanner.first(text) == (m.span() if m else None)
        assert from_source.first(text) == (m.span() if m else None)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(st.characters(codec="utf-8"), max_size=300))
def test_shipped_patterns_on_any_text(text: str) -> None:
    folded = harm_text.fold(text)
    for name, pattern, scanner in _shipped_patterns():
        assert scanner.spans(folded) == _plain(pattern, folded), name
