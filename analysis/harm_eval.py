"""Figures for the harm classifier on labelled posts: per-category precision/recall/F1,
harmful (severity >= medium) F1, complaints wrongly raised; and leave-one-school-out
cross-validation over the training corpora (train on two, measure the third)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from schoolwatch.models import CATEGORIES

HARMFUL = {"medium", "high", "critical"}


@dataclass(frozen=True, slots=True)
class Scored:
    gold: tuple[str, ...]
    gold_severity: str
    pred: tuple[str, ...]
    pred_severity: str


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def report(rows: Iterable[Scored], title: str = "") -> dict[str, tuple[float, float, float]]:
    """Print and return P/R/F1 per category, for 'harmful', plus the complaint raise rate."""
    rows = list(rows)
    out: dict[str, tuple[float, float, float]] = {}
    for cat in CATEGORIES:
        tp = sum(cat in r.gold and cat in r.pred for r in rows)
        fp = sum(cat not in r.gold and cat in r.pred for r in rows)
        fn = sum(cat in r.gold and cat not in r.pred for r in rows)
        out[cat] = _prf(tp, fp, fn)
    hg = [r.gold_severity in HARMFUL for r in rows]
    hp = [r.pred_severity in HARMFUL for r in rows]
    out["harmful"] = _prf(
        sum(g and p for g, p in zip(hg, hp, strict=True)),
        sum(p and not g for g, p in zip(hg, hp, strict=True)),
        sum(g and not p for g, p in zip(hg, hp, strict=True)),
    )
    complaints = [r for r in rows if r.gold == ("complaint",)]
    raised = sum(r.pred_severity in HARMFUL for r in complaints)
    print(f"== {title} ({len(rows)} posts)")
    for k, (p, r, f) in out.items():
        print(f"  {k:14s} P {p:.2f}  R {r:.2f}  F1 {f:.2f}")
    print(f"  complaints raised to >= medium: {raised}/{len(complaints)}")
    return out


def cross_validate(
    corpora: Iterable[str],
    extra: Iterable[str] = (),
    show: Callable[[str], None] | None = None,
) -> None:
    """Train on all but one corpus, score the held-out one, for each corpus in turn."""
    from analysis import harm, ladder, train_harm
    from analysis.harm_model import HarmModel

    corpora = list(corpora)
    data = {c: train_harm.load_corpus(c) for c in corpora}
    always = [e for c in extra for e in train_harm.load_corpus(c)]
    pooled: list[Scored] = []
    for held in corpora:
        model = HarmModel.from_dict(
            train_harm.train([e for c in corpora if c != held for e in data[c]] + always)
        )
        rows = []
        for e in data[held]:
            if not e.mentions:
                continue
            res = harm.classify(e.title, e.text, e.school, (), local=e.local, model=model)
            sev = ladder.severity(
                res.categories, serious_defamation=ladder.is_serious_defamation(res.evidence)
            )
            rows.append(Scored(e.categories, e.severity, res.categories, sev))
            if show and set(rows[-1].gold) != set(rows[-1].pred):
                show(f"{held}: gold={e.categories} pred={res.categories} | {e.title} {e.text}")
        report(rows, f"held out: {held}")
        pooled.extend(rows)
    report(pooled, "pooled held-out")
