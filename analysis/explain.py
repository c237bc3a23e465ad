"""`schoolwatch classify --explain`: every step that decided each category of one post.

For a safeguarding lead or a developer asking "why was this flagged (or not)?": the school
names matched, the text after disguises were undone, each threat frame (and the
counter-evidence that set one aside), each reviewed rule that fired, the model's probability
and its heaviest words per category, the decision with its reason, and the calibrated
confidence. Pure: text in, text out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from analysis import harm, ladder
from analysis.harm_model import load_model
from analysis.harm_rules import load_rules
from analysis.matching import match_school
from schoolwatch.config import Config, SchoolConfig
from schoolwatch.models import CATEGORIES

_TOP = 5


def _q(s: str, width: int = 90) -> str:
    s = " ".join(s.split())
    return '"' + (s if len(s) <= width else s[: width - 1] + "…") + '"'


def explain(school: SchoolConfig, *, title: str, text: str, local: bool, post_id: str) -> str:
    """The explanation of one post, as lines of plain text."""
    lines = [f"post {post_id}: {_q(text)}"]
    match = match_school(school, title, text, local=local)
    if not match.mentions:
        lines.append(f"  mentions {school.id}: no (no name of the school or its people counts)")
        lines.append("  so: not stored, no categories")
        return "\n".join(lines)
    spans = [s.text for s in (*match.spans, *match.people)]
    lines.append(f"  mentions {school.id}: yes ({', '.join(map(_q, spans[:4]))})")
    book = load_rules()
    model = load_model()
    views, feats = harm._prepare(title, text, school, book)
    for v in views:
        if v.folded != v.original.lower():
            lines.append(f"  {v.field} read as: {_q(v.folded)}")
    lines.append("  threat frames:")
    frames = [(v, f) for v in views for f in v.frames]
    if not frames:
        lines.append("    none matched")
    for v, f in frames:
        shown = _q(v.original[f.start : f.end], 60)
        if f.countered_by is None:
            signal = ", a signal for the model only" if f.frame.weak else ""
            lines.append(f"    {f.frame.name}: {shown} ({f.frame.means}{signal})")
        else:
            c = f.countered_by
            lines.append(
                f"    set aside: {f.frame.name} {shown}: counter-evidence {c.name}, {c.means}"
            )
    lines.append("  reviewed rules (analysis/data/harm_rules.toml):")
    hits = [(v, h) for v in views for h in v.hits]
    if not hits:
        lines.append("    none fired")
    for v, h in hits:
        kind = "decides" if h.rule.strong else "signal"
        lines.append(
            f"    {h.rule.name} ({kind}, {h.rule.category}): {_q(v.original[h.start : h.end], 60)}"
        )
    result = harm.classify(title, text, school, (), local=local, model=model, book=book)
    probs = model.probabilities(feats)
    lines.append("  model (probability; heaviest words for and against):")
    for cat in CATEGORIES:
        contrib = model.contributions(cat, feats)
        top = sorted(contrib.items(), key=lambda kv: -abs(kv[1]))[:_TOP]
        words = ", ".join(f"{f!r} {w:+.2f}" for f, w in top)
        threshold = book.thresholds.get(cat, 0.5)
        lines.append(f"    {cat:<14} {probs.get(cat, 0.0):.2f} (sets at {threshold:.2f}): {words}")
    lines.append("  decision:")
    if not result.categories:
        lines.append("    no category")
    for cat in result.categories:
        reasons = sorted({e.reason for e in result.evidence if e.category == cat})
        conf = result.confidence.get(cat, 0.0)
        lines.append(f"    {cat}: confidence {conf:.2f}; {'; '.join(reasons)}")
    serious = ladder.is_serious_defamation(result.evidence)
    sev = ladder.severity(result.categories, serious_defamation=serious)
    lines.append(f"  severity {sev}, first rung {ladder.first_rung(result.categories)}")
    return "\n".join(lines)


def explain_stream(config: Config, lines: Iterable[str], out: TextIO) -> int:
    """`schoolwatch classify --explain`: the input of `classify`, one explanation per post
    (a blank line between posts). Returns the number of lines that could not be read."""
    from analysis.assess import BadLine, parse_line

    bad = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            post_id, school, fields = parse_line(config, line)
        except BadLine as e:
            bad += 1
            out.write(f"line {number}: {e}\n\n")
            continue
        out.write(explain(school, post_id=post_id, **fields) + "\n\n")
    return bad
