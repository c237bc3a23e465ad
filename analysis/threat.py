"""Threats as structure: the reviewed frames of `analysis/data/threat_frames.toml`.

A frame is one shape of threat (an intent, a wish of death, a report of a weapon, a veiled
hint through someone's home or car, arson, incitement, a condition, weapon emoji) written in
the phrase notation of `analysis.phrases`. A frame hit is set aside when counter-evidence
(sport, a game, an exam, the writer themself, a quotation, a news report, an everyday use of
the word) sits within a few words of it in the same sentence, or when one of the frame's own
exceptions (its `unless` phrases) does. A `weak` frame is a signal for the model, never a
threat on its own (`analysis.harm` decides what a hit means).

Pure: `find(text)` takes the folded text (`harm_text.fold`) with the school's people and
names replaced by `xp`/`xs` of the same length (`mask_targets`), and returns hits whose
offsets are offsets of the original text.
"""

from __future__ import annotations

import re
import threading
import tomllib
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from analysis import collector, harm_normalize, phrases
from analysis.harm_text import Target
from analysis.lazy_regex import LazyRegex
from analysis.phrase_search import PhraseSearch, slot_clues

FRAMES_PATH = Path(__file__).resolve().parent / "data" / "threat_frames.toml"

# how far (in characters) counter-evidence may sit from a frame hit, in the same sentence
COUNTER_REACH = 60
_SENTENCE_ENDS = ".!?\n"
_SENTENCE_END = re.compile("[.!?\n]")


@dataclass(frozen=True, slots=True)
class Frame:
    name: str
    means: str
    # the frame's phrases, compiled part by part as texts first need each part (most frames are
    # never tried on most days: `worth_trying` decides that without them)
    pattern: PhraseSearch
    examples: tuple[str, ...]
    not_examples: tuple[str, ...]
    # the words of its phrases that end a sentence inside a phrase ("is a fire. a big one"):
    # where the text holds one, the sentence it ends runs on into the next (None: no such word)
    bridges: PhraseSearch | None = None
    # a phrase cannot match without every word and slot it names ("{harm}", "know", "kill*"):
    # each phrase's rarest requirement (its `_anchor`) -> the phrases' full requirements:
    # plain words looked up in one set intersection, the rest (slots, stems, emoji) one by one
    by_word: dict[str, tuple[_Needs, ...]] = field(default_factory=dict)
    by_other: dict[str, tuple[_Needs, ...]] = field(default_factory=dict)
    needs: PhraseSearch | None = None  # a further word the sentence must carry
    # this frame's own exceptions: a hit with one of them near it (same sentence) is set aside
    unless: LazyRegex | None = None
    # a weak frame (`strength = "weak"`) is a signal the model weighs, not a threat on its own
    weak: bool = False
    # a counter only: when the hit is aimed at one of these (a group: "them"), the counter
    # anywhere in the post sets it aside ("Sallowfield v Grange tonight. we'll batter them")
    post_wide_for: LazyRegex | None = None

    @property
    def compiled(self) -> int:
        """How many parts of the frame's `pattern` have been compiled (0: none was needed)."""
        return self.pattern.compiled

    def compile(self) -> None:
        """Compile every expression of the frame now (see `FrameBook.compile`)."""
        self.pattern.compile()
        if self.needs is not None:
            self.needs.compile()
        if self.bridges is not None:
            self.bridges.compile()
        for lazy in (self.unless, self.post_wide_for):
            if lazy is not None:
                lazy.compile()

    def worth_trying(self, present: _Present) -> bool:
        """Could any phrase match, given the words and slots the text holds?"""
        for key in self.by_word.keys() & present.words:
            if any(present.holds(needs) for needs in self.by_word[key]):
                return True
        # (a phrase's plain words are checked first, in one subset test; then its anchor, the
        # rarest thing it needs; its other slots are searched for only when both are there)
        return any(
            present.holds(needs) for all_needs in self.by_other.values() for needs in all_needs
        )


