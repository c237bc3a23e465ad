"""Decides a post's harm categories and the evidence for each (docs/contract.md §4).

Reviewable parts: the threat frames in `analysis/data/threat_frames.toml` (`analysis.threat`),
the rules in `analysis/data/harm_rules.toml` (slurs, phone numbers, ...; a `strong` rule
decides on its own and gives the evidence span) and a linear model over n-grams in
`analysis/data/harm_model.bin` (trained by `analysis/train_harm.py` on the labelled training
schools) that catches what no rule names.
When only the model fires, the evidence is the sentence that carries most of its weight, and
the reason lists the words that weighed most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from analysis import harm_features, harm_normalize, harm_text, threat
from analysis.harm_model import HarmModel, load_model
from analysis.harm_rules import Hit, Rule, RuleBook, find_hits, load_rules
from analysis.lazy_regex import LazyRegex
from schoolwatch.config import SchoolConfig
from schoolwatch.models import CATEGORIES, Evidence, Span

HARM_VERSION = "harm-21"

# Posts longer than this are judged on their first part: keeps one huge page from stalling
# a run while any realistic post (a few thousand characters) is read whole.
MAX_CHARS = 20_000

Field = Literal["title", "text"]


@dataclass(frozen=True, slots=True)
class HarmResult:
    categories: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    # category -> calibrated probability that it is right (see `HarmModel.confidence`)
    confidence: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _FieldView:
    field: Field
    original: str
    folded: str
    hits: tuple[Hit, ...]
    names: tuple[harm_text.Target, ...] = ()  # where it names the school's people or the school
    frames: tuple[threat.FrameHit, ...] = ()  # threat frames (countered ones marked)
    threat_cue: bool = False  # serious violence, a weapon or death is mentioned at all
    masked: str = ""  # `folded` with the school's people as "xp" and the school as "xs"


def assess_harm(
    title: str, text: str, school: SchoolConfig, matched: tuple[Span, ...], *, local: bool = False
) -> HarmResult:
    """Categories (in `schoolwatch.models.CATEGORIES` order) and one or more evidence spans each.

    `matched` are the spans naming the school or its people (from `analysis.matching`);
    `local` says the source is a local site. Never raises on odd text: any string gets an answer.
    """
    return classify(title, text, school, matched, local=local, model=load_model())


def classify(
    title: str,
    text: str,
    school: SchoolConfig,
    matched: tuple[Span, ...],
    *,
    local: bool = False,
    model: HarmModel,
    book: RuleBook | None = None,
) -> HarmResult:
    """`assess_harm` with the model (and rule book) given: used by cross-validation."""
    book = book or load_rules()
    views, feats = _prepare(title, text, school, book)
    hits = [(v, h) for v in views for h in v.hits]
    # what [require] may ask for: the model's features and every rule that fired (cue-only
    # rules, `feature = false`, are seen here but never by the model)
    cues = set(feats) | {f"#rule:{h.rule.name}" for _, h in hits}
    probs = model.probabilities(feats)
    targeted = _targeted(views, school, book)
    signals = {h.rule.category for _, h in hits}
    ruled = _ruled(views, targeted)
    chosen: list[str] = []
    for cat in CATEGORIES:
        if cat == "complaint" and chosen:
            continue
        combined = (
            cat == "harassment"
            and targeted
            and any(c in chosen for c in book.harassment_when_targeted)
        )
        p = probs.get(cat, 0.0)
        cued = _cued(cat, cues, book, chosen, p)
        if cat == "threat" and "#threat_cue" not in cues:
            # no word of serious violence, a weapon or death: the model must be surer
            p = p if p >= book.thresholds.get("threat_without_cue", 1.0) else 0.0
        if cat in ruled or combined or (cued and _model_says(cat, p, signals, book)):
            chosen.append(cat)
    evidence: list[Evidence] = []
    for cat in chosen:
        evidence.extend(_evidence(cat, hits, views, model, feats, book))
    confidence = {
        cat: round(model.confidence(cat, probs.get(cat, 0.0), cat in ruled), 3) for cat in chosen
    }
    return HarmResult(tuple(chosen), tuple(evidence), confidence)


def _ruled(views: list[_FieldView], targeted: bool) -> set[str]:
    """Categories a reviewed rule or threat frame sets on its own (without the model)."""
    out = {
        h.rule.category
        for v in views
        for h in v.hits
        if h.rule.strong and (targeted or not h.rule.needs_target)
    }
    if any(f.countered_by is None and not f.frame.weak for v in views for f in v.frames):
        out.add("threat")
    return out


def post_signals(title: str, text: str, school: SchoolConfig) -> tuple[list[str], set[str]]:
    """For training: the model's features of a post, and the categories rules set on it."""
    book = load_rules()
    views, feats = _prepare(title, text, school, book)
    return feats, _ruled(views, _targeted(views, school, book))


