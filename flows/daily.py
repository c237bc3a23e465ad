"""The `daily-monitor` flow: collect, analyse, store, alert, digest.

One fetch task per source (run concurrently in a bounded thread pool), one task per stage,
never one per post (each task run costs the Prefect API time). The flow body is the whole story.

Fetching never waits for the warehouse: if another process holds the file when the run starts,
every source is fetched in full (no conditional GET) while the run waits for the file to store
what it found, logging who holds it every few seconds.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from prefect import Task, flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.task_runners import ThreadPoolTaskRunner

import sources
from analysis import ladder
from analysis.assess import assess_posts
from flows import scale_out
from flows.delivery import send_alerts_for, send_digest
from schoolwatch.config import Config, HttpConfig, SchoolConfig, SourceConfig, load_config
from schoolwatch.errors import FetchError, WarehouseError
from schoolwatch.files import private_files
from schoolwatch.models import Assessment, FetchResult, Post
from sources.http import HttpClient
from warehouse import StoreSummary, Warehouse

MAX_FETCH_WORKERS = 8
# one source to fetch: (school_id, source, etag, last_modified)
FetchJob = tuple[str, SourceConfig, str | None, str | None]
VALIDATORS_WAIT_S = 1.0  # how long fetching waits for the last run's ETags before going without


@dataclass
class RunSummary:
    """What one run did, returned by the flow and printed by `schoolwatch run`."""

    run_id: str
    sources_ok: int = 0
    sources_not_modified: int = 0
    sources_failed: list[str] = field(default_factory=list)
    posts_fetched: int = 0
    mentions: int = 0
    new_posts: int = 0
    new_versions: int = 0
    new_flagged: int = 0
    flagged_by_severity: dict[str, int] = field(default_factory=dict)
    alerts_sent: int = 0
    digests: list[str] = field(default_factory=list)
    # one line per alert or digest not delivered (retried by the next run)
    delivery_failed: list[str] = field(default_factory=list)
    purged: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def fetch_time_limit(http: HttpConfig) -> float:
    """Seconds a fetch task may run: the client's own deadline (which bounds the network, retries
    included), then time to parse up to `max_bytes` (about 10 s per MB of hostile markup here).
    A last resort for what the client cannot interrupt, such as a DNS lookup that hangs."""
    return http.deadline_s + 30 + 15 * http.max_bytes / 1_000_000


# No task retries: the HTTP client retries within the source's deadline, the one place that
# knows how long the source has taken (retrying here too multiplied the attempts and the time).
@task(
    name="fetch-source",
    cache_policy=NO_CACHE,
    task_run_name="fetch {school_id}/{source.id}",
)
def fetch_source(
    school_id: str,
    source: SourceConfig,
    client: HttpClient,
    etag: str | None,
    last_modified: str | None,
) -> FetchResult:
    """Fetch and parse one source (network I/O: retried for transient errors)."""
    return sources.fetch(school_id, source, client, etag=etag, last_modified=last_modified)


def _failed(school_id: str, source: SourceConfig, error: BaseException) -> FetchResult:
    message = str(error) if isinstance(error, FetchError) else f"{type(error).__name__}: {error}"
    return FetchResult(
        school_id=school_id,
        source_id=source.id,
        url=source.url,
        status="failed",
        fetched_at=datetime.now(UTC),
        error=message or type(error).__name__,
        http_status=getattr(error, "status", None),
    )


def _outcome(
    school_id: str,
    source: SourceConfig,
    future: PrefectFuture,
    wait_s: float | None = None,
    limit_s: float | None = None,
) -> FetchResult:
    """The one place a source's failure becomes a recorded error instead of a crashed run.
    Waits at most `wait_s` seconds (None: as long as it takes); `limit_s` is the task's limit."""
    future.wait(wait_s)
    state = future.state
    if state.is_completed():
        return future.result()
    if not state.is_final() or state.name == "TimedOut":
        limit = "" if limit_s is None else f" of {limit_s:g}s"
        timed_out = FetchError(f"fetching {source.url} did not finish within its time limit{limit}")
        return _failed(school_id, source, timed_out)
    raised = state.result(raise_on_failure=False)
    if not isinstance(raised, BaseException):
        raised = FetchError(state.message or "fetch did not complete")
    return _failed(school_id, source, raised)