@dataclass(frozen=True, slots=True)
class _Needs:
    """Everything one phrase cannot match without: its plain words (checked all at once, as a
    subset of the text's words) and its other tokens (slots, stems, emoji: one look each)."""

    words: frozenset[str]
    others: tuple[str, ...]


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
    # serious violence, a weapon, death: what a model-only threat needs
    strong_cue: PhraseSearch
    version: str
    slot_patterns: dict[str, LazyRegex]  # each slot on its own, whole words
    # words just before a quotation that make it a report of what someone said or posted
    reported: LazyRegex | None = None
    # each slot's one-word phrases (apostrophes dropped): a text holding one of them as a
    # word holds the slot, without a regex search (the search still decides otherwise)
    slot_words: dict[str, frozenset[str]] = field(default_factory=dict)
    # `Frame.worth_trying` for every frame at once (`frames_to_try`): built from the frames
    _index: _FrameIndex = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", _FrameIndex(self.frames))

    def frames_to_try(self, present: _Present) -> list[Frame]:
        """The frames `Frame.worth_trying` says could match (in their order), decided for all
        of them in one pass over the text's words."""
        return self._index.to_try(self.frames, present)

    def compile(self) -> None:
        """Compile every expression now, as loading the book did before they were compiled on
        first use (the tests compare the two)."""
        for frame in (*self.frames, *self.counters):
            frame.compile()
        self.strong_cue.compile()
        for lazy in self.slot_patterns.values():
            lazy.compile(scanner=True)
        if self.reported is not None:
            self.reported.compile()


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


def _is_gap(token: str) -> bool:
    """ "...", "..6", "~8": words in between, nothing the text must hold."""
    return phrases.GAP.match(token) is not None


def _anchor(phrase: str) -> str:
    toks = [t for t in phrase.split() if not _is_gap(t)]
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


def _ends(token: str) -> bool:
    """Does a phrase's word end a sentence ("fire.", "in?")?"""
    return any(c in _SENTENCE_ENDS for c in token)


def _frame(
    raw: dict, slots: dict[str, str], clues: dict[str, frozenset[str]], shared: dict[str, LazyRegex]
) -> Frame:
    for phrase in raw["phrases"]:
        if any(t.startswith("~") and _is_gap(t) for t in phrase.split()):
            # a frame is searched one sentence at a time (`_frame_matches`)
            raise ValueError(
                f"frame {raw['name']!r}, phrase {phrase!r}: "
                "'~' gaps are for the harm rules; use '..N'"
            )
    needs = raw.get("needs")
    needs_re = None
    if needs:
        # only whether one of them is there counts, not which one: in any order
        alts = ["{" + n + "}" if n in slots else n for n in needs]
        needs_re = PhraseSearch(alts, slots, clues, shared)
    bridges = sorted({t for p in raw["phrases"] for t in p.split() if not _is_gap(t) and _ends(t)})
    return Frame(
        name=raw["name"],
        means=raw["means"],
        pattern=PhraseSearch(raw["phrases"], slots, clues, shared),
        bridges=PhraseSearch(bridges, slots, clues, shared) if bridges else None,
        examples=tuple(raw.get("examples", ())),
        not_examples=tuple(raw.get("not_examples", ())),
        by_word=_keyed(raw["phrases"], plain=True),
        by_other=_keyed(raw["phrases"], plain=False),
        needs=needs_re,
        unless=_phrase_pattern(raw.get("unless"), slots),
        weak=raw.get("strength", "strong") == "weak",
        post_wide_for=_phrase_pattern(raw.get("post_wide_for"), slots),
    )


def _phrase_pattern(phrase_list: list[str] | None, slots: dict[str, str]) -> LazyRegex | None:
    if not phrase_list:
        return None
    return LazyRegex(phrases.bounded(phrases.alternation(phrase_list, slots)))


