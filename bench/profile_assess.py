"""Where `assess_posts` spends its time, function by function (cProfile).

    uv run python -m bench.profile_assess                  # the bench fixture's posts
    uv run python -m bench.profile_assess --posts eval     # the adversarial sets' posts
    uv run python -m bench.profile_assess --sort cumtime --top 40

The posts are assessed once before profiling, so loading the rules, frames and model (once
per process) is not counted.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats

from analysis.assess import assess_posts
from bench.identity import DATA, bench_batch, labelled
from schoolwatch.config import SchoolConfig
from schoolwatch.models import Post


def _batches(which: str) -> list[tuple[list[Post], dict[str, SchoolConfig]]]:
    if which == "bench":
        return [bench_batch()]
    sets = labelled(which, DATA / which)
    return [(posts, schools) for name, posts, schools in sets if not name.endswith(":100-words")]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_assess", description=__doc__)
    parser.add_argument("--posts", choices=("bench", "eval", "train"), default="bench")
    parser.add_argument("--sort", choices=("tottime", "cumtime"), default="tottime")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    batches = _batches(args.posts)
    for posts, schools in batches:
        assess_posts(posts[:50], schools)  # warm: rules, frames and model loaded
    profile = cProfile.Profile()
    profile.enable()
    for posts, schools in batches:
        assess_posts(posts, schools)
    profile.disable()
    print(f"{sum(len(p) for p, _ in batches)} posts")
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
