"""Choosing which threat frames to try (`Frame.worth_trying`, decided for all frames at once by
`FrameBook.frames_to_try`) only saves time: it never skips a frame that would have matched.
`threat.find` must give exactly the hits it gives when every frame is tried, on every training
post and on generated texts made of the frames' own words and slot phrases (where hits are
frequent); and the book's one pass must choose exactly the frames that asking each frame
chooses."""

from __future__ import annotations

import json
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import harm_normalize, threat
from analysis.harm_rules import RULES_PATH
from analysis.harm_text import fold

TRAIN = RULES_PATH.parent / "train"
BOOK = threat.load_frames()


def _every_frame(text: str) -> list[threat.FrameHit]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(threat.FrameBook, "frames_to_try", lambda self, present: list(self.frames))
        return threat.find(text)


def _each_frame_asked(text: str) -> list[threat.Frame]:
    present = threat._Present(text, BOOK)
    return [f for f in BOOK.frames if f.worth_trying(present)]


def _book_chooses(text: str) -> list[threat.Frame]:
    return BOOK.frames_to_try(threat._Present(text, BOOK))


def _training_texts() -> list[str]:
    out = []
    for path in sorted(TRAIN.glob("*_posts.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(fold(json.loads(line)["text"]))
    return out


def test_same_hits_as_trying_every_frame_on_training_posts() -> None:
    texts = _training_texts()
    assert len(texts) > 1000
    threats = 0
    tried = 0
    for text in texts:
        every = _every_frame(text)
        threats += bool(every)
        assert threat.find(text) == every, text
        chosen = _book_chooses(harm_normalize.for_rules(text))
        assert chosen == _each_frame_asked(harm_normalize.for_rules(text)), text
        tried += len(chosen)
    assert threats > 100  # the posts do hold threats: the comparison is not of empty lists
    assert 1000 < tried < len(texts) * len(BOOK.frames) / 4  # some frames chosen, most not


@pytest.mark.parametrize(
    "post",
    [
        "i know which car's yours and what time you leave.",  # a word before an apostrophe
        "we know where she lives y'know",
    ],
)
def test_a_word_beside_an_apostrophe_counts(post: str) -> None:
    text = fold(post)
    hits = threat.find(text)
    assert hits == _every_frame(text)
    assert hits, post  # the phrase is there: the comparison is not of empty lists


@pytest.mark.parametrize(
    "post",
    [
        "there are 3 devices in the building",  # a number ("#")
        "bring sumthing sharp, its going down",  # a choice ("something/sumthing/sumn")
        "*resharpening noises*",  # a word's ending ("*sharpening")
    ],
)
def test_numbers_choices_and_endings_in_a_phrase_are_looked_for_as_matched(post: str) -> None:
    text = fold(post)
    hits = threat.find(text)
    assert hits == _every_frame(text)
    assert hits, post


def test_a_frame_may_not_use_a_gap_across_sentences() -> None:
    raw = {"slots": {}, "frames": [{"name": "x", "means": "m", "phrases": ["know ~3 house"]}]}
    with pytest.raises(ValueError, match="'~' gaps"):
        threat.parse_frames(raw)


def _vocabulary() -> list[str]:
    """Words and phrases of the frames file: its slot entries and its phrases' plain words."""
    with threat.FRAMES_PATH.open("rb") as f:
        raw = tomllib.load(f)
    entries = [e for v in raw["slots"].values() for e in v]
    words = [w for fr in raw["frames"] for p in fr["phrases"] for w in p.split() if w.isalpha()]
    return sorted({*entries, *words, "xp", "xs", "the", "and", ".", "!", "'", "kill's"})


_TEXT = st.lists(st.sampled_from(_vocabulary()), min_size=1, max_size=12).map(" ".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(_TEXT, min_size=1, max_size=4))
def test_same_hits_as_trying_every_frame_on_generated_texts(texts: list[str]) -> None:
    for text in texts:
        text = harm_normalize.for_rules(fold(text))
        assert threat.find(text, normalised=True) == _every_frame(text), text
        assert _book_chooses(text) == _each_frame_asked(text), text


def test_the_prefilter_skips_most_frames_on_an_ordinary_post() -> None:
    # guards the speed-up itself: a prefilter that let every frame through would still pass
    text = fold("The Christmas performance was lovely and every child had a line to say.")
    present = threat._Present(text, BOOK)
    assert sum(f.worth_trying(present) for f in BOOK.frames) <= 2
    assert len(BOOK.frames_to_try(present)) <= 2
