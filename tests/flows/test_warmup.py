"""The classifier loads in the background while Prefect starts, and the analyse stage waits for
it rather than load it a second time at once. Each test runs in a fresh process: the classifier
loads once per process, and the test suite's own process has usually loaded it already."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ANALYSE_WHILE_LOADING = """
from datetime import UTC, datetime
from prefect.logging import disable_run_logger
from analysis.assess import assess_posts
from analysis.harm_model import load_model
from flows import warmup
from flows.daily import analyse
from schoolwatch.config import SchoolConfig
from schoolwatch.models import Post

school = SchoolConfig(id="kestle", name="Kestle Vale Primary School", names=["Kestle Vale"])
now = datetime.now(UTC)
posts = [
    Post(f"p{i}", "forum", "kestle", f"https://forum.example/{i}", f"g{i}", "", text, "Ann",
         now, now, text.encode())
    for i, text in enumerate([
        "Kestle Vale never answers the phone, the office is hopeless.",
        "Lovely nativity at Kestle Vale today.",
        "Someone should burn Kestle Vale to the ground, watch your back Mr Hale.",
    ])
]
warmup.start_loading()
warmup.start_loading()  # a second call starts nothing more
with disable_run_logger():
    got = analyse.fn(posts, {"kestle": school})
assert got == assess_posts(posts, {"kestle": school})
info = load_model.cache_info()
print(info.misses, info.hits, [a.categories for a in got])
"""


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_analyse_waits_for_the_background_load_and_loads_once() -> None:
    misses, _hits, categories = _python(ANALYSE_WHILE_LOADING).split(" ", 2)
    # one load of the model in the process: the analyse stage did not load it beside the thread
    assert misses == "1"
    assert "threat" in categories


def test_waiting_without_a_load_started_returns_at_once() -> None:
    code = "from flows import warmup; warmup.wait_until_loaded(); print('ok')"
    assert _python(code).strip() == "ok"