def _plain(token: str) -> bool:
    return token.isascii() and token.replace("'", "").isalnum()


def _keyed(phrase_list: list[str], *, plain: bool) -> dict[str, tuple[_Needs, ...]]:
    out: dict[str, list[_Needs]] = {}
    for p in phrase_list:
        key = _anchor(p)
        if _plain(key) == plain:
            out.setdefault(key.replace("'", "") if plain else key, []).append(_requirements(p))
    return {k: tuple(v) for k, v in out.items()}


def _requirements(phrase: str) -> _Needs:
    toks = {t for t in phrase.split() if not _is_gap(t)}
    words = {t: w for t in toks if (w := _plain_word(t)) is not None}
    # the anchor first (the rarest), then stems and emoji (a scan of the text's words), slots
    # last (a regex search each)
    anchor = _anchor(phrase)
    others = sorted(toks - words.keys(), key=lambda t: (t != anchor, t.startswith("{"), t))
    return _Needs(frozenset(words.values()), tuple(others))


def _plain_word(token: str) -> str | None:
    """The word a text must hold for `token` to be there, when that is all it takes (not for
    a slot, a stem `kill*`, a word's ending `*ing`, or an emoji or symbol)."""
    if token.startswith("{"):
        return None
    word = token.replace("'", "")
    if word.isascii() and word.isalnum():
        return word
    return None


class _FrameIndex:
    """Every phrase of every frame (its `_Needs`), filed under one plain word it needs (its
    `by_word` key, or its longest plain word) or, needing none, in one tuple per frame:
    `to_try` looks each of the text's words up once for all frames, looks at a phrase only
    when the text holds its word, and stops looking at a frame once one of its phrases could
    match. (Asking each frame in turn intersects the text's words with each one's table and
    looks at every phrase filed under a slot, a stem or an emoji.)"""

    __slots__ = ("_by_word", "_keys", "_others")

    def __init__(self, frames: tuple[Frame, ...]) -> None:
        by_word: dict[str, list[tuple[int, _Needs]]] = {}
        others: list[tuple[int, tuple[_Needs, ...]]] = []
        for i, frame in enumerate(frames):
            for key, all_needs in frame.by_word.items():
                by_word.setdefault(key, []).extend((i, needs) for needs in all_needs)
            no_word = []
            for all_needs in frame.by_other.values():
                for needs in all_needs:
                    if needs.words:
                        key = max(sorted(needs.words), key=len)
                        by_word.setdefault(key, []).append((i, needs))
                    else:
                        no_word.append(needs)
            if no_word:
                others.append((i, tuple(no_word)))
        self._by_word = {key: tuple(v) for key, v in by_word.items()}
        self._keys = frozenset(by_word)
        self._others = tuple(others)

    def to_try(self, frames: tuple[Frame, ...], present: _Present) -> list[Frame]:
        words = present.words
        ok = [False] * len(frames)
        for key in self._keys & words:
            for i, needs in self._by_word[key]:
                if not ok[i] and needs.words <= words and all(map(present, needs.others)):
                    ok[i] = True
        for i, all_needs in self._others:
            if not ok[i] and any(all(map(present, needs.others)) for needs in all_needs):
                ok[i] = True
        return [frame for frame, yes in zip(frames, ok, strict=True) if yes]


_WORDS = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


