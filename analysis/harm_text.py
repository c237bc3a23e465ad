"""Text preparation shared by the harm rules, the harm model and its training script.

Everything here keeps character offsets: `fold` returns a string of exactly the same length as
its input, so a regex match on the folded text is also a span of the original text.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from analysis import harm_normalize
from schoolwatch.config import SchoolConfig

# Apostrophe and quote look-alikes all become ASCII so patterns need only one form.
_APOSTROPHES = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"}
_DASHES = {"\u2013": "-", "\u2014": "-", "\u2212": "-"}


def _fold_char(c: str) -> str:
    c = _APOSTROPHES.get(c) or _DASHES.get(c) or c
    low = c.lower()
    if len(low) == 1:
        c = low
    # accents off ("Tŷ" -> "ty") only when that keeps one character for one
    if not c.isascii():
        base = unicodedata.normalize("NFKD", c)[:1]
        if base.isascii() and base.isalpha():
            return base
    return c


def fold(text: str) -> str:
    """Lower-cased, accent- and apostrophe-folded text of exactly the same length."""
    if text.isascii():
        return text.lower().replace("`", "'")
    # str.translate over the post's distinct characters: C speed, one entry per character
    return text.translate({ord(c): _fold_char(c) for c in set(text)})


@dataclass(frozen=True, slots=True)
class Target:
    """Where the post names someone or something it could be aimed at."""

    start: int
    end: int
    kind: str  # "person", "school" or "role"


def _name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    alts = sorted({fold(n).strip() for n in names if len(n.strip()) >= 2}, key=len, reverse=True)
    if not alts:
        return None
    body = "|".join(re.escape(a).replace(r"\ ", r"[\s.\-]+") for a in alts)
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?:'s)?(?![a-z0-9])")


@dataclass(frozen=True, slots=True)
class SchoolPatterns:
    person: re.Pattern[str] | None
    school: re.Pattern[str] | None


_TITLES = {"mr", "mrs", "miss", "ms", "dr", "mx", "sir"}


def _person_names(school: SchoolConfig) -> list[str]:
    out: list[str] = []
    for p in school.people:
        out.append(p.name)
        out.extend(p.aliases)
        parts = p.name.split()
        # surname alone ("Crowther at Moorside") is how posters usually name staff
        if len(parts) >= 2 and len(parts[-1]) >= 3:
            out.append(parts[-1])
    return [n for n in out if fold(n).strip() not in _TITLES]


@lru_cache(maxsize=256)
def _school_patterns(key: tuple[tuple[str, ...], tuple[str, ...]]) -> SchoolPatterns:
    people, schools = key
    return SchoolPatterns(person=_name_pattern(people), school=_name_pattern(schools))


def school_patterns(school: SchoolConfig) -> SchoolPatterns:
    """Compiled name patterns for one school's people and names (cached per configuration)."""
    schools = [school.name, *school.names, *school.ambiguous_names]
    return _school_patterns((tuple(_person_names(school)), tuple(schools)))


def find_names(folded: str, school: SchoolConfig) -> list[Target]:
    """Spans naming the school's people or the school itself, in text order."""
    pats = school_patterns(school)
    found: list[Target] = []
    taken: list[tuple[int, int]] = []
    for kind, pat in (("person", pats.person), ("school", pats.school)):
        if pat is None:
            continue
        for m in pat.finditer(folded):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append(Target(m.start(), m.end(), kind))
    found.sort(key=lambda t: t.start)
    return found


def mask_names(folded: str, targets: Iterable[Target]) -> str:
    """Replace named people and the school by placeholder words so a model learns the shape of
    a post rather than one school's names."""
    out: list[str] = []
    pos = 0
    for t in sorted(targets, key=lambda t: t.start):
        if t.start < pos or t.kind == "role":
            continue
        out.append(folded[pos : t.start])
        out.append(" xperson " if t.kind == "person" else " xschool ")
        pos = t.end
    out.append(folded[pos:])
    return "".join(out)


_TOKEN = re.compile(r"[a-z0-9]+(?:[*@#$!']+[a-z0-9]+)*\**|[^\w\s.,;:\"'()\[\]\-/&+=%<>]")
_MASK = re.compile(r"[*@#$]")


def tokens(masked_text: str) -> list[str]:
    """Word tokens (masked words like `p*ki` kept whole) plus emoji and symbols one by one."""
    return _TOKEN.findall(masked_text)


def _worn_out(toks: list[str]) -> list[str]:
    """`toks` with "burnt"/"burned" read as "burnout" where it says someone is worn out: right
    after a word that says how someone is or feels (`slang.toml`, `[worn_out]`)."""
    if "out" not in toks or ("burnt" not in toks and "burned" not in toks):
        return toks  # (most posts: no list copied, no loop)
    worn = harm_normalize.worn_out_after()
    out = list(toks)
    for i in range(1, len(out) - 1):
        if out[i] in ("burnt", "burned") and out[i + 1] == "out" and out[i - 1] in worn:
            out[i] = "burnout"
    return out


def _someone_did(toks: list[str]) -> list[str]:
    """`toks` with "someone" read as "someone-did" where a verb in the past tense follows it
    ("someone keyed his car": a report, not a call to do it; `slang.toml`, `[did]`)."""
    words = harm_normalize.did_words()
    if words.who.isdisjoint(toks):
        return toks  # (most posts: no list copied, no loop)
    out = list(toks)
    for i, tok in enumerate(toks):
        if tok not in words.who:
            continue
        j = i + 1
        while j < len(toks) and j <= i + 3 and toks[j] in words.between:
            j += 1
        verb = toks[j] if j < len(toks) else ""
        past = verb in words.past or (len(verb) >= 5 and verb.endswith("ed"))
        if past and verb not in words.keep:
            out[i] = "someone-did"
    return out


def features(
    masked_text: str, concepts: dict[str, str] | None = None, *, toks: list[str] | None = None
) -> list[str]:
    """The model's features: unigrams, bigrams and a few shape markers. Used by training and
    by run-time scoring alike, so the two cannot drift apart. With `concepts` (word -> class),
    words of a class also count as their class, and bigrams are formed over classes.
    `toks`, if given, must be `tokens(masked_text)` (saves tokenising twice)."""
    if toks is None:
        toks = tokens(masked_text)
    # slang and dialect read as the plain word they mean ("shank" -> "stab"): what the model
    # learns from one spelling carries over to the others
    table = harm_normalize.slang()
    toks = _someone_did(_worn_out([table.get(t, t) for t in toks]))
    feats = list(toks)
    if concepts:
        classed = [concepts.get(t, t) for t in toks]
        feats.extend(c for c in classed if c.startswith("@"))
        feats.extend(f"{a} {b}" for a, b in itertools.pairwise(classed))
        feats.extend(
            f"{a} {b}"
            for (a, b), (ca, cb) in zip(
                itertools.pairwise(toks), itertools.pairwise(classed), strict=True
            )
            if (a, b) != (ca, cb)
        )
    else:
        feats.extend(f"{a} {b}" for a, b in itertools.pairwise(toks))
    # (a token with a mask character needs one in the text: most texts have none)
    if _MASK.search(masked_text) and any(_MASK.search(t) and t[0].isalpha() for t in toks):
        feats.append("#masked")
    return feats
