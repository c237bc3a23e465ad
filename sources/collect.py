"""Fetching many sources at once: network waits overlap, each host gets one request at a time.

`fetch_all(jobs, client, workers=8, limit_s=165)` fetches every `FetchJob` and returns one
`FetchResult` per job, in the order of `jobs`:

- the jobs are queued per host (scheme, name and port); a worker thread takes a host, fetches
  its next source and hands the host back, so no host is asked two things at once and the
  client's `min_interval_s` spacing and robots check hold; a source's deadline starts when its
  own request does, not while it queues behind its neighbours;
- at most `workers` requests are in flight overall;
- every failure becomes a `failed` result (this is the one place): the `FetchError` message, or
  the exception's type and message for anything else, such as a parser bug;
- a source still unfinished `limit_s` after its fetch began (something the client cannot
  interrupt: a DNS lookup that hangs, a parser stuck on a pathological page) is recorded as
  failed, its host goes back in the queue and a fresh worker replaces the stuck one, so it holds
  up nothing else. The stuck thread is a daemon and its late result is dropped.

Plain threads, no Prefect: the flow wraps this in one task for the whole stage (a task run per
source costs the Prefect API more than a conditional GET costs the network).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from schoolwatch.config import SourceConfig
from schoolwatch.errors import FetchError
from schoolwatch.models import FetchResult
from sources import fetch as fetch_source
from sources.http import HttpClient


@dataclass(frozen=True)
class FetchJob:
    """One source to fetch, with the validators from its last good fetch."""

    school_id: str
    source: SourceConfig
    etag: str | None = None
    last_modified: str | None = None


def failed(job: FetchJob, error: BaseException) -> FetchResult:
    """The recorded outcome of a fetch that raised `error`."""
    message = str(error) if isinstance(error, FetchError) else f"{type(error).__name__}: {error}"
    return FetchResult(
        school_id=job.school_id,
        source_id=job.source.id,
        url=job.source.url,
        status="failed",
        fetched_at=datetime.now(UTC),
        error=message or type(error).__name__,
        http_status=getattr(error, "status", None),
    )


def host_of(url: str) -> str:
    """The queue a URL's request waits in: one per origin, as the client spaces requests."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class _Run:
    """The shared state of one `fetch_all`: queues, results and who is fetching what."""

    def __init__(self, jobs: Sequence[FetchJob], limit_s: float) -> None:
        self.jobs = jobs
        self.limit_s = limit_s
        self.results: list[FetchResult | None] = [None] * len(jobs)
        self.remaining = len(jobs)
        self.queues: dict[str, deque[int]] = {}
        for i, job in enumerate(jobs):
            self.queues.setdefault(host_of(job.source.url), deque()).append(i)
        self.ready: deque[str] = deque(self.queues)
        self.running: dict[int, tuple[float, str]] = {}  # job index -> (started, host)
        self.cond = threading.Condition()

    def take(self) -> tuple[int, str] | None:
        """The next job for a worker (its host leaves the ready queue); None when all are done."""
        with self.cond:
            while not self.ready and self.remaining:
                self.cond.wait()
            if not self.remaining:
                return None
            host = self.ready.popleft()
            index = self.queues[host].popleft()
            self.running[index] = (time.monotonic(), host)
            return index, host

    def finish(self, index: int, host: str, result: FetchResult) -> bool:
        """Record a result; False when it came too late (the job was given up on)."""
        with self.cond:
            if self.running.pop(index, None) is None:
                return False
            self._record(index, host, result)
            return True

    def _record(self, index: int, host: str, result: FetchResult) -> None:
        self.results[index] = result
        self.remaining -= 1
        if self.queues[host]:
            self.ready.append(host)
        self.cond.notify_all()

    def give_up_on_late(self) -> int:
        """Record every job running past `limit_s` as failed; how many were given up on."""
        now = time.monotonic()
        late = [(i, h) for i, (t, h) in self.running.items() if now - t > self.limit_s]
        for index, host in late:
            del self.running[index]
            job = self.jobs[index]
            error = FetchError(
                f"fetching {job.source.url} did not finish within its time limit of "
                f"{self.limit_s:g}s"
            )
            self._record(index, host, failed(job, error))
        return len(late)

    def next_expiry(self) -> float:
        """Seconds until the earliest running job passes its limit (at least a little)."""
        if not self.running:
            return self.limit_s
        first = min(t for t, _ in self.running.values())
        return max(first + self.limit_s - time.monotonic(), 0.05)


def fetch_all(
    jobs: Sequence[FetchJob],
    client: HttpClient,
    *,
    workers: int = 8,
    limit_s: float = 165.0,
    on_result: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    """Fetch every job concurrently (see the module docstring); never raises for a source.

    `on_result` is called with each result as it
    arrives (in a worker thread; the daily flow counts posts with it)."""
    run = _Run(jobs, limit_s)

    def work() -> None:
        while (taken := run.take()) is not None:
            index, host = taken
            job = jobs[index]
            try:
                result = fetch_source(
                    job.school_id,
                    job.source,
                    client,
                    etag=job.etag,
                    last_modified=job.last_modified,
                )
            except Exception as e:  # the one place a source's failure becomes a record
                result = failed(job, e)
            if not run.finish(index, host, result):
                return  # given up on: a replacement worker has taken this one's place
            if on_result is not None:
                on_result(result)

    def start_worker() -> None:
        threading.Thread(target=work, name="fetch", daemon=True).start()

    for _ in range(min(workers, len(run.queues))):
        start_worker()
    with run.cond:
        while run.remaining:
            run.cond.wait(timeout=run.next_expiry())
            for _ in range(run.give_up_on_late()):
                start_worker()
    return [r for r in run.results if r is not None]
