"""The `daily-monitor` flow: collect, analyse, store, alert, digest.

One task per stage, never one per source or per post (each task run costs the Prefect API
time): the fetch task overlaps the sources' network waits in threads, a host at a time per
thread. With `parts` > 1 (`schoolwatch run --task-runner dask`), fetching and analysis are
that many tasks instead, whole hosts per fetch part, spread over a Dask cluster. The flow body
is the whole story.

Fetching never waits for the warehouse: if another process holds the file when the run starts,
every source is fetched in full (no conditional GET) while the run waits for the file to store
what it found, logging who holds it every few seconds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import TypeVar, cast
from urllib.parse import urlsplit

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from analysis import ladder
from analysis.assess import assess_posts
from analysis.pool import AssessPool
from flows import scale_out
from flows.pipeline import AssessAsFetched
from flows.removal import check_removals
from schoolwatch.config import Config, HttpConfig, SchoolConfig, load_config
from schoolwatch.errors import FetchError, WarehouseError
from schoolwatch.files import private_files
from schoolwatch.models import Assessment, FetchResult, Post
from sources.collect import FetchJob, fetch_all, host_of
from sources.collect import failed as failed_fetch
from sources.http import HttpClient
from warehouse import StoreSummary, Warehouse

MAX_FETCH_WORKERS = 8  # requests in flight at once, each to a different host
VALIDATORS_WAIT_S = 1.0  # how long fetching waits for the last run's ETags before going without

T = TypeVar("T")


def whole(value: T) -> T:
    """`value` as a task parameter that Prefect passes on without looking inside.

    Prefect walks every parameter of a task run, item by item and field by field, twice (for
    upstream futures and states, and to record the run's inputs): for a run's 5,000 posts and
    their assessments that walk cost seconds before the task's first line. Our stages pass plain
    values, never futures, so there is nothing in them to find. The task receives `value` itself
    when it is called in the flow's process; not for `.submit` to a Dask cluster, whose task
    runner hands the wrapper itself to the task.
    """
    return cast(T, quote(value))


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
    # re-checks of posts SLT reported: how many found each status (still_online, removed, ...)
    removal_checks: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def fetch_time_limit(http: HttpConfig) -> float:
    """Seconds a fetch task may run: the client's own deadline (which bounds the network, retries
    included), then time to parse up to `max_bytes` (about 10 s per MB of hostile markup here).
    A last resort for what the client cannot interrupt, such as a DNS lookup that hangs."""
    return http.deadline_s + 30 + 15 * http.max_bytes / 1_000_000


# No task retries: the HTTP client retries within the source's deadline, the one place that
# knows how long the source has taken (retrying here too multiplied the attempts and the time).
@task(name="fetch-sources", cache_policy=NO_CACHE)
def fetch_sources(
    jobs: list[FetchJob],
    http: HttpConfig,
    on_result: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    """Fetch and parse every source: one task for the whole stage, the network waits overlapped
    in threads (a task run per source cost the Prefect API more than a 304 costs the network)."""
    limit = fetch_time_limit(http)
    with HttpClient(http) as client:
        return fetch_all(
            jobs, client, workers=MAX_FETCH_WORKERS, limit_s=limit, on_result=on_result
        )


def _collect_in_parts(jobs: list[FetchJob], http: HttpConfig, parts: int) -> list[FetchResult]:
    """`fetch_sources` once per part (on a Dask cluster), whole hosts per part, so each host is
    still asked by one client keeping its spacing and robots.txt; results in the order of `jobs`.
    A part whose task did not finish has each of its sources recorded as failed."""
    limit = fetch_time_limit(http)
    pending = []
    for part in scale_out.by_key(jobs, parts, key=lambda job: host_of(job.source.url)):
        # fetch_all gives up on each source after `limit`: this bound is a last resort
        fetch = fetch_sources.with_options(timeout_seconds=limit * len(part))
        pending.append((part, fetch.submit(part, http)))
    found: dict[tuple[str, str], FetchResult] = {}
    for part, future in pending:
        future.wait(limit * len(part) + 30)
        if future.state.is_completed():
            found.update({(r.school_id, r.source_id): r for r in future.result()})
            continue
        error = FetchError(f"the fetch task for these sources did not finish: {future.state.name}")
        found.update({(job.school_id, job.source.id): failed_fetch(job, error) for job in part})
    return [found[(job.school_id, job.source.id)] for job in jobs]


def _validators(warehouse: Warehouse) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """The last run's ETags, or none (every source fetched in full) while the file is busy."""
    try:
        return warehouse.validators(wait_s=VALIDATORS_WAIT_S)
    except WarehouseError as e:
        get_run_logger().warning("fetching every source in full meanwhile: %s", e)
        return {}


