"""Undo the disguises people put on words, before the threat frames and the model read a post.

`for_rules` keeps every character's position (the output has the length of its input), so a
match on the normalised text is also a span of the original and can be shown as evidence:

- leetspeak and digit substitution inside words: "k1ll" -> "kill", "5t4b" -> "stab",
  "sh00t" -> "shoot" (only where a digit or symbol stands between letters, so "y10", "3pm",
  "4x4" and "2nd" stay as they are);
- spaced-out letters: "k i l l" -> "kill   ", "d.i.e" -> "die  "; where words are spaced out
  and kept apart by two spaces, every such word, however short: "d e a t h  t o  x" ->
  "death      to   x";
- short words written in leetspeak with the digit at the end or the start, from a fixed list:
  "th3" -> "the", "w3" -> "we", "1n" -> "in" (other digits at the ends stay: "y10", "3pm");
- stretched letters: "diiiie" -> "die   ", "killlll" -> "kill   " (a run of three or more of
  a letter becomes one, or two for letters often written double, the spaces after the word);
- emoji variation selectors, which follow a weapon emoji in some keyboards, become spaces;
- letters hidden by asterisks in a word of violence: "sh*nk" -> "shank", "k*ll" -> "kill"
  (`slang.toml`, `[starred]`; only when exactly one listed word fits).

For the trained model, `slang()` maps slang and dialect words to the plain word they mean
(`analysis/data/slang.toml`); `harm_text.features` reads every token through it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

SLANG_PATH = Path(__file__).resolve().parent / "data" / "slang.toml"

_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
# a word with a digit or symbol between two letters: the only words `_unleet` changes
_LEET_WORD = re.compile(r"[a-z0-9@$!]*[a-z][0-9@$!]+[a-z][a-z0-9@$!]*")
_LEET_INSIDE = re.compile(r"[a-z][0-9@$!]+[a-z]")  # a quick look first: most posts have none
_SPACED = re.compile(r"(?<![a-z0-9])(?:[a-z][ .\-_*]){2,}[a-z](?![a-z0-9])")
# a post that spaces out every letter and keeps its words apart with two spaces: each spaced
# word between two-space gaps (or the ends of a line) is one word, however short ("t o")
_SPACED_WORD = re.compile(r"(?:^|(?<=\s\s))(?:[a-z] )+[a-z](?=\s\s|\s*$)", re.M)
_SPACED_STYLE = re.compile(r"(?:[a-z] ){2,}[a-z]  |  (?:[a-z] ){2,}[a-z]")
# short words whose digit sits at an end, so `_LEET_WORD` cannot tell them from "y10": only
# these, where the word is certain
_LEET_SHORT = {
    "th3": "the",
    "w3": "we",
    "h3": "he",
    "sh3": "she",
    "1n": "in",
    "0n": "on",
    "0f": "of",
    "1t": "it",
    "th4t": "that",
    "wh0": "who",
    "g0": "go",
    "4r3": "are",
    "t0": "to",
    "0ut": "out",
}
_LEET_SHORT_WORD = re.compile(r"(?<![a-z0-9@$!])(?:" + "|".join(_LEET_SHORT) + r")(?![a-z0-9@$!])")


def _short_word(m: re.Match[str]) -> str:
    return _LEET_SHORT[m.group(0)]


_SELECTORS = str.maketrans({"\ufe0f": " ", "\u200d": " "})
_STARRED = re.compile(r"[a-z]+\*+[a-z]+")  # "sh*nk", "k*ll": letters hidden inside a word


def _unleet(m: re.Match[str]) -> str:
    word = m.group(0)
    letters = sum(c.isalpha() for c in word)
    # a digit or symbol between letters ("k1ll", "5t4b", "sh00t") marks leetspeak; digits only
    # at the ends are a time, an ordinal or a year group ("3pm", "2nd", "y10", "yr7")
    inner = word.strip("0123456789@$!")
    if letters < 2 or not any(c in _LEET for c in inner):
        return word
    core = word.rstrip("!")  # "die!!!": trailing exclamation marks are punctuation
    return "".join(_LEET.get(c, c) for c in core) + word[len(core) :]


# one-letter words that often stand beside a spaced-out word: "u k i l l", "k i l l u"
_LONE_FIRST = frozenset("iua")
_LONE_LAST = frozenset("u")


def _unspace(m: re.Match[str]) -> str:
    run = m.group(0)
    letters = run[::2]
    head = tail = ""
    if len(letters) >= 5 and letters[0] in _LONE_FIRST:
        head, run, letters = run[:2], run[2:], letters[1:]
    if len(letters) >= 5 and letters[-1] in _LONE_LAST:
        tail, run, letters = run[-2:], run[:-2], letters[:-1]
    return head + _squeezed(run) + tail


def _squeezed(run: str) -> str:
    """ "k i l l" -> "kill   ": the letters, then spaces for the length."""
    letters = run[::2]
    return letters + " " * (len(run) - len(letters))


def _unspace_word(m: re.Match[str]) -> str:
    return _squeezed(m.group(0))


_RUN = re.compile(r"([a-z])\1{2,}")
_DOUBLED = frozenset("lseotfprnmdgbcz")  # letters English often writes twice ("kill", "see")
_STRETCHED_WORD = re.compile(r"[a-z]*([a-z])\1{2,}[a-z]*")


def _unstretch(m: re.Match[str]) -> str:
    word = m.group(0)
    short = _RUN.sub(lambda r: r.group(1) * (2 if r.group(1) in _DOUBLED else 1), word)
    return short + " " * (len(word) - len(short))


def _unstar(m: re.Match[str]) -> str:
    word = m.group(0)
    fits = [w for w in starred().get(len(word), ()) if _fits(word, w)]
    return fits[0] if len(fits) == 1 else word


def _fits(starred_word: str, word: str) -> bool:
    return all(c == "*" or c == w for c, w in zip(starred_word, word, strict=True))


def for_rules(folded: str) -> str:
    """`folded` (lower case, see `harm_text.fold`) with disguises undone; same length."""
    text = folded
    if "*" in text:
        text = _STARRED.sub(_unstar, text)
    if "\ufe0f" in text or "\u200d" in text:
        text = text.translate(_SELECTORS)
    if _RUN.search(text):
        text = _STRETCHED_WORD.sub(_unstretch, text)
    if _LEET_INSIDE.search(text):
        text = _LEET_WORD.sub(_unleet, text)
    text = _LEET_SHORT_WORD.sub(_short_word, text)
    if " " in text or "." in text:
        if "  " in text and _SPACED_STYLE.search(text):
            text = _SPACED_WORD.sub(_unspace_word, text)
        text = _SPACED.sub(_unspace, text)
    return text


@lru_cache(maxsize=1)
def _slang_file() -> dict[str, Any]:
    """`slang.toml`, read once for all its lists."""
    with SLANG_PATH.open("rb") as f:
        return tomllib.load(f)


def _word(entry: str) -> str:
    """The word of a list entry "word = what it means"."""
    return entry.split("=", 1)[0].strip()


@lru_cache(maxsize=1)
def slang() -> dict[str, str]:
    """Slang or dialect word -> the plain word the model should read (from `slang.toml`)."""
    return {
        _word(entry): plain
        for plain, entries in _slang_file()["means"].items()
        for entry in entries
    }


@lru_cache(maxsize=1)
def worn_out_after() -> frozenset[str]:
    """The words after which "burnt out" means worn out (`slang.toml`, `[worn_out]`)."""
    return frozenset(map(_word, _slang_file().get("worn_out", {}).get("before", ())))


@dataclass(frozen=True)
class DidWords:
    """`slang.toml`, `[did]`: when "someone" reports what someone did."""

    who: frozenset[str]
    between: frozenset[str]
    past: frozenset[str]
    keep: frozenset[str]


@lru_cache(maxsize=1)
def did_words() -> DidWords:
    """The word lists that tell a report ("someone keyed his car") from a call to do it."""
    raw = _slang_file().get("did", {})
    return DidWords(
        *(frozenset(map(_word, raw.get(k, ()))) for k in ("who", "between", "past", "keep"))
    )


@lru_cache(maxsize=1)
def starred() -> dict[int, tuple[str, ...]]:
    """Length -> the words of violence a word with hidden letters may stand for (`slang.toml`,
    `[starred]`)."""
    out: dict[int, list[str]] = {}
    for word in map(_word, _slang_file().get("starred", {}).get("words", ())):
        out.setdefault(len(word), []).append(word)
    return {n: tuple(ws) for n, ws in out.items()}