def post_features(title: str, text: str, school: SchoolConfig) -> list[str]:
    """The model's features of a post (for training: exactly what scoring computes)."""
    return _prepare(title, text, school, load_rules())[1]


def _prepare(
    title: str, text: str, school: SchoolConfig, book: RuleBook
) -> tuple[list[_FieldView], list[str]]:
    title, text = title[:MAX_CHARS], text[:MAX_CHARS]
    fields: tuple[tuple[Field, str], ...] = (("title", title), ("text", text))
    views = [_view(f, s, book, school) for f, s in fields if s]
    # only weak rules are model features: a strong rule decides on its own, and a model that
    # leant on it would learn too little from the words to catch what no rule names
    names = tuple(
        sorted({h.rule.name for v in views for h in v.hits if not h.rule.strong and h.rule.feature})
    )
    prepared = [(v.folded, list(v.names)) for v in views]
    feats = harm_features.model_features(title, text, school, names, book, prepared=prepared)
    feats.extend(_threat_features(views))
    return views, feats


def _threat_features(views: list[_FieldView]) -> list[str]:
    out = set()
    for v in views:
        if v.threat_cue:
            out.add("#threat_cue")
        for f in v.frames:
            if f.frame.weak:
                # a signal only; set aside by counter-evidence like any frame hit
                if not f.countered_by:
                    out.add(f"#signal:{f.frame.name}")
                continue
            out.add("#countered" if f.countered_by else f"#frame:{f.frame.name}")
            if not f.countered_by:
                out.add("#frame")
    return sorted(out)


# --- internals -------------------------------------------------------------------------

_NAME = re.compile(
    r"(?<![\w'])([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\s([A-Z][a-z']+(?:-[A-Z][a-z]+)?)(?![\w])"
)
_NOT_FIRST_NAMES = {
    "the",
    "our",
    "my",
    "mr",
    "mrs",
    "miss",
    "ms",
    "dr",
    "st",
    "saint",
    "year",
    "this",
    "that",
    "his",
    "her",
    "their",
    "your",
    "dear",
    "hi",
    "oh",
    "a",
    "an",
    "in",
    "on",
    "at",
    "to",
    "of",
    "and",
    "but",
    "if",
    "when",
    "why",
    "what",
    "who",
    "how",
    "is",
    "it",
    "its",
    "we",
    "they",
    "he",
    "she",
    "you",
    "i",
    "so",
    "no",
    "yes",
    "not",
    "just",
    "mum",
    "dad",
    "sir",
}
# capitalised words that make a pair look like a name but belong to places and institutions
_NOT_NAMES = {
    "school",
    "academy",
    "high",
    "primary",
    "junior",
    "juniors",
    "infants",
    "college",
    "council",
    "police",
    "trust",
    "learning",
    "road",
    "street",
    "lane",
    "close",
    "avenue",
    "park",
    "centre",
    "church",
    "hall",
    "club",
    "ofsted",
    "year",
    "class",
    "reception",
    "nursery",
    "team",
    "group",
    "news",
    "gazette",
    "examiner",
    "times",
    "post",
    "herald",
    "echo",
    "mail",
    "chronicle",
    "emailed",
    "called",
    "rang",
    "asked",
    "told",
    "met",
    "saw",
    "thanks",
    "thank",
    "well",
    "great",
    "good",
    "lovely",
    "happy",
    "merry",
    "christmas",
    "easter",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "england",
    "scotland",
    "wales",
    "ireland",
    "britain",
    "london",
    "ysgol",
    "county",
    "city",
    "local",
    "authority",
    "department",
    "service",
    "services",
    "board",
    "governors",
    "pta",
    "sen",
    "senco",
    "head",
    "deputy",
    "headteacher",
    "miss",
    "sir",
    "lady",
    "lord",
    "saint",
}
_NAMED_CHILD = Rule(
    name="personal_data.named_child",
    category="personal_data",
    strong=True,
    pattern=LazyRegex("(?!)"),
    unless=None,
    reason="names a pupil together with private details",
    needs_target=False,
)


