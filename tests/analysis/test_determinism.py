"""The same post gets the same answer in every process (evidence is a record SLT may rely on)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "analysis" / "data" / "train"


def _classify(lines: str, config: Path, seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "classify", "--config", str(config)],
        input=lines,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    return result.stdout


def test_outputs_do_not_depend_on_string_hashing():
    posts = [json.loads(x) for x in (TRAIN / "moorside_posts.jsonl").read_text().splitlines()]
    fed = "".join(
        json.dumps({k: p[k] for k in ("id", "text", "title", "school", "local") if k in p}) + "\n"
        for p in posts[:250]
    )
    config = TRAIN / "moorside_school.toml"
    first, second = _classify(fed, config, "1"), _classify(fed, config, "2")
    assert first.count("\n") == 250
    assert first == second