@task(name="fetch-part", cache_policy=NO_CACHE)
def fetch_part(jobs: list[FetchJob], http: HttpConfig) -> list[FetchResult]:
    """Fetch a part of the sources, in turn, with a client of the worker's own (Dask: each part
    holds whole hosts, so the client's spacing and robots.txt hold)."""
    results = []
    with HttpClient(http) as client:
        for school_id, source, etag, modified in jobs:
            try:
                results.append(
                    sources.fetch(school_id, source, client, etag=etag, last_modified=modified)
                )
            except Exception as e:  # as in `_outcome`: the failure is this source's alone
                results.append(_failed(school_id, source, e))
    return results


def _collect_in_parts(
    cfg: Config, validators: dict[tuple[str, str], tuple[str | None, str | None]], parts: int
) -> list[FetchResult]:
    """Fetch in `parts` tasks (on a Dask cluster), whole hosts per part; results in config order."""
    jobs: list[FetchJob] = [
        (school.id, source, *validators.get((school.id, source.id), (None, None)))
        for school in cfg.schools
        for source in school.sources
    ]
    limit = fetch_time_limit(cfg.http)
    pending = []
    for part in scale_out.by_key(jobs, parts, key=lambda job: _site(job[1].url)):
        fetch = fetch_part.with_options(timeout_seconds=limit * len(part))
        pending.append((part, fetch.submit(part, cfg.http)))
    found: dict[tuple[str, str], FetchResult] = {}
    for part, future in pending:
        future.wait(limit * len(part) + 30)
        if future.state.is_completed():
            found.update({(r.school_id, r.source_id): r for r in future.result()})
            continue
        error = FetchError(f"the fetch task for these sources did not finish: {future.state.name}")
        found.update({(j[0], j[1].id): _failed(j[0], j[1], error) for j in part})
    return [found[(job[0], job[1].id)] for job in jobs]


def _validators(warehouse: Warehouse) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """The last run's ETags, or none (every source fetched in full) while the file is busy."""
    try:
        return warehouse.validators(wait_s=VALIDATORS_WAIT_S)
    except WarehouseError as e:
        get_run_logger().warning("fetching every source in full meanwhile: %s", e)
        return {}


def collect(cfg: Config, warehouse: Warehouse, parts: int = 1) -> list[FetchResult]:
    """Fetch every configured source concurrently; failures come back as `failed` results.
    `parts` > 1: in that many tasks (spread over a Dask cluster)."""
    logger = get_run_logger()
    limit = fetch_time_limit(cfg.http)
    fetch = fetch_source.with_options(timeout_seconds=limit)
    validators = _validators(warehouse)
    if parts > 1:
        results = _collect_in_parts(cfg, validators, parts)
    else:
        results = _collect_per_source(cfg, validators, fetch, limit)
    for r in results:
        if r.status == "failed":
            logger.warning("source %s/%s failed: %s", r.school_id, r.source_id, r.error)
        else:
            logger.info(
                "source %s/%s: %s, %d items", r.school_id, r.source_id, r.status, len(r.posts)
            )
    return results


