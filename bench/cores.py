"""Analysis on one core against all cores, measured in the same run on the same posts.

    uv run python -m bench.cores [--posts 2000]

One core is `assess_posts` in this process; all cores is an `AssessPool` of one worker per
core, already started (its start-up is reported on its own: a run pays it once, while it is
still fetching). Best of `repeat` runs each, alternating, so a busy neighbour hurts both alike.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from analysis.assess import assess_posts
from analysis.pool import AssessPool, usable_cores
from bench.fixture_sites import FixtureSites

TARGET_RATIO = 1.7  # all cores against one, on 2 cores


@dataclass(frozen=True)
class CoresFigures:
    posts: int
    cores: int
    one_core_posts_s: float
    all_cores_posts_s: float
    pool_start_s: float
    identical: bool

    @property
    def ratio(self) -> float:
        return self.all_cores_posts_s / self.one_core_posts_s


def measure_cores(posts: int = 2000, repeat: int = 3) -> CoresFigures:
    """Posts per second on one core and on every core (the pool warm), and the pool's start."""
    site = FixtureSites(8, 25, 25, hosts=1, seed=11, now=FixtureSites.default_now())
    batch, schools = site.analysis_batch()
    batch = batch[:posts]
    one = every = float("inf")
    started = time.perf_counter()
    with AssessPool() as pool:
        pool.assess(batch[: pool.workers], schools)  # returns once every worker is ready
        pool_start = time.perf_counter() - started
        for _ in range(repeat):
            t0 = time.perf_counter()
            alone = assess_posts(batch, schools)
            one = min(one, time.perf_counter() - t0)
            t0 = time.perf_counter()
            pooled = pool.assess(batch, schools)
            every = min(every, time.perf_counter() - t0)
    return CoresFigures(
        posts=len(batch),
        cores=usable_cores(),
        one_core_posts_s=len(batch) / one,
        all_cores_posts_s=len(batch) / every,
        pool_start_s=pool_start,
        identical=pooled == alone,
    )


def report(f: CoresFigures) -> list[str]:
    verdict = "holds" if f.ratio >= TARGET_RATIO else "misses"
    return [
        f"analysis, one core     {f.one_core_posts_s:9,.0f} posts/s",
        f"analysis, {f.cores} cores     {f.all_cores_posts_s:9,.0f} posts/s   "
        f"ratio {f.ratio:.2f}x  target >= {TARGET_RATIO}x  {verdict}"
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
