"""Threats as structure: the reviewed frames of `analysis/data/threat_frames.toml`.

A frame is one shape of threat (an intent, a wish of death, a report of a weapon, a veiled
hint through someone's home or car, arson, incitement, a condition, weapon emoji) written in
the phrase notation of `analysis.phrases`. A frame hit is set aside when counter-evidence
(sport, a game, an exam, the writer themself, a quotation, a news report, an everyday use of
the word) sits within a few words of it in the same sentence.

Pure: `find(text)` takes the folded text (`harm_text.fold`) with the school's people and
names replaced by `xp`/`xs` of the same length (`mask_targets`), and returns hits whose
offsets are offsets of the original text.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from analysis import harm_normalize, phrases
from analysis.harm_text import Target

FRAMES_PATH = Path(__file__).resolve().parent / "data" / "threat_frames.toml"

# how far (in characters) counter-evidence may sit from a frame hit, in the same sentence
COUNTER_REACH = 60
_SENTENCE_END = re.compile(r"[.!?\n]")


@dataclass(frozen=True, slots=True)
class Frame:
    name: str
    means: str
    pattern: re.Pattern[str]
    examples: tuple[str, ...]
    not_examples: tuple[str, ...]
    # one word or slot from each phrase that the phrase cannot match without: when none is in
    # the text, the frame is not tried (most posts carry no such word at all)
    anchor: re.Pattern[str]
    needs: re.Pattern[str] | None = None  # a further word the sentence must carry


@dataclass(frozen=True, slots=True)
class FrameHit:
    frame: Frame
    start: int
    end: int
    countered_by: Frame | None = None  # the counter-evidence that set it aside, if any


@dataclass(frozen=True, slots=True)
class FrameBook:
    frames: tuple[Frame, ...]
    counters: tuple[Frame, ...]
    strong_cue: re.Pattern[str]  # serious violence, a weapon, death: what a model-only threat needs
    version: str


# slots in the order they are preferred as a phrase's anchor (the rarer, the better)
_ANCHOR_SLOTS = ("weapon", "harm_strong", "bad_end", "wish", "i_will", "harm", "building")
_COMMON = frozenset(
    {
        "a",
        "an",
        "the",
        "and",
        "or",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "with",
        "it",
        "is",
        "be",
        "he",
        "she",
        "they",
        "we",
        "you",
        "i",
        "my",
        "his",
        "her",
        "their",
        "your",
        "me",
        "him",
        "them",
        "us",
        "if",
        "so",
        "do",
        "did",
        "got",
        "get",
        "go",
        "has",
        "have",
        "will",
        "would",
        "could",
        "should",
        "up",
        "out",
        "off",
        "one",
        "some",
        "any",
        "all",
        "no",
        "not",
        "this",
        "that",
        "who",
        "what",
        "when",
        "where",
        "why",
        "how",
        "just",
    }
)


def _anchor(phrase: str) -> str:
    toks = [t for t in phrase.split() if not t.startswith("..")]
    words = [
        t
        for t in toks
        if not t.startswith("{") and t not in _COMMON and (len(t) >= 3 or not t.isascii())
    ]
    if words:
        return max(words, key=len)
    for name in _ANCHOR_SLOTS:
        if "{" + name + "}" in toks:
            return "{" + name + "}"
    return toks[-1]


def _frame(raw: dict, slots: dict[str, str]) -> Frame:
    needs = raw.get("needs")
    needs_re = None
    if needs:
        alts = [slots[n] if n in slots else phrases.compile_phrase(n, slots) for n in needs]
        needs_re = re.compile(phrases.bounded("|".join(alts)))
    return Frame(
        name=raw["name"],
        means=raw["means"],
        pattern=re.compile(phrases.bounded(phrases.alternation(raw["phrases"], slots))),
        examples=tuple(raw.get("examples", ())),
        not_examples=tuple(raw.get("not_examples", ())),
        anchor=re.compile(
            phrases.bounded(phrases.alternation([_anchor(p) for p in raw["phrases"]], slots))
        ),
        needs=needs_re,
    )


def parse_frames(raw: dict) -> FrameBook:
    """Build a `FrameBook` from the TOML structure (exposed for tests of the data file)."""
    slots = phrases.compile_slots(raw["slots"])
    frames = tuple(_frame(f, slots) for f in raw["frames"])
    counters = tuple(_frame(c, slots) for c in raw.get("counter", ()))
    strong = ["die", "dies", "dead", "death", "kys", "cancer", *map(phrases._word, ["rape"])]
    strong_cue = re.compile(
        phrases.bounded("|".join([slots["harm_strong"], slots["weapon"], *strong]))
    )
    return FrameBook(frames, counters, strong_cue, str(raw.get("version", "1")))


@lru_cache(maxsize=1)
def load_frames(path: Path = FRAMES_PATH) -> FrameBook:
    """The shipped frames, read once."""
    with path.open("rb") as f:
        return parse_frames(tomllib.load(f))


def mask_targets(folded: str, targets: list[Target]) -> str:
    """`folded` with each named person as `xp` and the school as `xs`, padded to keep length."""
    if not targets:
        return folded
    out = []
    pos = 0
    for t in sorted(targets, key=lambda t: t.start):
        if t.start < pos or t.kind == "role":
            continue
        word = "xp" if t.kind == "person" else "xs"
        out.append(folded[pos : t.start])
        out.append(word + " " * (t.end - t.start - len(word)))
        pos = t.end
    out.append(folded[pos:])
    return "".join(out)


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    lo = 0
    for m in _SENTENCE_END.finditer(text, 0, start):
        lo = m.end()
    stop = _SENTENCE_END.search(text, end)
    return lo, (stop.start() if stop else len(text))


_QUOTED = re.compile(r"""(?:^|(?<=[\s:(]))(['"“])(?=\S)(.{3,300}?)(?:['"”])(?=[\s.,!?;:)]|$)""")


def _inside_quotes(text: str, start: int, end: int) -> bool:
    return any(m.start() <= start and end <= m.end() for m in _QUOTED.finditer(text))


def _counter(book: FrameBook, text: str, start: int, end: int) -> Frame | None:
    if _inside_quotes(text, start, end):
        return next((c for c in book.counters if c.name == "quote"), None)
    s_lo, s_hi = _sentence(text, start, end)
    lo, hi = max(s_lo, start - COUNTER_REACH), min(s_hi, end + COUNTER_REACH)
    window = text[lo:hi]
    for c in book.counters:
        if c.pattern.search(window):
            return c
    return None


def find(
    masked: str, book: FrameBook | None = None, *, counters: bool = True, normalised: bool = False
) -> list[FrameHit]:
    """Frame hits in `masked` (see the module docstring), countered ones included but marked.
    `normalised`: `masked` has been through `harm_normalize.for_rules` already."""
    book = book or load_frames()
    text = masked if normalised else harm_normalize.for_rules(masked)
    hits: list[FrameHit] = []
    for frame in book.frames:
        if not frame.anchor.search(text) or (frame.needs and not frame.needs.search(text)):
            continue
        for m in frame.pattern.finditer(text):
            if m.end() == m.start():
                continue
            if frame.needs is not None:
                s_lo, s_hi = _sentence(text, m.start(), m.end())
                if not frame.needs.search(text, s_lo, s_hi):
                    continue
            by = _counter(book, text, m.start(), m.end()) if counters else None
            hits.append(FrameHit(frame, m.start(), m.end(), by))
    return hits


def countered(masked: str, start: int, end: int, *, normalised: bool = False) -> Frame | None:
    """The counter-evidence that sets aside a threat found at `start:end` of `masked` by some
    other rule, if any."""
    text = masked if normalised else harm_normalize.for_rules(masked)
    return _counter(load_frames(), text, start, end)


def cues(masked: str, book: FrameBook | None = None, *, normalised: bool = False) -> bool:
    """Does the text carry a word of serious violence, a weapon or death that no
    counter-evidence sets aside? (A model-only threat needs one: a single common word never
    makes a threat.)"""
    book = book or load_frames()
    text = masked if normalised else harm_normalize.for_rules(masked)
    # a violent word used in sport, a game, a song, about oneself ... is no cue
    return any(
        _counter(book, text, m.start(), m.end()) is None for m in book.strong_cue.finditer(text)
    )
