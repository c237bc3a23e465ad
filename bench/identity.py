"""A fingerprint of every assessment the classifier gives, to show a speed-up changed nothing.

    uv run python -m bench.identity --save .bench/identity.json    # before a change
    uv run python -m bench.identity --check .bench/identity.json   # after it: same outputs?
    uv run python -m bench.identity --pin      # renew the sample tests/analysis pins

Runs `assess_posts` over every labelled post there is (the adversarial sets and training
schools in `analysis/data/`, the dev set and training posts in the shared folder's `eval/`,
the real comments in its `data/jigsaw/`, where present), the same posts joined into ~100-word
posts, and the bench fixture's posts, and records a SHA-256 of each assessment's every field
(categories, severity, rung, sentiment, evidence, confidence, matched spans) per post.
`--check` names the first posts whose assessment differs. The fingerprint is only comparable
on the same data files: a change to the rules, frames, slang or model changes it as it should.

`--pin` writes a representative sample (posts, schools and fingerprints, with a fingerprint of
the data files) to `tests/data/analysis/pinned_assessments.json`, which
`tests/analysis/test_pinned_assessments.py` checks on every test run while the data files are
the ones it was made with.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analysis import real_comments
from analysis.assess import assess_posts
from analysis.evaluate import load_labelled, long_records
from bench.fixture_sites import FixtureSites
from schoolwatch.config import SchoolConfig, load_config
from schoolwatch.models import Assessment, Post

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "analysis" / "data"
PIN = ROOT / "tests" / "data" / "analysis" / "pinned_assessments.json"
# what the classifier reads besides the posts: the pin holds while these are unchanged
DATA_FILES = ("harm_rules.toml", "threat_frames.toml", "slang.toml", "harm_model.bin")
# the school fields analysis reads
_SCHOOL_FIELDS = {"id", "name", "names", "ambiguous_names", "context", "exclude", "people"}
SHARED = ROOT.parent / "shared"  # beside the clone, as `make eval` expects it

Corpus = tuple[str, list[Post], dict[str, SchoolConfig]]


def _posts(records: list[dict[str, Any]]) -> list[Post]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Post(
            post_id=str(r["id"]),
            source_id=str(r.get("source", "")),
            school_id=r["school"],
            url="",
            guid=str(r["id"]),
            title=r.get("title") or "",
            text=r["text"],
            author="",
            published_at=None,
            fetched_at=now,
            raw=b"",
            local=bool(r.get("local", False)),
        )
        for r in records
    ]


def _schools(config_path: Path) -> dict[str, SchoolConfig]:
    return {s.id: s for s in load_config(config_path).schools}


def _labelled(folder: Path) -> Iterator[tuple[Path, Path]]:
    """Each `<name>_posts.jsonl` in `folder` with its school file (`<name>_school.toml` or
    `<name>_schools.toml`; not another set's `<name>_park_school.toml`)."""
    for posts in sorted(folder.glob("*_posts.jsonl")):
        name = posts.name.removesuffix("_posts.jsonl")
        schools = sorted(folder.glob(f"{name}_school*.toml"))
        if schools:
            yield posts, schools[0]


def labelled(label: str, folder: Path) -> Iterator[Corpus]:
    """Each labelled set in `folder` as it is, and joined into ~100-word posts."""
    for posts_path, school_path in _labelled(folder):
        records = load_labelled(posts_path)
        schools = _schools(school_path)
        name = f"{label}/{posts_path.stem}"
        yield name, _posts(records), schools
        yield f"{name}:100-words", _posts(long_records(records)), schools


def corpora(shared: Path = SHARED, real: bool = True) -> Iterator[Corpus]:
    """Every set of posts the fingerprint covers, by name (`shared`: the shared folder)."""
    yield from labelled("data/eval", DATA / "eval")
    yield from labelled("data/train", DATA / "train")
    yield from labelled("shared/eval", shared / "eval")
    yield from labelled("shared/eval/train", shared / "eval" / "train")
    jigsaw = shared / "data" / "jigsaw"
    if real and (jigsaw / "train.jsonl").exists():
        records = list(real_comments.as_records(real_comments.load(jigsaw)))
        yield "real-comments", _posts(records), _schools(real_comments.SCHOOL_CONFIG)
    yield "bench-fixture", *bench_batch()


def bench_batch() -> tuple[list[Post], dict[str, SchoolConfig]]:
    """The posts `make bench` times analysis on (every one about 100 words)."""
    site = FixtureSites(8, 25, 25, hosts=1, seed=11, now=FixtureSites.default_now())
    return site.analysis_batch()


def fingerprint(a: Assessment) -> str:
    """SHA-256 of every field of `a` (`repr` keeps each float exactly)."""
    return hashlib.sha256(repr(a).encode()).hexdigest()


def measure(shared: Path = SHARED, real: bool = True) -> dict[str, dict[str, str]]:
    """Set name -> "<position>:<post id>" -> fingerprint of its assessment."""
    out: dict[str, dict[str, str]] = {}
    for name, posts, schools in corpora(shared, real):
        assessed = assess_posts(posts, schools)
        out[name] = {f"{i}:{a.post_id}": fingerprint(a) for i, a in enumerate(assessed)}
        print(f"{name:45} {len(assessed):6} posts", file=sys.stderr)
    return out


def data_fingerprint() -> str:
    """SHA-256 of the classifier's data files (`DATA_FILES`)."""
    h = hashlib.sha256()
    for name in DATA_FILES:
        h.update(name.encode() + b"\0" + (DATA / name).read_bytes())
    return h.hexdigest()


def pin_sample() -> list[Corpus]:
    """Every 24th post of each set in `analysis/data/` and every 12th of its ~100-word posts,
    and every 50th post of the bench fixture: a few hundred posts of every kind and category."""
    sets = [*labelled("data/eval", DATA / "eval"), *labelled("data/train", DATA / "train")]
    out = [(n, p[:: 12 if n.endswith(":100-words") else 24], s) for n, p, s in sets]
    posts, schools = bench_batch()
    return [*out, ("bench-fixture", posts[::50], schools)]


def write_pin(path: Path = PIN) -> int:
    """Write the pinned sample (inputs and fingerprints) to `path`; returns its size in posts."""
    rows, schools = [], {}
    for name, posts, known in pin_sample():
        for post, a in zip(posts, assess_posts(posts, known), strict=True):
            school = known[post.school_id]
            schools[school.id] = school.model_dump(mode="json", include=_SCHOOL_FIELDS)
            rows.append(
                {
                    "set": name,
                    "id": post.post_id,
                    "school": post.school_id,
                    "local": post.local,
                    "title": post.title,
                    "text": post.text,
                    "categories": list(a.categories),
                    "fingerprint": fingerprint(a),
                }
            )
    pin = {"data": data_fingerprint(), "schools": schools, "posts": rows}
    path.write_text(json.dumps(pin, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(rows)


def pinned_inputs(pin: dict[str, Any]) -> tuple[list[Post], dict[str, SchoolConfig]]:
    """The posts and schools of a pin written by `write_pin`."""
    schools = {k: SchoolConfig.model_validate(v) for k, v in pin["schools"].items()}
    return _posts(pin["posts"]), schools


def differences(saved: dict[str, dict[str, str]], now: dict[str, dict[str, str]]) -> list[str]:
    """One line per set or post whose fingerprint is not the saved one."""
    out = []
    for name in sorted(saved.keys() | now.keys()):
        old, new = saved.get(name), now.get(name)
        if old is None or new is None:
            out.append(f"{name}: only in the {'new' if old is None else 'saved'} fingerprint")
            continue
        out.extend(f"{name}: {pid} differs" for pid in old if old[pid] != new.get(pid))
        out.extend(f"{name}: {pid} is new" for pid in new.keys() - old.keys())
    return out


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.identity", description=__doc__)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--save", type=Path, help="write the fingerprint to this file")
    what.add_argument("--check", type=Path, help="compare with a fingerprint saved earlier")
    what.add_argument("--pin", action="store_true", help=f"renew {PIN.relative_to(ROOT)}")
    parser.add_argument(
        "--shared", type=Path, default=SHARED, help=f"the shared folder (default {SHARED})"
    )
    parser.add_argument("--no-real", action="store_true", help="leave out the real comments")
    args = parser.parse_args()
    if args.pin:
        print(f"pinned {write_pin()} assessments in {PIN.relative_to(ROOT)}")
        return 0
    now = measure(args.shared, real=not args.no_real)
    total = sum(len(v) for v in now.values())
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps(now, indent=0, sort_keys=True), encoding="utf-8")
        print(f"saved the fingerprint of {total} assessments to {args.save}")
        return 0
    diff = differences(json.loads(args.check.read_text(encoding="utf-8")), now)
    for line in diff[:20]:
        print(line)
    if diff:
        print(f"{len(diff)} difference(s) from {args.check} ({total} assessments)")
        return 1
    print(f"identical: all {total} assessments match {args.check}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