class _Present:
    """Which words and slots a text holds, each looked up at most once."""

    def __init__(self, text: str, book: FrameBook) -> None:
        self.text = text
        self.book = book
        found = _WORDS.findall(text)
        # "car's" is "cars" to a phrase written without its apostrophe, and holds the whole
        # words "car" and "s" to the patterns (an apostrophe ends a word): all three count
        self.words = {w.replace("'", "") for w in found}
        self.words.update(part for w in found if "'" in w for part in w.split("'"))
        self.sorted_words: list[str] | None = None  # for stems, sorted on first use
        self.seen: dict[str, bool] = {}

    def holds(self, needs: _Needs) -> bool:
        """Does the text hold everything in `needs`?"""
        return needs.words <= self.words and all(map(self, needs.others))

    def __call__(self, token: str) -> bool:
        known = self.seen.get(token)
        if known is None:
            known = self.seen[token] = self._look(token)
        return known

    def _look(self, token: str) -> bool:
        kind, value = _token_kind(token)
        if kind is _SLOT:
            if not self.book.slot_words.get(value, frozenset()).isdisjoint(self.words):
                return True
            return self.book.slot_patterns[value].scanner.first(self.text) is not None
        if kind is _PLAIN:
            return value in self.words
        if kind is _ANY_WORD:  # a choice of plain words ("with/wi"): one of them will do
            return not value.isdisjoint(self.words)
        if kind is _CHOICE:  # a choice holding a stem, a slot or an emoji ("kill*/💀")
            return any(map(self, value))
        if kind is _NUMBER:  # a number ("y#", "#"): looked for as the phrase would match it
            return _number_token(token).search(self.text) is not None
        if kind is _CHARS:  # emoji, "£"
            return value in self.text
        return self._has_stem(value)

    def _has_stem(self, stem: str) -> bool:
        """Does a word of the text start with `stem`? (The first word not sorted before
        `stem` is the only one that needs a look.)"""
        if self.sorted_words is None:
            self.sorted_words = sorted(self.words)
        i = bisect_left(self.sorted_words, stem)
        return i < len(self.sorted_words) and self.sorted_words[i].startswith(stem)


# what `_Present` looks for, by the kind of token (`_token_kind`)
_SLOT, _PLAIN, _CHOICE, _ANY_WORD = "slot", "plain", "choice", "any word"
_NUMBER, _CHARS, _STEM = "number", "chars", "stem"


@lru_cache(maxsize=4096)
def _token_kind(token: str) -> tuple[str, Any]:
    """How a text is looked at for a phrase token, and for what: worked out once per token
    (the frames name a few hundred), not once per text."""
    if token.startswith("{"):
        return _SLOT, token[1:-1]
    word = _plain_word(token)
    if word is not None:
        return _PLAIN, word
    if "/" in token.strip("/"):
        choices = token.split("/")
        words = [_plain_word(c) for c in choices]
        if None not in words:  # plain words only: one set test
            return _ANY_WORD, frozenset(words)
        return _CHOICE, tuple(choices)
    if "#" in token:
        return _NUMBER, token
    word = token.replace("'", "")
    if not word.isascii() or not word.replace("*", "").isalnum() or "*" in word[:-1]:
        # (also a word's ending, `*ing`: looked for anywhere in the text, as an emoji is)
        return _CHARS, word.strip("*")
    return _STEM, word[:-1]


@lru_cache(maxsize=64)
def _number_token(token: str) -> re.Pattern[str]:
    """A phrase token holding a number ("y#", "#") as a whole word, compiled once."""
    return re.compile(phrases.bounded(phrases.compile_phrase(token, {})))


def _one_words(entries: list[str]) -> frozenset[str]:
    """A slot's phrases that are one plain word ("you", "i'll" as "ill")."""
    words = (e.replace("'", "") for e in entries)
    return frozenset(w for w in words if w.isascii() and w.isalnum() and w == w.lower())


