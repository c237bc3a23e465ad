"""What the harm model sees of a post: n-grams of the folded text with names replaced by
placeholders, the names of the reviewed rules that fired, and a few shape markers (is a
person named, is a role noun used, how negative are the words). Shared by training and
scoring so the two cannot drift apart."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from analysis import harm_text
from analysis.harm_rules import RuleBook, load_rules
from schoolwatch.config import SchoolConfig


@lru_cache(maxsize=1)
def _valence() -> dict[str, float]:
    # VADER's word list (shipped inside vaderSentiment, no download): word -> valence
    import vaderSentiment

    path = Path(vaderSentiment.__file__).with_name("vader_lexicon.txt")
    out: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                continue
    return out


def _tone(toks: list[str]) -> list[str]:
    val = _valence()
    neg = sum(-v for t in toks if (v := val.get(t, 0.0)) < 0)
    pos = sum(v for t in toks if (v := val.get(t, 0.0)) > 0)
    feats = [f"#neg>={b}" for b in (1, 2, 4, 7) if neg >= b]
    feats.extend(f"#pos>={b}" for b in (1, 3, 6) if pos >= b)
    if neg > pos:
        feats.append("#neg>pos")
    return feats


def _mood(title: str, text: str) -> list[str]:
    # VADER's compound reads negation ("not good enough") and contrast ("..., but") that
    # single words cannot: the net mood of the post, in bands
    from analysis.sentiment import compound

    c = compound(f"{title}. {text}" if title else text)
    bands = [("#mood<=-0.5", c <= -0.5), ("#mood<0", c < -0.05), ("#mood>0", c > 0.05)]
    return [name for name, on in bands if on] + (["#mood>=0.5"] if c >= 0.5 else [])


# signal kinds given a shared marker: grievance and its opposites (threat, hate and the rest
# keep only their own rules' markers: measured, a shared threat marker cost precision)
_SHARED_KINDS = frozenset({"complaint"})
# rules whose hit makes the post's praise words ironic
_IRONY = frozenset({"complaint.sarcasm", "complaint.scare_quotes"})


def model_features(
    title: str,
    text: str,
    school: SchoolConfig,
    rule_names: tuple[str, ...] = (),
    book: RuleBook | None = None,
    *,
    prepared: list[tuple[str, list[harm_text.Target]]] | None = None,
) -> list[str]:
    """Feature strings of one post (title and text together). `prepared`, if given, is each
    non-empty field's folded text and names found in it (work the caller has done already)."""
    book = book or load_rules()
    if prepared is None:
        prepared = []
        for field in (title, text):
            if field:
                folded = harm_text.fold(field)
                prepared.append((folded, harm_text.find_names(folded, school)))
    parts = []
    people = False
    for folded, names in prepared:
        people = people or any(t.kind == "person" for t in names)
        parts.append(harm_text.mask_names(folded, names))
    joined = " . ".join(parts)
    toks = harm_text.tokens(joined)
    feats = harm_text.features(joined, book.concepts, toks=toks)
    tone = _tone(toks) + _mood(title, text)
    if any(r in _IRONY for r in rule_names):
        # sarcasm says the opposite of its words: "lovely", "love how" are not praise here,
        # so the positive-tone markers would only argue against the grievance
        tone = [f for f in tone if not f.startswith(("#pos", "#mood>"))]
    feats.extend(tone)
    feats.extend(f"#rule:{r}" for r in rule_names)
    # one shared marker per kind of signal ("#kind:complaint" for any grievance rule): what the
    # model learns from the common kinds (no reply, a damning verdict) carries over to the
    # rarer ones (scare quotes, nostalgia, a rhetorical question)
    for kind in sorted(_SHARED_KINDS):
        n = sum(r.split(".")[0] == kind for r in rule_names)
        feats.extend(f"#kind:{kind}" + ("" if i == 1 else f">={i}") for i in (1, 2) if n >= i)
    if people:
        feats.append("#person")
    if book.first("roles", joined):
        feats.append("#role")
    if book.first("crime", joined):
        feats.append("#crime")
    if book.not_crime and book.first("not_crime", joined):
        feats.append("#discredit")
    return feats
