"""The training data stays apart from the dev set the figures are measured on.

The dev set lives outside the repo (`../shared/eval/`); where it is present, no training post
written for this project (the schools not shipped with the labelled sets) may share a run of
eight words with a dev post, so `make eval` keeps measuring what generalises.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "analysis" / "data" / "train"
DEV = ROOT.parent / "shared" / "eval" / "dev_posts.jsonl"
SHIPPED = {"celtic", "moorside", "quayside"}  # copied from the labelled sets as they are


def _shingles(text: str, n: int = 8) -> set[str]:
    words = re.findall(r"[a-z']+", text.lower())
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def _posts(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.skipif(not DEV.exists(), reason=f"dev set not found at {DEV}")
def test_written_training_posts_share_no_eight_words_with_dev():
    dev = set().union(*(_shingles(p["text"]) for p in _posts(DEV)))
    written = [
        p for p in sorted(TRAIN.glob("*_posts.jsonl")) if p.name.split("_")[0] not in SHIPPED
    ]
    assert written, "expected the project's own training schools"
    for path in written:
        shared = {s for post in _posts(path) for s in _shingles(post["text"]) if s in dev}
        assert not shared, f"{path.name} repeats dev text: {sorted(shared)[:3]}"