def parse_frames(raw: dict) -> FrameBook:
    """Build a `FrameBook` from the TOML structure (exposed for tests of the data file)."""
    slots = phrases.compile_slots(raw["slots"])
    # each slot on its own, shared by the frames' parts that are that slot alone
    slot_patterns = {name: LazyRegex(phrases.bounded(body)) for name, body in slots.items()}
    clues = slot_clues(raw["slots"])
    frames = tuple(_frame(f, slots, clues, slot_patterns) for f in raw["frames"])
    counters = tuple(_frame(c, slots, clues, slot_patterns) for c in raw.get("counter", ()))
    # (whole words, so at most one of the words matches at a place, in any order)
    strong = ["{harm_strong}", "{weapon}", "die", "dies", "dead", "death", "kys", "cancer", "rape"]
    strong_cue = PhraseSearch(strong, slots, clues, slot_patterns)
    quote: dict[str, Any] = next((c for c in raw.get("counter", ()) if c["name"] == "quote"), {})
    reported = quote.get("reported")
    return FrameBook(
        frames,
        counters,
        strong_cue,
        str(raw.get("version", "1")),
        slot_patterns,
        LazyRegex(phrases.bounded(phrases.alternation(reported, slots))) if reported else None,
        {name: _one_words(entries) for name, entries in raw["slots"].items()},
    )


@lru_cache(maxsize=1)
def load_frames(path: Path = FRAMES_PATH) -> FrameBook:
    """The shipped frames, read once."""
    with path.open("rb") as f, collector.paused():
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
    """The bounds of the sentence around `start:end` (ends: . ! ? or a new line)."""
    lo = max(text.rfind(c, 0, start) for c in _SENTENCE_ENDS) + 1
    stops = [i for i in (text.find(c, end) for c in _SENTENCE_ENDS) if i >= 0]
    return lo, (min(stops) if stops else len(text))


_QUOTED = re.compile(r"""(?:^|(?<=[\s:(]))(['"“])(?=\S)(.{3,300}?)(?:['"”])(?=[\s.,!?;:)]|$)""")


# how far before a quotation a word may say that it reports what someone said ("saying '...'"),
# and how far after it ("the '...' message")
REPORT_REACH = 60
REPORT_AFTER = 12


def _quotation(text: str, start: int, end: int) -> re.Match[str] | None:
    """The quotation (in quotation marks) that holds `start:end`, if any."""
    return next((m for m in _QUOTED.finditer(text) if m.start() <= start and end <= m.end()), None)


def _reported(book: FrameBook, text: str, quote: re.Match[str]) -> bool:
    """Is this quotation a report of what someone said or posted ("a boy saying '...'")?"""
    if book.reported is None:
        return False
    s_lo, _ = _sentence(text, quote.start(), quote.start())
    lo = max(s_lo, quote.start() - REPORT_REACH)
    if book.reported.search(text, lo, quote.start()) is not None:
        return True
    return book.reported.search(text, quote.end(), quote.end() + REPORT_AFTER) is not None


def _counter(book: FrameBook, text: str, start: int, end: int) -> Frame | None:
    quote = _quotation(text, start, end)
    if quote is not None and not _reported(book, text, quote):
        return next((c for c in book.counters if c.name == "quote"), None)
    window = _near(text, start, end)
    for c in book.counters:
        if _counts(c, window):
            return c
    hit = text[start:end]
    for c in book.counters:
        if c.post_wide_for is not None and c.post_wide_for.search(hit) and _counts(c, text):
            return c
    return None


def _counts(counter: Frame, window: str) -> bool:
    """Does `counter` occur in `window`, other than inside one of its own `unless` phrases
    (the "match" in "put a match to it" is no sports match)?"""
    if counter.unless is None:
        return counter.pattern.first(window) is not None
    spared = [(m.start(), m.end()) for m in counter.unless.finditer(window)]
    return any(
        not any(lo <= start and end <= hi for lo, hi in spared)
        for start, end in counter.pattern.spans(window)
    )


def _near(text: str, start: int, end: int) -> str:
    """The text within `COUNTER_REACH` of `start:end`, in the same sentence."""
    s_lo, s_hi = _sentence(text, start, end)
    return text[max(s_lo, start - COUNTER_REACH) : min(s_hi, end + COUNTER_REACH)]


