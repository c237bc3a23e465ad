"""The evaluation's metric functions on tiny hand-made inputs, and the command on a tiny set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis import evaluate as ev
from analysis.evaluate import (
    Labels,
    accuracy,
    binary_prf,
    category_prf,
    complaints_raised,
    misclassified,
    prf,
)

CONFIG = Path(__file__).parents[1] / "data/analysis/core_schools.toml"


def _lab(cats: str = "", severity: str = "none", rung: int = 0, mentions: bool = True) -> Labels:
    return Labels(mentions, frozenset(c for c in cats.split("+") if c), severity, rung)


def test_prf_from_counts():
    p = prf(tp=3, fp=1, fn=2)
    assert (p.precision, p.recall, p.support) == (0.75, 0.6, 5)
    assert p.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)


@pytest.mark.parametrize(
    ("tp", "fp", "fn", "expected", "reason"),
    [
        (0, 0, 0, (1.0, 1.0, 1.0), "nothing to find, nothing claimed: no error"),
        (0, 2, 0, (0.0, 0.0, 0.0), "only false alarms"),
        (0, 0, 2, (0.0, 0.0, 0.0), "only misses: a silent classifier gets no credit"),
    ],
)
def test_prf_edges(tp, fp, fn, expected, reason):
    p = prf(tp, fp, fn)
    assert (p.precision, p.recall, p.f1) == expected, reason


def test_binary_prf():
    p = binary_prf([True, True, False, False], [True, False, True, False])
    assert (p.tp, p.fp, p.fn, p.precision, p.recall) == (1, 1, 1, 0.5, 0.5)
    with pytest.raises(ValueError, match="differ in length"):
        binary_prf([True], [])


def test_category_prf_is_per_category():
    expected = [frozenset({"threat", "harassment"}), frozenset(), frozenset({"complaint"})]
    got = [frozenset({"threat"}), frozenset({"threat"}), frozenset({"complaint"})]
    scores = category_prf(expected, got)
    assert (scores["threat"].tp, scores["threat"].fp, scores["threat"].fn) == (1, 1, 0)
    assert (scores["harassment"].recall, scores["harassment"].support) == (0.0, 1)
    assert scores["complaint"].f1 == 1.0
    assert scores["hate"].support == 0


def test_accuracy():
    assert accuracy(["low", "high", "none"], ["low", "medium", "none"]) == pytest.approx(2 / 3)
    assert accuracy([], []) == 1.0


def test_complaints_raised_counts_only_complaint_only_posts():
    expected = [
        _lab("complaint", "low", 1),
        _lab("complaint", "low", 1),
        _lab("harassment", "medium", 2),
    ]
    got = [
        _lab("harassment", "medium", 2),
        _lab("complaint", "low", 1),
        _lab("harassment", "medium", 2),
    ]
    assert complaints_raised(expected, got) == (1, 2)


def test_harmful_is_medium_or_above():
    assert [_lab(severity=s).harmful for s in ("none", "low", "medium", "high", "critical")] == [
        False,
        False,
        True,
        True,
        True,
    ]


def test_misclassified_lists_any_difference():
    expected = [_lab("threat", "critical", 6), _lab(), _lab("complaint", "low", 1)]
    got = [_lab("threat", "critical", 6), _lab(mentions=False), _lab("complaint", "low", 2)]
    assert [i for i, _, _ in misclassified(["a", "b", "c"], expected, got)] == ["b", "c"]


def _write_set(path: Path) -> None:
    records = [
        {
            "id": "t-1",
            "school": "st-wennas-harrowby",
            "local": False,
            "text": "St Wenna's Harrowby choir sang beautifully at the abbey.",
            "labels": {"mentions": True, "categories": [], "severity": "none", "rung": 0},
        },
        {
            "id": "t-2",
            "school": "st-wennas-harrowby",
            "local": False,
            "title": "Bin day",
            "text": "Harrowby bins are collected on Tuesdays now.",
            "labels": {"mentions": False, "categories": [], "severity": "none", "rung": 0},
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_evaluate_command_reports_figures(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setattr(ev, "MIN_TIMING_S", 0.0)  # one pass is enough here
    posts = tmp_path / "posts.jsonl"
    _write_set(posts)
    args = ["--posts", str(posts), "--config", str(CONFIG), "--no-baselines"]
    assert ev.main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["posts"] == 2
    assert report["mentions"]["f1"] == 1.0
    assert report["misclassified"] == []
    assert report["words_per_post"] == pytest.approx((9 + 9) / 2)
    assert report["posts_per_s"] > 0
    assert report["baselines"] == {}

    assert ev.main(args) == 0
    text = capsys.readouterr().out
    assert "target F1 >= 0.98" in text
    assert "misclassified: 0" in text


def test_evaluate_command_bad_input_is_one_line(tmp_path: Path, capsys):
    assert ev.main(["--posts", str(tmp_path / "missing.jsonl"), "--config", str(CONFIG)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1


def test_baselines_on_obvious_posts():
    records = [
        {"id": "1", "text": "What a lovely, happy, wonderful sports day. Thank you all!"},
        {
            "id": "2",
            "title": "Awful",
            "text": "You are a fucking disgusting piece of shit, I hate you.",
        },
    ]
    assert ev.vader_baseline(records) == [False, True]
    assert ev.profanity_baseline(records) == [False, True]
    assert ev.profanity_baseline([]) == []
