"""Analysis that starts while the run is still fetching: the stages of a big run overlap.

The fetch stage hands each source's result to `AssessAsFetched.fetched` as it arrives (in the
fetch threads). Once enough posts are in sight for the process pool to pay (its `min_posts`),
each source's posts go to a worker at once, and the ones that arrived before the pool started go
with the first; the workers assess while the run's process goes on fetching and parsing, so both
cores work from the moment the pool is up instead of the analysis waiting for the last source.

"In sight" is a projection, so that the workers can load the classifier while most of the
sources are still to come: once `PROJECT_AFTER` sources have answered, their posts per source
times the run's number of sources. A cold run of 200 sources of 25 posts starts the pool after
its first 8 answers; a daily run where most sources answer 304 (no posts) projects few posts and
stays in the run's process, unless the posts that actually arrive reach `min_posts`.
`assessments(results)` then gathers the workers' answers in the order of `results`: the same list,
post for post, as `assess_batch` over every result's posts. A run too small for the pool never
starts it and is assessed in the run's process at the end, as before.

Nothing is lost: a result the workers did not see (a late one, or one holding a post of an
unknown school, which then fails as `assess_posts` fails) is assessed at the end, and if a
worker dies, the posts it held are assessed in the run's process.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

from analysis.assess import assess_posts
from analysis.pool import AssessPool, assess_batch
from schoolwatch.config import SchoolConfig
from schoolwatch.models import Assessment, FetchResult, Post

_Key = tuple[str, str]  # (school id, source id): one result per source in a run
PROJECT_AFTER = 8  # answers before the posts in sight are projected: one per fetch thread
# a big source's posts go to the workers in parts of this many, so that they share it and none
# is left assessing a long one at the end
SOURCE_CHUNK = 50


class AssessAsFetched:
    """Assess each source's posts in the pool as its result arrives; see the module docstring."""

    def __init__(
        self, schools: dict[str, SchoolConfig], pool: AssessPool, sources: int = 0
    ) -> None:
        """`sources`: how many results the run will hand over (0: no projection)."""
        self.schools = schools
        self.pool = pool
        self.sources = sources
        self._answers = 0
        self._posts = 0
        self._lock = threading.Lock()
        self._waiting: list[FetchResult] = []  # arrived before the pool started
        self._sent: dict[_Key, tuple[tuple[Post, ...], list[Future[list[Assessment]]]]] = {}

    def fetched(self, result: FetchResult) -> None:
        """One source's result, from a fetch thread; its posts go to a worker once the pool is
        started (this may start it)."""
        with self._lock:
            self._answers += 1
            self._posts += len(result.posts)
            projected = self._posts * self.sources // self._answers
            project = self._answers >= PROJECT_AFTER and projected >= self.pool.min_posts
        if project:
            self.pool.expect(0, sight=projected)
        if not result.posts:
            return
        self.pool.expect(len(result.posts))
        with self._lock:
            self._waiting.append(result)
            if not self.pool.started:
                return
            ready, self._waiting = self._waiting, []
            for r in ready:
                if not all(p.school_id in self.schools for p in r.posts):
                    continue  # left for `assessments`, which fails as `assess_posts` does
                try:
                    futures = [
                        self.pool.submit(r.posts[i : i + SOURCE_CHUNK], self.schools)
                        for i in range(0, len(r.posts), SOURCE_CHUNK)
                    ]
                except BrokenProcessPool:  # a worker died: left for `assessments`
                    continue
                self._sent[(r.school_id, r.source_id)] = (r.posts, futures)

    @property
    def sent(self) -> int:
        """How many sources' posts went to the workers as they arrived."""
        with self._lock:
            return len(self._sent)

    def assessments(self, results: Sequence[FetchResult]) -> list[Assessment]:
        """Every result's posts assessed, in order: what `assess_batch` gives for them."""
        posts = [p for r in results for p in r.posts]
        with self._lock:
            sent = dict(self._sent)
        if not self.pool.started:
            return assess_batch(posts, self.schools, pool=self.pool)
        answers: list[list[Assessment] | None] = []
        rest: list[Post] = []
        for r in results:
            entry = sent.get((r.school_id, r.source_id))
            if entry is None or entry[0] is not r.posts:  # not sent: assessed below
                answers.append(None)
                rest += r.posts
                continue
            try:
                answers.append([a for future in entry[1] for a in self.pool.result(future)])
            except BrokenProcessPool:  # a worker died: these posts are assessed here instead
                answers.append(assess_posts(r.posts, self.schools))
        done = iter(self.pool.assess(rest, self.schools) if rest else [])
        out: list[Assessment] = []
        for r, answer in zip(results, answers, strict=True):
            out += answer if answer is not None else [next(done) for _ in r.posts]
        return out
