"""Analysis on one core against its target and against all cores, on the same posts.

    uv run python -m bench.cores [--posts 2000] [--repeat 3]

The posts are the bench fixture's (`bench/fixture_sites.py`): about 100 words each, title and
text (the mean is printed), four in five naming their school. One core is `assess_posts` in
this process, timed in process CPU time (what the classifier costs, whatever else the machine
is doing) and in wall time; its target is `TARGET_ONE_CORE` posts per second in CPU time. All
cores is an `AssessPool` of one worker per core, already started (its start-up is reported on
its own: a run pays it once, while it is still fetching), timed in wall time. Best of `repeat`
runs each, alternating, so a busy neighbour hurts both alike.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from analysis.assess import assess_posts
from analysis.pool import AssessPool, usable_cores
from bench.fixture_sites import FixtureSites
from schoolwatch.models import Post

TARGET_RATIO = 1.7  # all cores against one, on 2 cores
TARGET_ONE_CORE = 400  # posts of ~100 words per second, one core (CPU time)


@dataclass(frozen=True)
class CoresFigures:
    posts: int
    repeat: int
    words: float  # mean words per post, title and text
    cores: int
    one_core_posts_s: float  # wall time
    one_core_cpu_posts_s: float  # process CPU time
    all_cores_posts_s: float  # wall time
    pool_start_s: float
    identical: bool

    @property
    def ratio(self) -> float:
        return self.all_cores_posts_s / self.one_core_posts_s

    @property
    def one_core_holds(self) -> bool:
        return self.one_core_cpu_posts_s >= TARGET_ONE_CORE


def measure_cores(posts: int = 2000, repeat: int = 3) -> CoresFigures:
    """Posts per second on one core and on every core (the pool warm), and the pool's start."""
    site = FixtureSites(8, 25, 25, hosts=1, seed=11, now=FixtureSites.default_now())
    batch, schools = site.analysis_batch()
    batch = batch[:posts]
    one = one_cpu = every = float("inf")
    started = time.perf_counter()
    with AssessPool() as pool:
        pool.assess(batch[: pool.workers], schools)  # returns once every worker is ready
        pool_start = time.perf_counter() - started
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            alone = assess_posts(batch, schools)
            one = min(one, time.perf_counter() - t0)
            one_cpu = min(one_cpu, time.process_time() - c0)
            t0 = time.perf_counter()
            pooled = pool.assess(batch, schools)
            every = min(every, time.perf_counter() - t0)
    return CoresFigures(
        posts=len(batch),
        repeat=repeat,
        words=mean_words(batch),
        cores=usable_cores(),
        one_core_posts_s=len(batch) / one,
        one_core_cpu_posts_s=len(batch) / one_cpu,
        all_cores_posts_s=len(batch) / every,
        pool_start_s=pool_start,
        identical=pooled == alone,
    )


def mean_words(posts: list[Post]) -> float:
    """Mean number of words per post, title and text together."""
    return sum(len(p.title.split()) + len(p.text.split()) for p in posts) / max(1, len(posts))


def report(f: CoresFigures) -> list[str]:
    one = "holds" if f.one_core_holds else "MISSES"
    every = "holds" if f.ratio >= TARGET_RATIO else "MISSES"
    return [
        f"{f.posts} posts of {f.words:.0f} words on average (title and text), best of {f.repeat}",
        f"analysis, one core     {f.one_core_cpu_posts_s:9,.0f} posts/s CPU time   "
        f"target >= {TARGET_ONE_CORE}  {one}   (wall time {f.one_core_posts_s:,.0f} posts/s)",
        f"analysis, {f.cores} cores     {f.all_cores_posts_s:9,.0f} posts/s wall time  "
        f"ratio {f.ratio:.2f}x against one core's wall time  target >= {TARGET_RATIO}x  {every}",
        f"   (pool start {f.pool_start_s:.1f} s; outputs identical: {f.identical})",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cores", description=__doc__)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("\n".join(report(measure_cores(args.posts, args.repeat))))


if __name__ == "__main__":
    main()
