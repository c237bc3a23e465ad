"""Peak memory of a back-fill: 100,000 posts stored in batches, in a process of its own.

    uv run python -m bench.backfill [--posts 100000] [--batch 5000]

The child process loads the classifier, assesses 1,000 of the fixture's posts once (bench/corpus.py)
and stores `posts` posts, a batch per `store_run` (one write transaction each), as a first run
that back-fills months would; its peak resident set size (`ru_maxrss`) is the figure. Only one
batch of posts is in memory at a time, so the peak should not grow with `posts`.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.figures import Figure

ROOT = Path(__file__).resolve().parent.parent
TARGET_MIB = 1024.0
DISTINCT = 1000  # posts assessed by the real classifier, repeated under new ids


def backfill(path: Path, posts: int, batch: int) -> dict[str, float]:
    """Store `posts` posts into the warehouse at `path` in batches (in this process)."""
    from bench.corpus import Corpus, fetch_result
    from warehouse import Warehouse

    corpus = Corpus(DISTINCT)
    wh = Warehouse(path)
    t0 = time.perf_counter()
    stored = 0
    for i, (chunk, assessments) in enumerate(corpus.batches(posts, batch)):
        at = corpus.fetched_at
        summary = wh.store_run(
            f"backfill-{i}", at, [fetch_result(chunk, at)], assessments, posts=chunk
        )
        stored += summary.new_posts
    took = time.perf_counter() - t0
    (rows,) = wh.query("SELECT count(*) FROM posts")[1][0]
    return {
        "posts": posts,
        "stored": stored,
        "rows_in_posts": rows,
        "seconds": took,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "file_mib": path.stat().st_size / 2**20,
    }


def measure(posts: int = 100_000, batch: int = 5000) -> list[Figure]:
    """Run the back-fill in a child process; its peak RSS against the target."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable, "-m", "bench.backfill", "--child", str(Path(tmp) / "bf.duckdb"),
            "--posts", str(posts), "--batch", str(batch),
        ]  # fmt: skip
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"back-fill exited {done.returncode}: {done.stderr[-600:]}")
    r = json.loads(done.stdout.splitlines()[-1])
    return [
        Figure(
            f"back-fill of {posts:,} posts: peak RSS",
            r["peak_rss_mib"],
            "MiB",
            TARGET_MIB,
            at_most=True,
            note=f"batches of {batch:,}; {r['stored']:,} mentions stored "
            f"({r['rows_in_posts']:,} in posts) in {r['seconds']:.0f} s, "
            f"file {r['file_mib']:.0f} MiB",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.backfill", description=__doc__)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(backfill(args.child, args.posts, args.batch)))
        return
    for figure in measure(args.posts, args.batch):
        print(figure.line())


if __name__ == "__main__":
    main()