# a word or two in quotation marks inside a sentence ("he's going to 'deal with' her"): the
# marks do not break a phrase. Not after "a", "the", "his" ...: "bringing a 'weapon' in" (a
# toy) and "the 'kill list'" (a game's squad names) put the marks around a so-called thing.
_SO_CALLED_AFTER = ("a", "an", "the", "this", "that", "his", "her", "their", "my", "your", "our")
_SCARE_QUOTED = re.compile(
    r"""(?<![\w'"“])"""
    + "".join(rf"(?<!\b{word} )" for word in _SO_CALLED_AFTER)
    + r"""(['"“])([a-z][a-z\-]*(?: [a-z][a-z\-]*)?)(['"”])(?![\w'])"""
)


def unquoted(text: str) -> str:
    """`text` with the quotation marks of short scare quotes blanked; same length."""
    if "'" not in text and '"' not in text and "\u201c" not in text:
        return text
    # `find` and `cues` both ask for the same text: the latest answer is kept (per thread)
    last = getattr(_LAST_UNQUOTED, "pair", None)
    if last is not None and last[0] is text:
        return last[1]
    out = _SCARE_QUOTED.sub(lambda m: " " + m.group(2) + " ", text)
    _LAST_UNQUOTED.pair = (text, out)
    return out


_LAST_UNQUOTED = threading.local()


def find(
    masked: str, book: FrameBook | None = None, *, counters: bool = True, normalised: bool = False
) -> list[FrameHit]:
    """Frame hits in `masked` (see the module docstring), countered ones included but marked.
    `normalised`: `masked` has been through `harm_normalize.for_rules` already."""
    book = book or load_frames()
    quoted = masked if normalised else harm_normalize.for_rules(masked)
    # phrases are matched with scare quotes blanked; a quotation is judged with its marks
    text = unquoted(quoted)
    hits: list[FrameHit] = []
    present = _Present(text, book)
    for frame in book.frames_to_try(present):
        if frame.needs is not None and frame.needs.first(text) is None:
            continue
        for start, end in _frame_matches(frame, text):
            if frame.needs is not None:
                s_lo, s_hi = _sentence(text, start, end)
                if frame.needs.first(text, s_lo, s_hi) is None:
                    continue
            if frame.unless is not None and frame.unless.search(_near(text, start, end)):
                continue  # one of the frame's own exceptions
            by = _counter(book, quoted, start, end) if counters else None
            hits.append(FrameHit(frame, start, end, by))
    return hits


def _frame_matches(frame: Frame, text: str) -> list[tuple[int, int]]:
    """`frame.pattern`'s matches, searched sentence by sentence (a phrase runs past the end of
    a sentence only through one of the frame's `bridges`). Each search first asks which of the
    pattern's parts the sentence holds the words for, so most sentences cost no regular
    expression at all: on the bench fixture's 10,000 fields, half the time of first searching
    the text for the phrases' rarest words and then only the sentences that hold one."""
    stops = [m.start() for m in _SENTENCE_END.finditer(text)]
    if stops and frame.bridges is not None:
        inside = {i for a, b in frame.bridges.spans(text) for i in range(a, b)}
        stops = [i for i in stops if i not in inside]
    out: list[tuple[int, int]] = []
    lo = 0
    for hi in (*stops, len(text)):
        if hi > lo:
            out.extend(span for span in frame.pattern.spans(text, lo, hi) if span[1] > span[0])
        lo = hi + 1
    return out


def cues(masked: str, book: FrameBook | None = None, *, normalised: bool = False) -> bool:
    """Does the text carry a word of serious violence, a weapon or death that no
    counter-evidence sets aside? (A model-only threat needs one: a single common word never
    makes a threat.)"""
    book = book or load_frames()
    quoted = masked if normalised else harm_normalize.for_rules(masked)
    # a violent word used in sport, a game, a song, about oneself ... is no cue
    spans = book.strong_cue.spans(unquoted(quoted))
    return any(_counter(book, quoted, start, end) is None for start, end in spans)
