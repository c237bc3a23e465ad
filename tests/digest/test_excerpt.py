"""Excerpts with evidence marked: offsets trusted only when they agree with the text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from digest.excerpt import ELLIPSIS, clean, excerpt
from schoolwatch.models import Evidence


def ev(start: int, end: int, text: str, field: str = "text") -> Evidence:
    return Evidence("defamation", field, start, end, text)  # type: ignore[arg-type]


def test_marks_the_span_at_its_offsets():
    text = "Mr Haddon hit a child. Awful."
    assert excerpt(text, [ev(10, 21, "hit a child")], "text") == [
        ("Mr Haddon ", False),
        ("hit a child", True),
        (". Awful.", False),
    ]


def test_stale_offsets_fall_back_to_finding_the_text():
    text = "Edited: Mr Haddon hit a child."
    assert ("hit a child", True) in excerpt(text, [ev(10, 21, "hit a child")], "text")


def test_evidence_for_the_other_field_is_ignored():
    assert excerpt("abc", [ev(0, 1, "a", field="title")], "text") == [("abc", False)]


def test_long_posts_keep_a_window_around_each_span():
    text = "x" * 1000 + " the bad words " + "y" * 1000 + " more bad " + "z" * 1000
    a = text.index("bad words")
    b = text.index("more bad")
    segs = excerpt(text, [ev(a, a + 9, "bad words"), ev(b, b + 8, "more bad")], "text", context=20)
    marked = [t for t, m in segs if m]
    assert marked == ["bad words", "more bad"]
    assert [t.strip() for t, _ in segs].count(ELLIPSIS) == 3
    assert sum(len(t) for t, _ in segs) < 120


def test_clean_drops_controls_and_bidi_overrides():
    assert clean("Evil\u202eliveD\r\nBcc: x\x00") == "EvilliveD Bcc: x"
    assert clean("a" * 100, limit=10) == "aaaaaaaaa…"


@given(
    st.text(max_size=300),
    st.lists(
        st.tuples(st.integers(-5, 400), st.integers(-5, 400), st.text(max_size=20)), max_size=5
    ),
)
def test_any_evidence_never_crashes_and_marks_only_real_text(text, spans):
    evidence = [ev(s, e, t) for s, e, t in spans]
    segs = excerpt(text, evidence, "text")
    for seg, marked in segs:
        if marked:
            assert seg.strip() == "" or clean(seg) in clean(text)


def _marked(text: str, span: str) -> list[str]:
    start = text.index(span)
    return [t for t, m in excerpt(text, [ev(start, start + len(span), span)], "text") if m]


def test_marks_are_widened_to_whole_words():
    jumper = "£19.50 for a jumper with the logo on."
    assert _marked(jumper, "50 for a jumper") == ["£19.50 for a jumper"]
    homework = "a “mini project” every single weekend. I get that"
    assert _marked(homework, "every single week") == ["every single weekend"]
    assert _marked("She's a thief, and the school knows", "he's a thi") == ["She's a thief"]
    # a span already on word edges, punctuation included, is left alone
    assert _marked("He said “Little Donkey” twice", "“Little Donkey”") == ["“Little Donkey”"]


def test_excerpt_windows_do_not_cut_words():
    text = "word " * 100 + "the threatening bit" + " tail" * 100
    start = text.index("threatening")
    segs = excerpt(text, [ev(start, start + 11, "threatening")], "text", context=13)
    plain = [t for t, m in segs if t != ELLIPSIS]
    assert plain[0].split()[0] == "word" and plain[-1].split()[-1] == "tail"
