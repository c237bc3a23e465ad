"""The mention rules of docs/contract.md §3, case by case, and matching on any input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.matching import match_school
from analysis.normalize import normalise, normalise_phrase, tokens
from bench.identity import bench_batch
from schoolwatch.config import load_config

SCHOOLS = load_config(Path(__file__).parents[1] / "data/analysis/core_schools.toml")
WENNA = SCHOOLS.school("st-wennas-harrowby")
MORFA = SCHOOLS.school("ysgol-glan-morfa")

# (reason, title, text, local, mentions, kind, span texts)
CASES = [
    (
        "a configured name, exact",
        "",
        "Sports day at St Wenna's Harrowby today.",
        False,
        True,
        "name",
        ["St Wenna's Harrowby"],
    ),
    (
        "the full `name` counts as a name",
        "",
        "St Wenna's C of E Primary School, Harrowby wins",
        False,
        True,
        "name",
        ["St Wenna's C of E Primary School, Harrowby"],
    ),
    (
        "case and punctuation: 'St.' and no apostrophe",
        "",
        "ST. WENNAS HARROWBY fair",
        False,
        True,
        "name",
        ["ST. WENNAS HARROWBY"],
    ),
    (
        "'Saint' is 'St', curly apostrophe",
        "",
        "Saint Wenna’s Harrowby choir",
        False,
        True,
        "name",
        ["Saint Wenna’s Harrowby"],
    ),
    (
        "'C.E.' is 'CE'",
        "",
        "St Wenna's C.E. Primary sports",
        False,
        True,
        "name",
        ["St Wenna's C.E. Primary"],
    ),
    (
        "'C of E' is 'CE'",
        "",
        "St Wenna's C of E Primary sports",
        False,
        True,
        "name",
        ["St Wenna's C of E Primary"],
    ),
    (
        "'Church of England' is 'CE'",
        "",
        "St Wennas Church of England Primary",
        False,
        True,
        "name",
        ["St Wennas Church of England Primary"],
    ),
    (
        "accents do not matter",
        "",
        "Ŝt Wénna's Harrowby",
        False,
        True,
        "name",
        ["Ŝt Wénna's Harrowby"],
    ),
    (
        "a name in the title counts",
        "St Wenna's Harrowby news",
        "Nothing else here.",
        False,
        True,
        "name",
        ["St Wenna's Harrowby"],
    ),
    (
        "a hashtag runs a name together",
        "",
        "Proud! #StWennasHarrowby",
        False,
        True,
        "name",
        ["StWennasHarrowby"],
    ),
    (
        "ambiguous name without context: not on a national site",
        "",
        "St Wenna's is great",
        False,
        False,
        "none",
        [],
    ),
    (
        "ambiguous name with a context word elsewhere in the post",
        "Harrowby schools",
        "St Wenna's has a new hall",
        False,
        True,
        "ambiguous+context",
        ["St Wenna's"],
    ),
    (
        "ambiguous name with a multi-word context",
        "",
        "St Wenna's, up Quarry Lane",
        False,
        True,
        "ambiguous+context",
        ["St Wenna's"],
    ),
    (
        "ambiguous name on a local source needs no context",
        "",
        "wenna's is brilliant",
        True,
        True,
        "local:ambiguous",
        ["wenna's"],
    ),
    ("context word alone is not a mention", "", "Harrowby bin day moved", True, False, "none", []),
    (
        "a person on a local source",
        "",
        "Mrs Ellery's assembly was lovely",
        True,
        True,
        "local:person",
        [],
    ),
    (
        "a person on a national source is not enough",
        "",
        "Mrs Ellery's assembly was lovely",
        False,
        False,
        "none",
        [],
    ),
    (
        "word boundary: a longer word is not the name",
        "",
        "St Wennasville Harrowby show",
        False,
        False,
        "none",
        [],
    ),
    (
        "word boundary: a prefix is not the name",
        "",
        "Wennaby Harrowby fete",
        True,
        False,
        "none",
        [],
    ),
    (
        "only the excluded school: no mention even with context",
        "",
        "St Wenna's Catholic College, Harrowby won",
        False,
        False,
        "none",
        [],
    ),
    (
        "excluded school on a local source: no mention",
        "",
        "St Wenna's Catholic College open day",
        True,
        False,
        "none",
        [],
    ),
    (
        "excluded club contains an ambiguous name",
        "",
        "Wenna Valley Rugby Club in Harrowby",
        False,
        False,
        "none",
        [],
    ),
    (
        "both schools named: this one counts",
        "",
        "St Wenna's Catholic College and St Wenna's in Harrowby",
        False,
        True,
        "ambiguous+context",
        ["St Wenna's"],
    ),
    (
        "an excluded name never hides a full name",
        "",
        "St Wenna's Catholic College beat St Wenna's Harrowby",
        False,
        True,
        "name",
        ["St Wenna's Harrowby"],
    ),
    (
        "hyphens are boundaries: 'Glan Morfa' is 'Glan-Morfa'",
        "",
        "Ysgol Glan Morfa eisteddfod",
        False,
        True,
        "name",
        ["Ysgol Glan Morfa"],
    ),
    ("empty post", "", "", True, False, "none", []),
]


@pytest.mark.parametrize(
    ("reason", "title", "text", "local", "mentions", "kind", "spans"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_mention_rules(reason, title, text, local, mentions, kind, spans):
    school = MORFA if "Morfa" in text else WENNA
    m = match_school(school, title, text, local=local)
    assert (m.mentions, m.kind) == (mentions, kind), reason
    assert [s.text for s in m.spans] == spans, reason


def test_spans_point_into_the_original_field():
    title, text = "Open evening", "We visited ST. WENNA’S  Harrowby; Mr Tadd showed us round."
    m = match_school(WENNA, title, text, local=False)
    assert [(s.field, text[s.start : s.end]) for s in m.spans] == [
        ("text", "ST. WENNA’S  Harrowby")
    ]
    assert [(p.field, p.text) for p in m.people] == [("text", "Mr Tadd")]


def test_people_found_with_accents_and_possessive():
    m = match_school(WENNA, "", "Thanks to Senor Nunez's reading group", local=True)
    assert (m.mentions, m.kind) == (True, "local:person")
    assert [p.text for p in m.people] == ["Senor Nunez's"]


def test_ambiguous_inside_a_full_name_is_one_span():
    m = match_school(WENNA, "", "St Wenna's Harrowby", local=True)
    assert [s.text for s in m.spans] == ["St Wenna's Harrowby"]


def test_title_and_text_spans_are_marked_by_field():
    m = match_school(WENNA, "St Wenna's Harrowby", "Also St Wenna's.", local=False)
    assert [(s.field, s.start, s.end) for s in m.spans] == [("title", 0, 19), ("text", 5, 15)]


def test_config_change_is_seen_despite_the_cache():
    before = match_school(WENNA, "", "Harrowby Academy trip", local=False)
    renamed = WENNA.model_copy(update={"names": ["Harrowby Academy"]})
    after = match_school(renamed, "", "Harrowby Academy trip", local=False)
    assert (before.mentions, after.mentions) == (False, True)


@pytest.mark.parametrize(
    ("phrase", "normal"),
    [
        ("St. Aldric's", "st aldrics"),
        ("ST ALDRICS", "st aldrics"),
        ("Saint Aldric’s", "st aldrics"),
        ("C of E", "ce"),
        ("C.E.", "ce"),
        ("Church of England", "ce"),
        ("Ysgol Pen-y-Bryn", "ysgol pen y bryn"),
        ("Straße", "strasse"),
        ("Coffee", "coffee"),  # "c of e" only as whole words
        ("", ""),
    ],
)
def test_normalise_phrase(phrase, normal):
    assert normalise_phrase(phrase) == normal


def test_normalised_offsets_map_back():
    text = "Hi — Saint  Wenna’s, C.E.!"
    norm = normalise(text)
    assert norm.text == " hi st wennas ce "
    assert [text[s:e] for s, e in norm.offsets] == ["Hi", "Saint", "Wenna’s", "C.E"]


any_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Mn"]), max_size=100),
    st.text(alphabet="St Wenna's Harrowby C of E.’-#", max_size=200),
)


@settings(max_examples=150, deadline=None)
@given(title=any_text, text=any_text, local=st.booleans())
def test_any_text_gives_a_valid_match(title, text, local):
    m = match_school(WENNA, title, text, local=local)
    assert m.mentions == (m.kind != "none")
    for span in (*m.spans, *m.people):
        source = title if span.field == "title" else text
        assert 0 <= span.start < span.end <= len(source)
        assert source[span.start : span.end] == span.text


def _normalised_word_by_word(text: str) -> tuple[str, tuple, tuple]:
    """`normalise` as it was written before its faster form: `tokens`, one token at a time."""
    toks = tokens(text)
    starts, pos = [], 1
    for tok, _, _ in toks:
        starts.append(pos)
        pos += len(tok) + 1
    words = " ".join(tok for tok, _, _ in toks)
    return f" {words} " if words else " ", tuple((s, e) for _, s, e in toks), tuple(starts)


ascii_text = st.one_of(
    st.text(alphabet=st.characters(codec="ascii"), max_size=300),
    # apostrophes, underscores, and "c" that may start a variant ("c of e")
    st.text(alphabet="ab1 '`_-.Cc", max_size=60),
)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(any_text, ascii_text))
def test_normalise_is_the_word_by_word_form(text):
    # the faster form (the ASCII expression, offsets found with `str.find`, maps in C) must
    # give exactly the tokens, offsets and starts of the plain loop, on any text
    norm = normalise(text)
    assert (norm.text, norm.offsets, norm.token_starts) == _normalised_word_by_word(text)


def test_normalise_is_the_word_by_word_form_on_every_fixture_post():
    posts, _ = bench_batch()
    texts = [p.title for p in posts[:1000]] + [p.text for p in posts[:1000]]
    texts += ["C of E", "Church of England", "a c e", "café Ŵ", "O’Neill's", "x\u0301", "_a_b_"]
    for text in texts:
        norm = normalise(text)
        assert (norm.text, norm.offsets, norm.token_starts) == _normalised_word_by_word(text)


def test_a_megabyte_of_text():
    text = ("Lorem ipsum dolor sit amet, St Wenna’s Harrowby. " * 21_000)[:1_000_000]
    m = match_school(WENNA, "", text, local=False)
    assert m.mentions
    assert len(m.spans) > 20_000
