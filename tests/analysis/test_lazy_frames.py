"""The threat frames are compiled on first use, part by part (`analysis.phrase_search`): that
must only save time. A frame's parts together find exactly what its whole expression finds;
a book that compiled nothing up front gives exactly the hits of one compiled in full; and a
frame that no text needed is never compiled."""

from __future__ import annotations

import json
import random
import threading
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import harm_normalize, threat
from analysis.harm_rules import RULES_PATH
from analysis.harm_text import fold
from analysis.phrase_search import PhraseSearch

with threat.FRAMES_PATH.open("rb") as _f:
    RAW = tomllib.load(_f)


def _fresh_book() -> threat.FrameBook:
    """A book as a new process loads it: nothing compiled yet."""
    return threat.parse_frames(RAW)


def _texts() -> list[str]:
    """Every example and not_example of every frame and counter, as `find` reads them."""
    frames = [*RAW["frames"], *RAW.get("counter", ())]
    raw = [t for f in frames for t in (*f.get("examples", ()), *f.get("not_examples", ()))]
    return [harm_normalize.for_rules(fold(t)) for t in raw]


TEXTS = _texts()


def _training_texts() -> list[str]:
    out = []
    for path in sorted((RULES_PATH.parent / "train").glob("*_posts.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(harm_normalize.for_rules(fold(json.loads(line)["text"])))
    return out


def _vocabulary() -> list[str]:
    """The frames file's slot entries and its phrases' plain words (texts full of hits)."""
    entries = [e for v in RAW["slots"].values() for e in v]
    words = [w for fr in RAW["frames"] for p in fr["phrases"] for w in p.split() if w.isalpha()]
    return sorted({*entries, *words, "xp", "xs", "the", ".", "!", "'"})


def _searches(book: threat.FrameBook) -> list[tuple[str, PhraseSearch]]:
    out = [("strong cue", book.strong_cue)]
    for f in (*book.frames, *book.counters):
        out.append((f"{f.name} phrases", f.pattern))
        if f.needs is not None:
            out.append((f"{f.name} needs", f.needs))
    return out


@pytest.fixture(scope="module")
def searches() -> list[tuple[str, PhraseSearch]]:
    return _searches(_fresh_book())


def _whole(search: PhraseSearch, text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    return [m.span() for m in search.whole.regex.finditer(text, lo, hi)]


def test_parts_find_what_the_whole_expression_finds_in_every_example(
    searches: list[tuple[str, PhraseSearch]],
) -> None:
    rng = random.Random(7)
    matched = 0
    for name, search in searches:
        for text in TEXTS:
            whole = _whole(search, text, 0, len(text))
            matched += bool(whole)
            assert search.spans(text) == whole, (name, text)
            first = search.whole.regex.search(text)
            assert search.first(text) == (first.span() if first else None), (name, text)
            lo = rng.randrange(len(text) + 1)
            hi = rng.randrange(lo, len(text) + 1)
            assert search.spans(text, lo, hi) == _whole(search, text, lo, hi), (name, text, lo)
    assert matched > 1000  # the examples do match: the comparison is not of empty lists


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=st.lists(st.sampled_from(_vocabulary()), min_size=1, max_size=14))
def test_parts_find_what_the_whole_expression_finds_in_generated_texts(
    searches: list[tuple[str, PhraseSearch]], words: list[str]
) -> None:
    text = harm_normalize.for_rules(fold(" ".join(words)))
    for name, search in searches:
        assert search.spans(text) == _whole(search, text, 0, len(text)), (name, text)


def test_a_phrase_that_can_match_nothing_is_searched_as_the_whole_expression() -> None:
    # "(very)" alone matches the empty string: the parts hand over to the whole expression
    search = PhraseSearch(["(very)", "kill*", "very bad"], {})
    for text in ["very bad", "kill them", "", "a very, killing"]:
        assert search.spans(text) == _whole(search, text, 0, len(text)), text


def test_windows_of_a_text_searched_by_every_search_in_turn(
    searches: list[tuple[str, PhraseSearch]],
) -> None:
    # why: each search's parts that could match a text are kept with the text, and a window
    # looks only at those: windows before the whole text, several windows and every search on
    # the same text in turn must each find what the whole expression finds there
    rng = random.Random(11)
    compared = 0
    for text in TEXTS[::3]:
        starts = [rng.randrange(len(text) + 1) for _ in range(3)]
        windows = [(lo, rng.randrange(lo, len(text) + 1)) for lo in starts]
        for name, search in searches:
            for lo, hi in [*windows, (0, len(text)), *windows]:
                assert search.spans(text, lo, hi) == _whole(search, text, lo, hi), (name, lo)
                compared += 1
    assert compared > 10_000


def test_a_new_search_gets_its_own_parts() -> None:
    # why: the kept parts are filed under the search's id; a search made after another was
    # dropped may get its address, and must not be given the dropped one's parts
    text = "i will kill him. then i will stab her"
    assert PhraseSearch(["kill him"], {}).spans(text) == [(7, 15)]
    for _ in range(50):
        assert PhraseSearch(["stab her"], {}).spans(text) == [(29, 37)]
        assert PhraseSearch(["kill him"], {}).spans(text) == [(7, 15)]


def test_what_a_text_holds_is_remembered_for_that_text_only() -> None:
    # why: the words a text holds are kept between searches of the same text; a window of it,
    # a second search, another text or another thread must each get their own right answer
    search = PhraseSearch(["kill him", "stab her"], {})
    text = "i will kill him. then lunch"
    assert search.spans(text) == [(7, 15)]
    assert search.spans(text, 16) == []  # a window without the words
    assert search.first(text, 0, 15) == (7, 15)
    assert search.spans("i will stab her") == [(7, 15)]  # another text: nothing carried over
    assert search.spans(text) == [(7, 15)]
    found: list[list[tuple[int, int]]] = []
    worker = threading.Thread(target=lambda: found.append(search.spans("stab her now")))
    worker.start()
    worker.join()
    assert found == [[(0, 8)]]
    assert search.spans(text) == [(7, 15)]


def _hits(book: threat.FrameBook, text: str) -> list[tuple[str, int, int, str | None]]:
    return [
        (h.frame.name, h.start, h.end, h.countered_by.name if h.countered_by else None)
        for h in threat.find(text, book, normalised=True)
    ]


def test_a_lazy_book_finds_what_a_fully_compiled_book_finds() -> None:
    lazy, eager = _fresh_book(), _fresh_book()
    eager.compile()
    assert all(f.compiled == f.pattern.parts for f in eager.frames)
    texts = [*TEXTS, *_training_texts()[::3]]  # a third of them: the bench checks all
    found = 0
    for text in texts:
        hits = _hits(lazy, text)
        found += bool(hits)
        assert hits == _hits(eager, text), text
        assert threat.cues(text, lazy, normalised=True) == threat.cues(text, eager, normalised=True)
    assert found > len(TEXTS) // 2 and len(texts) > 1000  # the texts do hold threats


def test_a_frame_no_text_needed_is_not_compiled() -> None:
    book = _fresh_book()
    assert not any(f.compiled for f in (*book.frames, *book.counters))
    threat.find(harm_normalize.for_rules(fold("Lovely nativity play, well done year 2!")), book)
    assert not any(f.compiled for f in book.frames)
    # one frame's own example compiles a part of that frame, and not every frame
    frame = next(f for f in book.frames if f.examples)
    threat.find(harm_normalize.for_rules(fold(frame.examples[0])), book)
    assert frame.compiled > 0
    assert any(f.compiled == 0 for f in book.frames)
    assert sum(f.compiled for f in book.frames) < sum(f.pattern.parts for f in book.frames)
