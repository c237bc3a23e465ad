"""`make eval`'s suite: every adversarial set in analysis/data/eval is measured and shown
beside the baselines; a missing dev set or real-comment folder is skipped, not an error."""

from __future__ import annotations

from pathlib import Path

from analysis import train_harm
from analysis.evaluate import EVAL_DIR, expected_labels, load_labelled, render_suite, suite
from schoolwatch.config import load_config

UNSEEN = train_harm.DATA / "unseen"


def _sets(folder: Path) -> set[str]:
    return {p.name.removesuffix("_posts.jsonl") for p in folder.glob("*_posts.jsonl")}


def _trained() -> set[str]:
    return {*train_harm.CORPORA, *train_harm.EXTRA, *train_harm.WRITERS}


def test_suite_measures_every_adversarial_set(tmp_path: Path) -> None:
    report = suite(tmp_path / "no-dev", tmp_path / "no-real")
    names = _sets(EVAL_DIR)
    assert names and set(report["sets"]) == {f"adversarial:{n}" for n in names}
    for figures in report["sets"].values():
        assert figures["posts"] > 100
        assert 0.0 <= figures["threat"]["recall"] <= 1.0
        # the classifier must beat both naive baselines on every set, by a wide margin
        assert figures["harmful_f1"] > figures["vader_harmful_f1"] + 0.3
        if figures["profanity_harmful_f1"] is not None:
            assert figures["harmful_f1"] > figures["profanity_harmful_f1"] + 0.3
    text = render_suite(report)
    assert "threat recall" in text and "baseline VADER harmful F1" in text
    assert "real comments" not in text  # no folder, no section


def test_adversarial_sets_are_never_trained_on() -> None:
    held = _sets(EVAL_DIR)
    assert held and not held & _trained()
    assert not any((train_harm.TRAIN / f"{n}_posts.jsonl").exists() for n in held)


def test_unseen_round_schools_are_never_trained_on_and_load() -> None:
    names = _sets(UNSEEN)
    assert len(names) == 14 and not names & (_trained() | _sets(EVAL_DIR))
    for name in names:
        assert not (train_harm.TRAIN / f"{name}_posts.jsonl").exists()
        schools = {s.id for s in load_config(UNSEEN / f"{name}_school.toml").schools}
        records = load_labelled(UNSEEN / f"{name}_posts.jsonl")
        assert len(records) == 200 and len({r["id"] for r in records}) == 200
        assert {r["school"] for r in records} <= schools
        assert sum("threat" in expected_labels(r).categories for r in records) >= 60
