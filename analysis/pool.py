"""Assessing a large batch of posts on every core, with exactly the results of `assess_posts`.

`assess_batch(posts, schools)` assesses a whole batch; the daily flow instead hands each
source's posts to `AssessPool.submit` as they arrive (`flows/pipeline.py`), once the pool is
started. Below `POOL_MIN_POSTS` posts `assess_batch` assesses in this process: starting worker
processes costs about as much as assessing a thousand posts on one core, so a pool only pays
for itself on big batches (a trust's first run, a back-fill). Above it, an `AssessPool` of one
worker process per core takes the batch in chunks of up to `CHUNK_POSTS` posts (big enough that
sending a chunk and its results between processes is small against classifying it; at least
four per worker, so they finish together) and returns the assessments in the order of the
posts. If a worker dies (out of memory, say), the batch is assessed in this process instead:
slower, nothing lost.

Each worker loads the classifier once, in its initializer. Where the platform has a fork
server (Linux, macOS), the workers are forked from it: a clean process, started for the pool
without the run's threads, that loaded the classifier before forking, so each worker starts
with it already in memory. Elsewhere they are spawned and load it themselves.

If the classifier cannot be loaded (a damaged model file), the fork server carries on without
it and each worker's tasks raise the loading error itself: the run sees the one-line error
this process would have raised, not a broken pool or a traceback printed by one.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from types import TracebackType

from analysis.assess import assess, assess_posts
from schoolwatch.config import SchoolConfig
from schoolwatch.models import Assessment, Post

POOL_MIN_POSTS = 2000  # smaller batches stay in this process (see the module docstring)
CHUNK_POSTS = 200  # posts per task sent to a worker, at most: at least 4 tasks per worker
# how often a wait for a worker's answer checks that the workers are still alive (seconds)
WAIT_SLICE = 0.5
_PRELOAD = "analysis.pool_preload"  # imported by the fork server: loads the classifier there

_load_error: Exception | None = None  # in a worker: why its initializer could not load it

_WARM_SCHOOL = SchoolConfig(id="warm-up", name="Warm-up Academy")
_WARM_TEXT = "Warm-up Academy: the head said she would hurt someone, and I believe it."


def warm() -> None:
    """Load everything the classifier reads once (model, rules, lexicons) by assessing one post.
    The threat frames' parts are compiled as posts need them, in each worker: the 5,000 posts
    of the bench fixture need a sixth of them, so compiling them all here first would hold the
    workers back longer than they spend compiling what they use (docs/performance.md)."""
    assess(_WARM_SCHOOL, post_id="warm-up", title="", text=_WARM_TEXT, local=True)


def _start_worker() -> None:
    """A worker's initializer: load the classifier. A failure is kept and raised by each of
    the worker's tasks, so the run sees the error itself (as from `assess_posts` in its own
    process), not a broken pool and a traceback printed by it."""
    global _load_error
    try:
        warm()
    except Exception as e:  # raised again by every task of this worker
        _load_error = e


def usable_cores() -> int:
    """Cores this process may run on (the affinity mask where the platform has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([_PRELOAD])
        return context
    return multiprocessing.get_context("spawn")


def _assess_chunk(posts: list[Post], schools: dict[str, SchoolConfig]) -> list[Assessment]:
    if _load_error is not None:
        raise _load_error
    return assess_posts(posts, schools)


def _light(posts: Sequence[Post]) -> list[Post]:
    """The posts without their raw bytes: evidence for the warehouse, which the classifier never
    reads, so they are not sent to the workers."""
    return [replace(p, raw=b"") for p in posts]


def _ready() -> int:
    return os.getpid()


class AssessPool:
    """Worker processes that assess posts; use as a context manager, or `start` then `close`.

    `start` returns at once: the workers get ready while the caller does something else. The
    daily flow calls `expect` as each source's posts arrive, which starts the workers once
    `min_posts` are in sight, so they load the classifier while the run is still fetching.
    """

    def __init__(self, workers: int | None = None, min_posts: int = POOL_MIN_POSTS) -> None:
        self.workers = workers or usable_cores()
        self.min_posts = min_posts
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._expected = 0

    def start(self) -> AssessPool:
        """Start the workers (once); they load the classifier while this returns."""
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=_context(), initializer=_start_worker
                )
                for _ in range(self.workers):  # workers start as work arrives: start them all
                    self._executor.submit(_ready)
        return self

    def expect(self, posts: int, sight: int = 0) -> None:
        """Count `posts` more coming (from any thread); start the workers once a batch of
        `min_posts` is in sight (counted, or `sight`, the caller's projection of the whole
        batch), unless there is only one core."""
        with self._lock:
            self._expected += posts
            big = max(self._expected, sight) >= self.min_posts and self.workers > 1
        if big:
            self.start()

    def assess(self, posts: Sequence[Post], schools: dict[str, SchoolConfig]) -> list[Assessment]:
        """The same list `assess_posts(posts, schools)` returns, computed by the workers."""
        unknown = [p for p in posts if p.school_id not in schools][:1]
        if unknown:
            return assess_posts(unknown, schools)  # raises the same `ConfigError`
        executor = self.start()._executor
        assert executor is not None
        light = _light(posts)
        # several chunks per worker, so that one finishing last does not leave the others idle
        size = max(1, min(CHUNK_POSTS, -(-len(light) // (4 * self.workers))))
        chunks = [light[i : i + size] for i in range(0, len(light), size)]
        try:
            futures = [executor.submit(_assess_chunk, chunk, schools) for chunk in chunks]
            return [a for future in futures for a in self.result(future)]
        except BrokenProcessPool:  # a worker died (out of memory?): the batch is still assessed
            self.close()
            return assess_posts(posts, schools)

    def submit(
        self, posts: Sequence[Post], schools: dict[str, SchoolConfig]
    ) -> Future[list[Assessment]]:
        """Start assessing `posts` in a worker (starting the workers if need be) and return at
        once; the future's result is the list `assess_posts(posts, schools)` returns, or its
        error. The daily flow submits each source's posts as they arrive. Every post's school
        must be in `schools`; only those schools are sent to the worker."""
        executor = self.start()._executor
        assert executor is not None
        needed = {p.school_id: schools[p.school_id] for p in posts}
        return executor.submit(_assess_chunk, _light(posts), needed)

    def result(self, future: Future[list[Assessment]]) -> list[Assessment]:
        """`future.result()`, except that a worker found dead while waiting raises
        `BrokenProcessPool` within `WAIT_SLICE` seconds. The executor marks the futures it
        holds when a worker dies, but a task submitted while it is doing so can be missed
        (CPython 3.11: the daily flow submits each source's posts as they arrive), and waiting
        on that one would never end."""
        while True:
            try:
                return future.result(timeout=WAIT_SLICE)
            except TimeoutError:
                if self._lost_a_worker():
                    raise BrokenProcessPool("a worker process died") from None

    def _lost_a_worker(self) -> bool:
        executor = self._executor
        if executor is None:
            return True  # closed meanwhile: nothing will answer
        # the executor's own record of a death, and its worker processes (attributes of
        # CPython's ProcessPoolExecutor, read only; absent, only the future is waited on)
        if getattr(executor, "_broken", False):
            return True
        processes = dict(getattr(executor, "_processes", None) or {})
        return any(not p.is_alive() for p in processes.values())

    @property
    def started(self) -> bool:
        """Whether worker processes were started (and not closed since)."""
        return self._executor is not None

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> AssessPool:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def assess_batch(
    posts: Sequence[Post],
    schools: dict[str, SchoolConfig],
    *,
    pool: AssessPool | None = None,
) -> list[Assessment]:
    """`assess_posts`, on every core when the batch has at least the pool's `min_posts` posts
    (`POOL_MIN_POSTS` without one) and there is more than one core. `pool` is left open for the
    caller to close; without one, a pool is started and closed for this batch."""
    own = pool is None
    pool = pool or AssessPool()
    if len(posts) < pool.min_posts or pool.workers < 2:
        return assess_posts(posts, schools)
    try:
        return pool.assess(posts, schools)
    finally:
        if own:
            pool.close()