def collect(
    cfg: Config,
    warehouse: Warehouse,
    on_result: Callable[[FetchResult], None] | None = None,
    parts: int = 1,
) -> list[FetchResult]:
    """Fetch every configured source concurrently; failures come back as `failed` results.
    `on_result` sees each result as it arrives; `parts` > 1: in that many tasks (spread over a
    Dask cluster), where `on_result` is not called."""
    logger = get_run_logger()
    validators = _validators(warehouse)
    jobs = [
        FetchJob(school.id, source, *validators.get((school.id, source.id), (None, None)))
        for school in cfg.schools
        for source in school.sources
    ]
    if parts > 1:
        results = _collect_in_parts(jobs, cfg.http, parts)
    else:
        results = fetch_sources(whole(jobs), cfg.http, on_result)
    for r in results:
        if r.status == "failed":
            logger.warning("source %s/%s failed: %s", r.school_id, r.source_id, r.error)
    ok = [r for r in results if r.status == "ok"]
    logger.info(
        "fetched %d sources: %d ok (%d items), %d not modified, %d failed",
        len(results),
        len(ok),
        sum(len(r.posts) for r in ok),
        sum(r.status == "not_modified" for r in results),
        sum(r.status == "failed" for r in results),
    )
    return results


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
def analyse(results: list[FetchResult], stream: AssessAsFetched) -> list[Assessment]:
    """Match, score and classify every fetched post, in the order of `results` (pure; one task
    for the whole batch; on every core when the batch is big, where the workers began on each
    source's posts as it arrived and this gathers their answers)."""
    assessments = stream.assessments(results)
    get_run_logger().info(
        "analysed %d posts: %d mention a school",
        len(assessments),
        sum(a.mentions for a in assessments),
    )
    return assessments


def analyse_in_parts(
    posts: list[Post], schools: dict[str, SchoolConfig], parts: int
) -> list[Assessment]:
    """`analyse-part` in `parts` tasks run side by side (on a Dask cluster); the same
    assessments, in the same order, as one `analyse` task."""
    futures = [analyse_part.submit(chunk, schools) for chunk in scale_out.chunks(posts, parts)]
    return [a for future in futures for a in future.result()]


@task(name="analyse-part", cache_policy=NO_CACHE)
def analyse_part(posts: list[Post], schools: dict[str, SchoolConfig]) -> list[Assessment]:
    """One part of the batch, assessed in the Dask worker's own process: never a process pool
    inside a worker, whose cores the cluster already shares out."""
    return assess_posts(posts, schools)


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

    schools = {s.id: s for s in cfg.schools}
    if parts > 1:  # Dask workers fetch and analyse, each part in the worker's own process
        results = collect(cfg, warehouse, parts=parts)
        posts = [p for r in results for p in r.posts]
        assessments = analyse_in_parts(posts, schools, parts)
    else:
        # analysis worker processes start (and load the classifier) during fetching, once the
        # posts coming in make a batch big enough to be worth them, and from then on assess
        # each source's posts as they arrive
        pool = AssessPool()
        try:
            stream = AssessAsFetched(
                schools, pool, sources=sum(len(s.sources) for s in cfg.schools)
            )
            results = collect(cfg, warehouse, on_result=stream.fetched)
            posts = [p for r in results for p in r.posts]
            assessments = analyse(whole(results), stream)
        finally:
            pool.close()
    assessments = apply_escalation(posts, assessments, warehouse)
    retention = cfg.warehouse.retention_days
    stored = store(
        warehouse,
        summary.run_id,
        started_at,
        whole(results),
        whole(posts),
        whole(assessments),
        retention,
    )
    summary.removal_checks = check_removals(cfg, warehouse, summary.run_id)

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
        # delivery renders digests and charts (matplotlib): imported only by runs that send
        from flows.delivery import send_alerts_for, send_digest

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