def _collect_per_source(
    cfg: Config,
    validators: dict[tuple[str, str], tuple[str | None, str | None]],
    fetch: Task,
    limit: float,
) -> list[FetchResult]:
    with HttpClient(cfg.http) as client:
        pending = []
        for school in cfg.schools:
            for source in school.sources:
                etag, modified = validators.get((school.id, source.id), (None, None))
                future = fetch.submit(school.id, source, client, etag, modified)
                pending.append((school.id, source, future))
        # the task limit again, per round of the thread pool, for a worker that cannot be
        # interrupted: its source is recorded as failed and the other sources are kept
        waves = -(-len(pending) // MAX_FETCH_WORKERS)
        deadline = time.monotonic() + waves * limit + 30
        return [
            _outcome(school_id, source, fut, max(deadline - time.monotonic(), 1.0), limit)
            for school_id, source, fut in pending
        ]


def _site(url: str) -> str:
    return urlsplit(url).hostname or ""


def apply_escalation(
    posts: list[Post], assessments: list[Assessment], warehouse: Warehouse
) -> list[Assessment]:
    """Raise the rung of flagged posts whose author already has an action on an open case."""
    by_id = {p.post_id: p for p in posts}

    def poster(a: Assessment) -> Post | None:
        post = by_id.get(a.post_id)
        return post if a.categories and post is not None and post.author else None

    asking = sorted({a.school_id for a in assessments if poster(a)})
    # one read for every school: a trust's run would otherwise open the file once per school
    recorded = warehouse.last_action_rungs_by_school(asking) if asking else {}
    out = []
    for a in assessments:
        post = poster(a)
        if post is None:
            out.append(a)
            continue
        last = recorded[a.school_id].get((_site(post.url), post.author))
        rung, reason = ladder.escalate(a.categories, last)
        out.append(replace(a, rung=rung, rung_reason=reason))
    return out


@task(name="analyse", cache_policy=NO_CACHE)
def analyse(posts: list[Post], schools: dict[str, SchoolConfig]) -> list[Assessment]:
    """Match, score and classify every fetched post (pure; one task for the whole batch)."""
    assessments = assess_posts(posts, schools)
    get_run_logger().info(
        "analysed %d posts: %d mention a school", len(posts), sum(a.mentions for a in assessments)
    )
    return assessments


def analyse_in_parts(
    posts: list[Post], schools: dict[str, SchoolConfig], parts: int
) -> list[Assessment]:
    """`analyse` in `parts` tasks run side by side (on a Dask cluster); the same assessments, in
    the same order, as one task."""
    futures = [analyse.submit(chunk, schools) for chunk in scale_out.chunks(posts, parts)]
    return [a for future in futures for a in future.result()]


@task(name="store", cache_policy=NO_CACHE)
def store(
    warehouse: Warehouse,
    run_id: str,
    started_at: datetime,
    results: list[FetchResult],
    posts: list[Post],
    assessments: list[Assessment],
    retention_days: int | None = None,
) -> StoreSummary:
    """The single writer step: one short write transaction for the whole run (retention too)."""
    return warehouse.store_run(
        run_id, started_at, results, assessments, posts=posts, retention_days=retention_days
    )


@flow(
    name="daily-monitor",
    # Prefect's TaskRunner generic is stricter than its own ThreadPoolTaskRunner satisfies
    task_runner=ThreadPoolTaskRunner(max_workers=MAX_FETCH_WORKERS),  # type: ignore[arg-type]
    log_prints=True,
)
def daily_monitor(config_path: str = "schoolwatch.toml", send: bool = True, parts: int = 1) -> dict:
    """One full cycle: collect, analyse, store, alert, digest. Source failures don't fail it.

    `parts` > 1 cuts fetching and analysis into that many tasks, for a task runner that spreads
    them (`schoolwatch run --task-runner dask`); the flow itself is the one writer.
    """
    logger = get_run_logger()
    private_files()  # also when a Prefect worker runs the flow, not the schoolwatch command
    cfg = load_config(config_path)
    # the file is first opened when the run needs it: fetching does not wait for it
    warehouse = Warehouse.from_config(cfg.warehouse, migrate=False, on_wait=logger.warning)
    started_at = datetime.now(UTC)
    summary = RunSummary(run_id=f"run-{started_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}")

    results = collect(cfg, warehouse, parts)
    posts = [p for r in results for p in r.posts]
    schools = {s.id: s for s in cfg.schools}
    assessments = analyse_in_parts(posts, schools, parts) if parts > 1 else analyse(posts, schools)
    assessments = apply_escalation(posts, assessments, warehouse)
    retention = cfg.warehouse.retention_days
    stored = store(warehouse, summary.run_id, started_at, results, posts, assessments, retention)

    summary.sources_ok = sum(r.status == "ok" for r in results)
    summary.sources_not_modified = sum(r.status == "not_modified" for r in results)
    summary.sources_failed = [
        f"{r.school_id}/{r.source_id}: {r.error}" for r in results if r.status == "failed"
    ]
    summary.posts_fetched = len(posts)
    summary.mentions = sum(a.mentions for a in assessments)
    summary.new_posts = stored.new_posts
    summary.new_versions = stored.new_versions
    summary.new_flagged = stored.new_flagged
    for a in assessments:
        if a.mentions and a.severity != "none":
            summary.flagged_by_severity[a.severity] = (
                summary.flagged_by_severity.get(a.severity, 0) + 1
            )
    summary.purged = stored.purged
    try:
        warehouse.snapshot(cfg.warehouse.snapshots, cfg.warehouse.snapshot_permissions)
    except WarehouseError as e:  # analysts' copies are late; the alerts and digest still go
        logger.warning("Parquet snapshots not written: %s", e)

    if send:
        for school in cfg.schools:
            sent, failed = send_alerts_for(cfg, warehouse, school, config_path)
            summary.alerts_sent += sent
            summary.delivery_failed += failed
        digests = send_digest(config_path)
        summary.digests = digests["delivered"]
        summary.delivery_failed += digests["failed"]
    logger.info(
        "run %s: %d mentions, %d new posts, %d new flagged, %d sources failed",
        summary.run_id,
        summary.mentions,
        summary.new_posts,
        summary.new_flagged,
        len(summary.sources_failed),
    )
    return summary.as_dict()
