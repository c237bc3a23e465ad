"""The process pool gives exactly the single-process assessments, and only big batches use it."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analysis.assess import assess_posts
from analysis.pool import AssessPool, assess_batch
from schoolwatch.config import SchoolConfig, parse_config
from schoolwatch.errors import ConfigError
from schoolwatch.models import Post

TRAIN = Path(__file__).resolve().parents[2] / "analysis" / "data" / "train"
FETCHED = datetime(2026, 11, 20, 6, tzinfo=UTC)


def _training_posts(limit: int) -> tuple[list[Post], dict[str, SchoolConfig]]:
    """Labelled posts of every training school (threats, defamation, praise, other schools)."""
    schools: dict[str, SchoolConfig] = {}
    rows: list[dict] = []
    for path in sorted(TRAIN.glob("*_posts.jsonl")):
        prefix = path.name.removesuffix("_posts.jsonl")
        for toml in TRAIN.glob(f"{prefix}_school*.toml"):
            schools.update({s.id: s for s in parse_config(toml.read_text()).schools})
        rows += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r["school"] in schools][::7][:limit]  # every kind, spread out
    posts = [
        Post(
            post_id=r["id"],
            source_id="train",
            school_id=r["school"],
            url=f"https://example.invalid/{r['id']}",
            guid=r["id"],
            title=r.get("title", ""),
            text=r["text"],
            author="someone",
            published_at=FETCHED,
            fetched_at=FETCHED,
            raw=r["text"].encode(),
            local=bool(r.get("local")),
        )
        for r in rows
    ]
    return posts, schools


def test_the_pool_gives_exactly_the_single_process_assessments():
    posts, schools = _training_posts(450)
    assert len(posts) == 450  # 8 chunks of 57 posts on 2 workers, the last one short
    alone = assess_posts(posts, schools)
    assert sum(bool(a.categories) for a in alone) > 50  # flagged posts are among them
    with AssessPool(workers=2) as pool:
        pooled = pool.assess(posts, schools)
    # dataclass equality: every field, evidence spans, confidences, classifier version, order
    assert pooled == alone


def test_an_unknown_school_fails_as_in_one_process():
    posts, schools = _training_posts(5)
    stray = [*posts, replace(posts[0], school_id="nowhere")]
    with pytest.raises(ConfigError) as alone:
        assess_posts(stray, schools)
    with AssessPool(workers=2) as pool, pytest.raises(ConfigError) as pooled:
        pool.assess(stray, schools)
    assert str(pooled.value) == str(alone.value)


def test_small_batches_stay_in_this_process():
    posts, schools = _training_posts(40)
    pool = AssessPool(workers=2, min_posts=41)
    try:
        assert assess_batch(posts, schools, pool=pool) == assess_posts(posts, schools)
        assert not pool.started
        pool.min_posts = 40
        assert assess_batch(posts, schools, pool=pool) == assess_posts(posts, schools)
        assert pool.started
    finally:
        pool.close()


def test_a_wait_for_an_answer_ends_when_the_workers_are_dead():
    # a task the executor lost track of as its worker died (a race in CPython 3.11 when the
    # daily flow submits a source's posts just then) must not be waited on for ever
    posts, schools = _training_posts(4)
    pool = AssessPool(workers=2, min_posts=1)
    outcome: list[BaseException] = []
    try:
        assert pool.assess(posts, schools) == assess_posts(posts, schools)  # workers are up
        for child in multiprocessing.active_children():
            if child.pid is not None:
                os.kill(child.pid, signal.SIGKILL)
        orphan: Future = Future()  # never given to the executor: nothing will answer it

        def wait() -> None:
            try:
                pool.result(orphan)
            except BaseException as e:  # the test inspects what was raised
                outcome.append(e)

        waiter = threading.Thread(target=wait, daemon=True)
        waiter.start()
        waiter.join(timeout=60)
        assert not waiter.is_alive(), "the wait on a dead pool never ended"
    finally:
        pool.close()
    assert len(outcome) == 1 and isinstance(outcome[0], BrokenProcessPool)


def test_the_workers_start_once_a_big_batch_is_in_sight():
    pool = AssessPool(workers=2, min_posts=50)
    try:
        pool.expect(25)
        pool.expect(0)
        assert not pool.started
        pool.expect(25)
        assert pool.started
    finally:
        pool.close()
    assert not pool.started


# run in a copy of the code whose model file is damaged: the pool's fork server and its workers
# cannot load the classifier
_DAMAGED_RUN = """
from datetime import UTC, datetime
from analysis.pool import AssessPool
from schoolwatch.config import SchoolConfig
from schoolwatch.errors import SchoolwatchError
from schoolwatch.models import Post

now = datetime(2026, 11, 20, tzinfo=UTC)
school = SchoolConfig(id="a", name="Ashgrove Academy")
post = Post(post_id="1", source_id="s", school_id="a", url="", guid="1", title="",
            text="Ashgrove Academy is awful", author="", published_at=None, fetched_at=now,
            raw=b"", local=False)
with AssessPool(workers=1) as pool:
    try:
        pool.assess([post], {"a": school})
    except SchoolwatchError as e:
        print(type(e).__name__, e)
"""


def test_a_worker_that_cannot_load_the_classifier_raises_its_error(tmp_path: Path) -> None:
    # why: the classifier loads in the fork server and in each worker, away from the run; a
    # damaged model must reach the run as the one-line error this process would raise, not
    # as a broken pool, a crashed fork server or a traceback printed by either
    root = Path(__file__).resolve().parents[2]
    for package in ("schoolwatch", "analysis"):
        skip = shutil.ignore_patterns("__pycache__", "train", "eval")
        shutil.copytree(root / package, tmp_path / package, ignore=skip)
    (tmp_path / "analysis" / "data" / "harm_model.bin").write_bytes(b'{"format": "other"}\n')
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", _DAMAGED_RUN],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ClassifierError the harm model "), done.stdout
    assert "train_harm" in done.stdout and done.stdout.count("\n") == 1
    assert "Traceback" not in done.stderr, done.stderr
