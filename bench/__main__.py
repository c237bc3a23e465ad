"""`make bench`: how fast each stage is on this machine, against its target.

Figures, not pass/fail: timed assertions belong here, never in unit tests. Run from the repo
root: `uv run python -m bench [--posts N]`.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from analysis.assess import assess_posts
from analysis.matching import match_school
from bench import cores, fixed_cost
from schoolwatch.config import SourceConfig, parse_config
from schoolwatch.models import FetchResult, Post
from sources.rss import parse_feed
from warehouse import Warehouse

TRAIN = Path(__file__).resolve().parent.parent / "analysis" / "data" / "train"
TARGET_CLASSIFY = 400.0  # posts/s of ~100 words on one core (detection round 2)


def _timed(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best of `repeat` wall-clock runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _corpus(n: int) -> tuple[list[Post], dict]:
    """`n` posts of about 100 words from the training schools (fictional), each about its school."""
    rows = []
    configs = {}
    for path in sorted(TRAIN.glob("*_posts.jsonl")):
        prefix = path.name.removesuffix("_posts.jsonl")
        (toml,) = TRAIN.glob(f"{prefix}_school*.toml")
        configs.update({s.id: s for s in parse_config(toml.read_text()).schools})
        rows += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rng = random.Random(7)
    now = datetime(2026, 11, 20, 6, tzinfo=UTC)
    posts = []
    for i in range(n):
        a = rng.choice(rows)
        words = a["text"].split()
        while len(words) < 100:  # pad with other posts of the same school to ~100 words
            words += rng.choice([r for r in rows if r["school"] == a["school"]])["text"].split()
        text = " ".join(words[:110])
        posts.append(
            Post(
                post_id=f"b{i}",
                source_id="bench",
                school_id=a["school"],
                url=f"https://b.example/{i}",
                guid=str(i),
                title=a.get("title", ""),
                text=text,
                author=f"author{i % 300}",
                published_at=now - timedelta(minutes=i),
                fetched_at=now,
                raw=text.encode(),
                local=bool(a.get("local")),
            )
        )
    return posts, configs


def _feed(items: int) -> bytes:
    entries = "".join(
        f"<item><title>Post {i}</title><link>https://n.example/{i}</link><guid>g{i}</guid>"
        f"<pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate><description>Moorside Juniors in "
        f"Haddleworth held a sponsored walk number {i} for the food bank.</description></item>"
        for i in range(items)
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    return f"{head}{entries}</channel></rss>".encode()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--posts", type=int, default=2000, help="posts per measurement")
    parser.add_argument("--runs", type=int, default=3, help="repeats of each whole run")
    args = parser.parse_args()
    posts, schools = _corpus(args.posts)
    words = sum(len(p.text.split()) for p in posts) / len(posts)
    print(f"schoolwatch benchmarks ({len(posts)} posts of {words:.0f} words; best of 3)\n")

    t = _timed(
        lambda: [match_school(schools[p.school_id], p.title, p.text, local=p.local) for p in posts]
    )
    print(f"matching             {len(posts) / t:9,.0f} posts/s")

    t = _timed(lambda: assess_posts(posts, schools))
    rate = len(posts) / t
    print(
        f"classify (full)      {rate:9,.0f} posts/s   target {TARGET_CLASSIFY:,.0f}  "
        f"ratio {rate / TARGET_CLASSIFY:.1f}x"
    )

    body = _feed(50)
    source = SourceConfig(id="bench", kind="rss", url="https://n.example/feed")
    now = datetime.now(UTC)
    t = _timed(
        lambda: parse_feed(
            body, school_id="x", source=source, base_url="https://n.example/feed", fetched_at=now
        ),
        repeat=5,
    )
    print(f"parse 50-item feed   {t * 1000:9.1f} ms")

    assessments = assess_posts(posts, schools)
    result = FetchResult(
        school_id="x",
        source_id="bench",
        url="https://b.example/",
        status="ok",
        fetched_at=now,
        posts=tuple(posts),
    )
    with tempfile.TemporaryDirectory() as tmp:
        wh = Warehouse(Path(tmp) / "bench.duckdb")
        t0 = time.perf_counter()
        summary = wh.store_run("bench-1", now, [result], assessments, posts=posts)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        wh.store_run("bench-2", now, [result], assessments, posts=posts)
        again = time.perf_counter() - t0
    stored = summary.new_posts
    print(
        f"store run (new)      {stored / first:9,.0f} posts/s   "
        f"({stored} mentions in {first:.2f} s)"
    )
    print(
        f"store run (repeat)   {len(posts) / again:9,.0f} posts/s   ({again:.2f} s, adds nothing)"
    )
    print(
        f"\nclassify + store per 1,000 posts: {1000 / rate + first / max(stored, 1) * 1000:.2f} s"
    )

    print("\nanalysis on every core (the same posts, the same run)")
    print("\n".join(cores.report(cores.measure_cores(args.posts))))
    print(f"\nwhole runs, each against its reference (median of {args.runs})")
    print("\n".join(fixed_cost.report(fixed_cost.measure_fixed_cost(args.runs))))


if __name__ == "__main__":
    main()
