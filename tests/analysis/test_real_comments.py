"""Real labelled comments: the label mapping, the fixed held-out split, and that none of their
text is in this repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from analysis import real_comments as rc

ROOT = Path(__file__).resolve().parents[2]


def _row(i: str, **labels: int | None) -> str:
    base: dict[str, int | None] = dict.fromkeys(
        ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"), 0
    )
    base.update(labels)
    return json.dumps({"id": i, "text": f"comment {i}", "labels": base})


def test_labels_map_to_categories(tmp_path: Path) -> None:
    rows = [
        _row("a"),
        _row("b", toxic=1, threat=1),
        _row("c", toxic=1, insult=1, obscene=1),
        _row("d", toxic=None, identity_hate=1),
        _row("e", toxic=None),  # only known from a per-label split: not known to be clean
    ]
    (tmp_path / "train.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    got = {c.id: c for c in rc.load(tmp_path)}
    assert got["a"].categories == () and got["a"].clean
    assert got["b"].categories == ("threat",)
    assert got["c"].categories == ("harassment", "obscene")
    assert got["d"].categories == ("hate",) and not got["d"].clean
    assert not got["e"].clean and not got["e"].toxic


def test_split_is_fixed_and_disjoint(tmp_path: Path) -> None:
    rows = [_row(f"{i:016x}") for i in range(500)]
    (tmp_path / "train.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    held = {c.id for c in rc.load(tmp_path, split="heldout")}
    train = {c.id for c in rc.load(tmp_path, split="train")}
    assert held and train and not held & train and len(held | train) == 500
    assert 0.12 < len(held) / 500 < 0.28  # about one in five
    assert held == {c.id for c in rc.load(tmp_path, split="heldout")}


def test_no_comment_text_is_committed() -> None:
    path = rc.DEFAULT_PATH / "train.jsonl"
    if not path.exists():
        pytest.skip("the real comments are not beside this clone")
    with path.open(encoding="utf-8") as f:
        ids = [json.loads(next(f))["id"] for _ in range(30)]
    out = subprocess.run(
        ["git", "grep", "-l", "-F", *[f"-e{i}" for i in ids]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.stdout == "", f"files holding real comments: {out.stdout}"
