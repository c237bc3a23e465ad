"""The linear-time VADER gives exactly the original analyzer's scores."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from analysis.vader import FastAnalyzer

ORIGINAL = SentimentIntensityAnalyzer()
FAST = FastAnalyzer()
TRAIN = Path(__file__).resolve().parents[2] / "analysis" / "data" / "train"


def test_same_scores_on_every_training_post():
    texts = [
        json.loads(line)["text"]
        for path in sorted(TRAIN.glob("*_posts.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    assert len(texts) > 1000
    long = " ".join(texts[:40])  # negation, "but", idioms across a long text
    for text in [*texts, long]:
        assert FAST.polarity_scores(text) == ORIGINAL.polarity_scores(text), text


WORDS = st.sampled_from(
    [
        "not",
        "never",
        "so",
        "this",
        "but",
        "no",
        "good",
        "bad",
        "kind",
        "of",
        "the",
        "without",
        "doubt",
        "least",
        "at",
        "very",
        "HATE",
        "love",
        "yeah",
        "right",
        "bomb",
        "!",
        "?",
        ":)",
    ]
)


@given(st.lists(WORDS, max_size=40).map(" ".join) | st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_same_scores_on_any_text(text):
    assert FAST.polarity_scores(text) == ORIGINAL.polarity_scores(text)
