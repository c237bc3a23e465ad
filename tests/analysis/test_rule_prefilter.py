"""Skipping harm rules a text cannot match (`RuleBook.possible`, `analysis.needs_index`) only
saves time: it never skips a rule that would have matched. Every rule that matches a text must
be among the rules the built index gives for it, on every training post, on the bench fixture's
posts and on generated texts made of the rules' own words; `find_hits` must give exactly what
searching every rule gives. And what `needs_of` says every match holds must be held by the
text of every match, for generated patterns and texts."""

from __future__ import annotations

import dataclasses
import re
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import harm_normalize
from analysis.compare_rules import read_posts
from analysis.harm_regex import NOTHING, Need, Needs, needs_of
from analysis.harm_rules import INDEX_AFTER, RULES_PATH, find_hits, load_rules, parse_rules
from analysis.harm_text import fold
from analysis.needs_index import LazyNeedsIndex, NeedsIndex

TRAIN = RULES_PATH.parent / "train"
BOOK = load_rules()
assert BOOK.index is not None
INDEX = BOOK.index.build()
EVERY_RULE = dataclasses.replace(BOOK, index=None)


def _field(text: str) -> str:
    return harm_normalize.for_rules(fold(text))


def _training_fields() -> list[str]:
    """Every training post, its title and text joined (`compare_rules.read_posts`)."""
    return [_field(text) for _, text in read_posts(sorted(TRAIN.glob("*_posts.jsonl")))]


def _check(text: str) -> tuple[int, int]:
    """Every rule that matches `text` is possible there; (rules matching, rules possible)."""
    possible = INDEX.possible(text)
    names = {r.name for r in possible}
    matching = [r.name for r in BOOK.rules if r.spans(text)]
    missed = [name for name in matching if name not in names]
    assert not missed, (missed, text)
    assert [r.name for r in possible] == [r.name for r in BOOK.rules if r.name in names]
    return len(matching), len(possible)


def test_no_rule_that_matches_is_skipped_on_training_posts() -> None:
    fields = _training_fields()
    assert len(fields) > 20000
    matched = possible = 0
    for text in fields:
        m, p = _check(text)
        matched += m
        possible += p
    assert matched > 1000  # the posts do match rules: the comparison is not of empty lists
    # the index does skip rules: most fields are searched for well under half of them
    assert possible < len(fields) * len(BOOK.rules) / 2


def test_same_hits_as_searching_every_rule() -> None:
    fields = _training_fields()[::7]
    hits = 0
    for text in fields:
        found = find_hits(BOOK, text)
        assert found == find_hits(EVERY_RULE, text), text
        hits += len(found)
    assert hits > 500


def test_no_rule_that_matches_is_skipped_on_the_bench_posts() -> None:
    from bench.identity import bench_batch

    posts, _ = bench_batch()
    for post in posts[:1500]:
        for text in (post.title or "", post.text):
            _check(_field(text))


@pytest.mark.parametrize(
    "post",
    [
        "12 acacia rd, leeds",  # a short word with a full stop beside it
        "lives at 4 elm st.",
        "what a joke2 that was",  # a digit is not a letter: "joke" still ends there
        "jokes aside it's a joke-",
        "😂😂 killing it",
        "c*nt",
        "f4g",
        "absolute genius 🙄",
        "",
        "a",
    ],
)
def test_edge_cases(post: str) -> None:
    text = _field(post)
    _check(text)
    assert find_hits(BOOK, text) == find_hits(EVERY_RULE, text)


def _vocabulary() -> list[str]:
    """The rule file's words (phrases, lexicons, slot entries) and characters beside them."""
    with RULES_PATH.open("rb") as f:
        raw = tomllib.load(f)
    words: set[str] = set()

    def visit(value: object) -> None:
        if isinstance(value, str):
            words.update(w.strip("()!") for w in value.split() if not w.startswith(".."))
        elif isinstance(value, list):
            for v in value:
                visit(v)
        elif isinstance(value, dict):
            for v in value.values():
                visit(v)

    for rule in raw["rules"]:
        visit(rule.get("phrases", []))
        visit(rule.get("words", []))
    visit(raw.get("lexicon", {}))
    visit(raw.get("slots", {}))
    pieces = {p for w in words for p in w.replace("*", "").split("/") if p}
    return sorted({*pieces, "the", "a", ".", ",", "!", "?", "'", "-", "2", "07", "😂", "@"})


_TEXT = st.lists(st.sampled_from(_vocabulary()), min_size=1, max_size=12).map(" ".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(_TEXT, min_size=1, max_size=4), glue=st.sampled_from([" ", "", "-", "."]))
def test_no_rule_that_matches_is_skipped_on_generated_texts(texts: list[str], glue: str) -> None:
    for text in [*texts, glue.join(texts)]:
        text = _field(text)
        _check(text)
        assert find_hits(BOOK, text) == find_hits(EVERY_RULE, text)


