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


def test_each_training_set_reads_its_own_school_file(tmp_path: Path) -> None:
    # "hollowmere" and "hollowmere_park" are two schools; the first must not read the second's
    from analysis.train_harm import school_file

    for name in ("hollowmere", "hollowmere_park"):
        (tmp_path / f"{name}_school.toml").write_text("")
    (tmp_path / "celtic_schools.toml").write_text("")
    assert school_file(tmp_path, "hollowmere").name == "hollowmere_school.toml"
    assert school_file(tmp_path, "hollowmere_park").name == "hollowmere_park_school.toml"
    assert school_file(tmp_path, "celtic").name == "celtic_schools.toml"
    with pytest.raises(FileNotFoundError, match=r"no quayside_school\.toml"):
        school_file(tmp_path, "quayside")


def test_every_training_post_names_a_school_of_its_file_and_ids_are_unique() -> None:
    import tomllib

    from analysis.train_harm import school_file

    seen: dict[str, str] = {}
    for path in sorted(TRAIN.glob("*_posts.jsonl")):
        name = path.name.removesuffix("_posts.jsonl")
        config = tomllib.loads(school_file(TRAIN, name).read_text(encoding="utf-8"))
        ids = {s["id"] for s in config["schools"]}
        for post in _posts(path):
            assert post["school"] in ids, f"{post['id']}: school {post['school']} not in {ids}"
            assert post["id"] not in seen, f"{post['id']} is in {seen.get(post['id'])} and {name}"
            seen[post["id"]] = name
