"""Sentiment scores the sentences that mention the school, not the whole post."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.sentiment import compound, sentiment
from schoolwatch.models import Span


def _span(text: str, phrase: str, field: str = "text") -> Span:
    start = text.index(phrase)
    return Span(field, start, start + len(phrase), phrase)  # type: ignore[arg-type]


def test_only_the_mentioning_sentence_counts():
    text = "The traffic this morning was awful and horrible. Ashby Green School is wonderful!"
    whole = compound(text)
    scoped = sentiment("", text, [_span(text, "Ashby Green School")])
    assert scoped == compound("Ashby Green School is wonderful!")
    assert scoped > 0.5 > whole


def test_no_span_scores_title_and_text():
    assert sentiment("Dreadful", "news today.", []) == compound("Dreadful news today.")


def test_a_span_in_the_title_scores_the_title():
    title = "Ashby Green School praised"
    text = "Parking outside is a terrible, awful mess."
    assert sentiment(title, text, [_span(title, "Ashby Green School", "title")]) == compound(title)


def test_a_span_across_an_abbreviation_keeps_both_halves():
    text = "Rain again. We love St. Ebba's so much. Buses were late and awful."
    got = sentiment("", text, [_span(text, "St. Ebba's")])
    assert got == compound("We love St. Ebba's so much.")


def test_sentences_split_on_line_breaks():
    text = "Ashby Green School fete\nthe car park was a disgusting nightmare"
    assert sentiment("", text, [_span(text, "Ashby Green School")]) == compound(
        "Ashby Green School fete"
    )


def test_empty_is_neutral():
    assert sentiment("", "", []) == 0.0


@settings(max_examples=100, deadline=None)
@given(title=st.text(max_size=200), text=st.text(max_size=2000), a=st.integers(0, 2000))
def test_any_text_scores_within_range(title, text, a):
    spans = [Span("text", min(a, len(text)), len(text), text[min(a, len(text)) :])]
    assert -1.0 <= sentiment(title, text, spans) <= 1.0


def test_a_megabyte_is_capped_and_fast():
    text = "Ashby Green School is lovely " * 40_000
    assert 0.0 < sentiment("", text, []) <= 1.0


def test_long_text_is_the_mean_of_its_chunks():
    good, bad = "The school is lovely and kind. " * 60, "The school is awful and cruel. " * 60
    assert compound(good) > 0.5
    assert compound(bad) < -0.5
    assert abs(compound(good + bad)) < 0.2