def _view(field: Field, original: str, book: RuleBook, school: SchoolConfig) -> _FieldView:
    # disguises undone (leetspeak, spaced and stretched letters), positions kept
    folded = harm_normalize.for_rules(harm_text.fold(original))
    names = harm_text.find_names(folded, school)
    hits = _drop_school_address(find_hits(book, folded), folded, school)
    hits.extend(_named_child_hits(original, folded, book, school, names))
    masked = threat.mask_targets(folded, names)
    frames = tuple(threat.find(masked, normalised=True))
    cue = threat.cues(masked, normalised=True)
    return _FieldView(field, original, folded, tuple(hits), tuple(names), frames, cue, masked)


def _model_says(cat: str, p: float, signals: set[str], book: RuleBook) -> bool:
    if p < book.thresholds.get(cat, 0.5):
        return False
    vetoed = any(s in signals for s in book.vetoes.get(cat, ()))
    return not vetoed or p >= book.veto_above


def _cued(cat: str, cues: set[str], book: RuleBook, chosen: list[str], p: float) -> bool:
    """Does the post carry one of the cues a model-only `cat` (model probability `p`) needs
    (rules file `[require]`, and `[require.beside]` when a more serious category was already
    chosen)? Without its `[require]` cue, a category may still be set when the model is as
    sure as the rules file's `<category>_without_cue` threshold asks (none: never)."""
    if cat == "threat":
        # a model-only threat is not one that counter-evidence (sport, a game, an exam, the
        # writer themself, a quotation, a news report) sets aside, unless the model is very sure
        # (`threat_despite_counter`); without a word of serious violence, a weapon or death the
        # model must also be surer (`threat_without_cue`)
        return "#countered" not in cues or p >= book.thresholds.get("threat_despite_counter", 1.0)
    needed = book.requires.get(cat, ())
    sure = p >= book.thresholds.get(cat + "_without_cue", 1.0)
    if needed and not any(f in cues for f in needed) and not sure:
        return False
    for first in chosen:
        extra = book.requires_beside.get(first, {}).get(cat)
        if extra and not any(f in cues for f in extra):
            return False
    return True


def _targeted(views: list[_FieldView], school: SchoolConfig, book: RuleBook) -> bool:
    """Does the post name or point at an identifiable person?"""
    for v in views:
        if any(t.kind == "person" for t in v.names):
            return True
        if book.first("roles", v.folded) or any(h.rule is _NAMED_CHILD for h in v.hits):
            return True
    return False


def _drop_school_address(hits: list[Hit], folded: str, school: SchoolConfig) -> list[Hit]:
    # the school's own street (a `context` word such as "Cragg Lane") is public, not private
    if not any(h.rule.name == "personal_data.address" for h in hits):
        return hits  # nothing to drop (and no need to fold the school's words)
    places = [harm_text.fold(c) for c in school.context if len(c) > 3]
    if not places:
        return hits
    return [
        h
        for h in hits
        if h.rule.name != "personal_data.address"
        or not any(p in folded[h.start : h.end] for p in places)
    ]


def _named_child_hits(
    original: str,
    folded: str,
    book: RuleBook,
    school: SchoolConfig,
    names: list[harm_text.Target],
) -> list[Hit]:
    """A full name that is not staff, placed as a pupil, in a post carrying private details.
    `names` are `harm_text.find_names(folded, school)`."""
    if not book.first("sensitive", folded):
        return []
    known = [(t.start, t.end) for t in names]
    known_words = {w.lower() for n in (*school.context, *school.all_names) for w in n.split()}
    out = []
    for m in _NAME.finditer(original):
        first, last = m.group(1).lower(), m.group(2).lower().removesuffix("'s")
        if first in _NOT_FIRST_NAMES or first in _NOT_NAMES or last in _NOT_NAMES:
            continue
        if first in known_words or last in known_words:
            continue
        if any(m.start() < e and s < m.end() for s, e in known):
            continue
        window = folded[max(0, m.start() - 60) : m.end() + 60]
        if book.first("pupil", window) or folded.startswith("'s", m.end()):
            out.append(Hit(_NAMED_CHILD, m.start(), m.end()))
    return out


