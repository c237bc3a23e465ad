"""The repository stands on its own: its docs hold the contract, nothing points outside it."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = ("DESIGN.md", "PITFALLS.md", "STYLE.md", "../shared")
# where the data that is never copied in lives (the dev set, the real comments): a path to it
# is how training and `make eval` find it, not a pointer to documentation
DATA_PATHS = ("../shared/eval", "../shared/data/jigsaw", "EVAL_DIR")
CHECKED = ("flows", "warehouse", "schoolwatch", "analysis", "digest", "sources", "web", "docs",
           "README.md", "prefect.yaml", "Makefile", "tests")  # fmt: skip


def test_the_contract_and_privacy_notes_are_in_docs():
    contract = (ROOT / "docs" / "contract.md").read_text()
    assert contract.startswith("# schoolwatch — the contract")
    for name in ("`mentions`", "`schoolwatch forget", "`schoolwatch serve", "[schedule]"):
        assert name in contract, name
    privacy = (ROOT / "docs" / "privacy.md").read_text()
    for topic in ("## What is stored", "## Lawful basis", "## Retention", "## Erasure", "DPIA"):
        assert topic in privacy, topic


def test_nothing_points_outside_the_repository():
    found = []
    for top in CHECKED:
        paths = [ROOT / top] if (ROOT / top).is_file() else sorted((ROOT / top).rglob("*"))
        for path in paths:
            if path.suffix not in {".py", ".sql", ".md", ".toml", ".yaml", ""} or path.is_dir():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for n, line in enumerate(text.splitlines(), 1):
                rest = line
                for ok in DATA_PATHS:
                    rest = rest.replace(ok, "")
                if any(o in rest for o in OUTSIDE) and path.name != "test_repository.py":
                    found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert found == []


def test_the_generated_model_is_marked_generated():
    out = subprocess.run(
        ["git", "check-attr", "linguist-generated", "diff", "--", "analysis/data/harm_model.bin"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "linguist-generated: true" in out and "diff: unset" in out
