"""Posts with their real assessments, as many as a measurement needs, quickly.

The fixture's 5,000 posts (bench/fixture_sites.py) are assessed once by the real classifier; a
larger batch repeats them under new post ids and URLs, each keeping its post's assessment, so a
store measurement pays for analysis once, not per row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

from analysis.assess import assess_posts
from bench.fixture_sites import FixtureSites
from schoolwatch.models import Assessment, FetchResult, Post


class Corpus:
    """`batch(n, start)`: posts `start`..`start + n - 1` with their assessments."""

    def __init__(self, distinct: int = 5000) -> None:
        site = FixtureSites(8, 25, 25, hosts=1, seed=11, now=FixtureSites.default_now())
        posts, schools = site.analysis_batch()
        self.posts = posts[:distinct]
        self.assessments = assess_posts(self.posts, schools)
        self.fetched_at = self.posts[0].fetched_at

    def batch(self, n: int, start: int = 0) -> tuple[list[Post], list[Assessment]]:
        posts, assessments = [], []
        for i in range(start, start + n):
            post, a = self.posts[i % len(self.posts)], self.assessments[i % len(self.posts)]
            post_id = f"{post.post_id}-{i}"
            posts.append(
                replace(
                    post,
                    post_id=post_id,
                    guid=post_id,
                    url=f"{post.url}-{i}",
                    published_at=(post.published_at or self.fetched_at) - timedelta(hours=i // 500),
                )
            )
            assessments.append(replace(a, post_id=post_id))
        return posts, assessments

    def batches(self, total: int, size: int) -> Iterator[tuple[list[Post], list[Assessment]]]:
        for start in range(0, total, size):
            yield self.batch(min(size, total - start), start)


def fetch_result(posts: list[Post], fetched_at: datetime) -> FetchResult:
    """One source that returned `posts`."""
    return FetchResult(
        school_id=posts[0].school_id if posts else "bench",
        source_id="bench",
        url="https://bench.example/feed",
        status="ok",
        fetched_at=fetched_at,
        posts=tuple(posts),
    )