def test_the_index_skips_most_rules_on_an_ordinary_post() -> None:
    text = _field("Lovely sports day at the school today, the children had a great time.")
    assert len(INDEX.possible(text)) < len(BOOK.rules) / 3


# generated patterns: what `needs_of` says a match holds, against the text of each match
_ATOMS = st.sampled_from(
    [
        *("a", "b", "ab", "ba", "bab", "1", "'", "😂", "[ab]", "[😂🤣]", "[.!]", "a?", "b+"),
        *(r"\s", r"[\s\-]+", r"\S+", "[a-z]*", r"(?:ab\s)?", r"(?:ba|ab\s)", "(?:ab){2}"),
        *("(?<![a-z])", "(?![a-z])", "(?<![a-z0-9])", "(?=b)", r"\b", "^", "$"),
    ]
)
_WORD = st.lists(_ATOMS, min_size=1, max_size=5).map("".join)
_PATTERN = st.lists(_WORD, min_size=1, max_size=5).map("|".join)
_GEN_TEXT = st.text(alphabet="ab1' \n-.😂z", max_size=30)


def _held(text: str, need: Need) -> bool:
    """Does `text` hold `need` as `needs_of` means it (the definition, searched plainly)?"""
    if isinstance(need, str):
        return need in text
    kind, word = need
    words = re.findall("[a-z]+", text)
    if kind == "word":
        return word in words
    return any(w.startswith(word) if kind == "start" else w.endswith(word) for w in words)


def _holds(text: str, needs: Needs) -> bool:
    return any(all(_held(text, n) for n in need) for need in needs)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=_PATTERN, texts=st.lists(_GEN_TEXT, min_size=1, max_size=5))
def test_needs_hold_in_every_match(pattern: str, texts: list[str]) -> None:
    compiled = re.compile(pattern)
    needs = needs_of(pattern)
    index = NeedsIndex(["p"], [needs])
    for text in texts:
        matches = list(compiled.finditer(text))
        if matches:
            assert _holds(text, needs), (pattern, text)
            assert index.possible(text) == ["p"], (pattern, text)


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"(?<![a-z])(?:ab){2}(?![a-z])", "abab"),  # a repeated word is not the word twice
        (r"(?<![a-z])(?:ab)+(?![a-z])", "ababab"),
        (r"(?<![a-z])ab(?![a-z])", "ab1"),  # a digit ends a word of letters
        (r"(?<![a-z])(?:ab|ba)(?![a-z])", " ba."),
        (r"(?<![a-z])ab[\s\-]+ba(?![a-z])", "ab - ba"),
        (r"(?<![a-z])ab(?:cd)?(?![a-z])", "abcd"),  # an optional ending: not the word "ab"
        (r"(?<![a-z])ab[a-z']*", "abc"),  # a stem
        (r"(?<![a-z])abc[a-z']*", "abcdef"),  # a word that starts with "abc"
        (r"(?<![a-z])abcd(?:ef)?", "abcdefg"),
        (r"[a-z']*xyz(?![a-z])", "wxyz."),  # a word that ends with "xyz"
        (r"(?<![a-z])the(?![a-z])", "the"),  # a word of three letters
        (r"(?<![a-z])ab(?=c)", "abc"),  # a look-ahead that is not a boundary
        (r"(?<![a-z])a(?:b|c)d(?![a-z])", "abd"),
        (r"(?:😂|🤣)", "🤣"),
        (r"x?(?:😂|🤣)", "🤣"),
        (r"^ab$", "ab"),
        (r"(?<![a-z0-9*@#$_%])(?:[c](?:[u]+|[*@#$!_.%]{1,3})nt)(?![a-z0-9*@#$_%])", "c*nt"),
    ],
)
def test_needs_of_tricky_patterns(pattern: str, text: str) -> None:
    assert re.search(pattern, text), "the example must match"
    needs = needs_of(pattern)
    assert _holds(text, needs), needs
    assert NeedsIndex(["p"], [needs]).possible(text) == ["p"]


def test_a_case_blind_pattern_needs_nothing() -> None:
    assert needs_of("(?i)abc") == NOTHING
    assert needs_of("abc", re.IGNORECASE) == NOTHING
    assert needs_of("x(?i:abc)") == (frozenset({"x"}),)


def test_the_index_is_built_only_after_many_fields() -> None:
    # a run of a few posts does not pay for building it (start-up); every rule is searched
    with RULES_PATH.open("rb") as f:
        book = parse_rules(tomllib.load(f))
    assert isinstance(book.index, LazyNeedsIndex)
    text = _field("Lovely sports day at the school today.")
    for _ in range(INDEX_AFTER):
        assert list(book.possible(text)) == list(book.rules)
    assert book.index._index is None
    assert len(book.possible(text)) < len(book.rules) / 3
    assert book.index._index is not None