_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


def _evidence(
    cat: str,
    hits: list[tuple[_FieldView, Hit]],
    views: list[_FieldView],
    model: HarmModel,
    feats: list[str],
    book: RuleBook,
) -> list[Evidence]:
    mine = [(v, h) for v, h in hits if h.rule.category == cat]
    mine.sort(key=lambda vh: (not vh[1].rule.strong, vh[0].field != "text", vh[1].start))
    out: list[Evidence] = []
    seen: set[tuple[str, int, int]] = set()
    for v, h in mine:
        key = (v.field, h.start, h.end)
        if key in seen:
            continue
        seen.add(key)
        out.append(_ev(cat, v, h.start, h.end, f"rule {h.rule.name}: {h.rule.reason}"))
    if cat == "threat":
        for v in views:
            for f in v.frames:
                key = (v.field, f.start, f.end)
                if f.countered_by is None and key not in seen:
                    seen.add(key)
                    span = _strip(v.original, f.start, f.end)
                    if f.frame.weak:  # a signal: after the rules' evidence
                        out.append(_ev(cat, v, *span, f"signal {f.frame.name}: {f.frame.means}"))
                    else:  # a frame that decided: first
                        out.insert(0, _ev(cat, v, *span, f"frame {f.frame.name}: {f.frame.means}"))
    if not out:
        out.append(_model_evidence(cat, views, model, book))
    if cat == "defamation":
        out = [_defamation_reason(e, views, book) for e in out]
    return out


def _ev(cat: str, v: _FieldView, start: int, end: int, reason: str) -> Evidence:
    return Evidence(cat, v.field, start, end, v.original[start:end], reason)


def _model_evidence(
    cat: str, views: list[_FieldView], model: HarmModel, book: RuleBook
) -> Evidence:
    """The sentence whose own features weigh most towards `cat`."""
    best: tuple[float, _FieldView, int, int, list[str]] | None = None
    for v in views:
        for m in _SENTENCE.finditer(v.original):
            start, end = _strip(v.original, m.start(), m.end())
            if end <= start:
                continue
            sent = harm_text.fold(v.original[start:end])
            contrib = model.contributions(cat, harm_text.features(sent, book.concepts))
            score = sum(w for w in contrib.values() if w > 0)
            if best is None or score > best[0]:
                shown = [f for f, w in contrib.items() if w > 0 and _readable(f, book)]
                best = (score, v, start, end, sorted(shown, key=lambda f: -contrib[f])[:4])
    if best is None:  # only whitespace or punctuation: point at the whole field
        v = views[0] if views else _FieldView("text", "", "", ())
        return _ev(cat, v, 0, len(v.original), "model")
    _, v, start, end, top = best
    words = ", ".join(f"'{t}'" for t in top) or "the post as a whole"
    return _ev(cat, v, start, end, f"model: {words}")


def _readable(feature: str, book: RuleBook) -> bool:
    # words a reader can check in the sentence: not markers ("#..."), word classes ("@...")
    # or pairs made only of function words and pronouns ("of the", "if you")
    words = feature.split()
    return not any(w[0] in "#@" for w in words) and any(w not in book.not_evidence for w in words)


def _strip(s: str, start: int, end: int) -> tuple[int, int]:
    while start < end and s[start].isspace():
        start += 1
    while end > start and s[end - 1].isspace():
        end -= 1
    return start, end


def _defamation_reason(e: Evidence, views: list[_FieldView], book: RuleBook) -> Evidence:
    # the crime/non-crime split is read from the whole post: the allegation is often in the
    # sentence next to the one that names the person
    crime = [v.folded[s:e] for v in views for s, e in book.all("crime", v.folded)]
    minor = [span for v in views for span in book.all("not_crime", v.folded)]
    if crime and len(minor) <= len(crime):
        word = crime[0]
        return Evidence(e.category, e.field, e.start, e.end, e.text, f"crime: '{word}'; {e.reason}")
    return e
