"""VADER with its quadratic cost removed: identical scores, linear time.

vaderSentiment 3.3.2 lower-cases the whole word list again inside `_negation_check`,
`_special_idioms_check` and `_but_check`, up to three times per sentiment word, so a text's
cost grows with the square of its length (it was the slowest stage of the pipeline).
Here the lower-cased list is computed once per `polarity_scores` call and reused; the checks
are otherwise VADER's own code (MIT licence). `tests/analysis/test_vader.py` checks the scores
equal the original analyzer's on the labelled corpora and on arbitrary text.
"""

from __future__ import annotations

import threading

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    N_SCALAR,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    SentiText,
    negated,
)

_local = threading.local()


def _lowered(words: list[str]) -> list[str]:
    """`words` lower-cased, computed once per word list (per thread)."""
    cached = getattr(_local, "lowered", None)
    if cached is not None and cached[0] is words:
        return cached[1]
    low = [str(w).lower() for w in words]
    _local.lowered = (words, low)
    return low


class FastAnalyzer(SentimentIntensityAnalyzer):
    """`SentimentIntensityAnalyzer` whose helper checks share one lower-cased word list, which
    scores only the words in its lexicon (the others score 0 in VADER's own code too), and
    which skips VADER's character-by-character emoji pass when the text has no emoji."""

    def __init__(self) -> None:
        super().__init__()
        # VADER replaces single characters found in its emoji table by their description
        self._emoji_chars = frozenset(k for k in self.emojis if len(k) == 1)

    def polarity_scores(self, text: str) -> dict[str, float]:
        try:
            if self._emoji_chars.isdisjoint(text):
                return self._scores(text.strip())
            return self._scores(self._describe_emoji(text).strip())
        finally:
            _local.lowered = None  # never keep a reference to the last text's words

    def _describe_emoji(self, text: str) -> str:
        """VADER's emoji pass, unchanged in effect: each emoji becomes its description, set
        off by a space from a word before it (built as a list: VADER's string `+=` is slow)."""
        out: list[str] = []
        prev_space = True
        for ch in text:
            description = self.emojis.get(ch) if ch in self._emoji_chars else None
            if description is not None:
                if not prev_space:
                    out.append(" ")
                out.append(description)
                prev_space = False
            else:
                out.append(ch)
                prev_space = ch == " "
        return "".join(out)

    def _scores(self, text: str) -> dict[str, float]:
        """VADER's `polarity_scores` after its emoji pass (its own code, unchanged)."""
        sentitext = SentiText(text)
        sentiments: list[float] = []
        words_and_emoticons = sentitext.words_and_emoticons
        low = _lowered(words_and_emoticons)
        last = len(low) - 1
        for i, item in enumerate(words_and_emoticons):
            word = low[i]
            # a word outside the lexicon scores 0 (`sentiment_valence` adds nothing for it:
            # skipping the call is most of the saving), as do boosters and "kind" in "kind of"
            if (
                word not in self.lexicon
                or word in BOOSTER_DICT
                or (i < last and word == "kind" and low[i + 1] == "of")
            ):
                sentiments.append(0)
                continue
            sentiments = self.sentiment_valence(0, sentitext, item, i, sentiments)
        sentiments = self._but_check(words_and_emoticons, sentiments)
        return self.score_valence(sentiments, text)

    @staticmethod
    def _but_check(words_and_emoticons: list[str], sentiments: list[float]) -> list[float]:
        low = _lowered(words_and_emoticons)
        if "but" in low:
            bi = low.index("but")
            for sentiment in sentiments:
                si = sentiments.index(sentiment)
                if si < bi:
                    sentiments.pop(si)
                    sentiments.insert(si, sentiment * 0.5)
                elif si > bi:
                    sentiments.pop(si)
                    sentiments.insert(si, sentiment * 1.5)
        return sentiments

    @staticmethod
    def _special_idioms_check(valence: float, words_and_emoticons: list[str], i: int) -> float:
        low = _lowered(words_and_emoticons)
        onezero = f"{low[i - 1]} {low[i]}"
        twoonezero = f"{low[i - 2]} {low[i - 1]} {low[i]}"
        twoone = f"{low[i - 2]} {low[i - 1]}"
        threetwoone = f"{low[i - 3]} {low[i - 2]} {low[i - 1]}"
        threetwo = f"{low[i - 3]} {low[i - 2]}"
        for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
            if seq in SPECIAL_CASES:
                valence = SPECIAL_CASES[seq]
                break
        if len(low) - 1 > i:
            zeroone = f"{low[i]} {low[i + 1]}"
            if zeroone in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroone]
        if len(low) - 1 > i + 1:
            zeroonetwo = f"{low[i]} {low[i + 1]} {low[i + 2]}"
            if zeroonetwo in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroonetwo]
        for n_gram in (threetwoone, threetwo, twoone):
            if n_gram in BOOSTER_DICT:
                valence = valence + BOOSTER_DICT[n_gram]
        return valence

    @staticmethod
    def _negation_check(
        valence: float, words_and_emoticons: list[str], start_i: int, i: int
    ) -> float:
        low = _lowered(words_and_emoticons)
        if start_i == 0 and negated([low[i - 1]]):
            valence = valence * N_SCALAR
        if start_i == 1:
            if low[i - 2] == "never" and (low[i - 1] == "so" or low[i - 1] == "this"):
                valence = valence * 1.25
            elif low[i - 2] == "without" and low[i - 1] == "doubt":
                valence = valence
            elif negated([low[i - (start_i + 1)]]):
                valence = valence * N_SCALAR
        if start_i == 2:
            if (low[i - 3] == "never" and (low[i - 2] == "so" or low[i - 2] == "this")) or (
                low[i - 1] == "so" or low[i - 1] == "this"
            ):
                valence = valence * 1.25
            elif low[i - 3] == "without" and (low[i - 2] == "doubt" or low[i - 1] == "doubt"):
                valence = valence
            elif negated([low[i - (start_i + 1)]]):
                valence = valence * N_SCALAR
        return valence
