"""The removal stage of a run: re-check the posts SLT reported, record what each check found.

After an action at rung 2 or higher on a case (report it, ask for removal), every later run
re-checks the case's posts (`sources.recheck`) until a check finds a post removed or the case
is closed. The warehouse is read once, briefly, and written once; the fetching in between holds
no lock. This stage never fails a run: a warehouse that cannot be read or written is a warning,
and the next run checks again.
"""

from __future__ import annotations

from collections import Counter

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from schoolwatch.config import Config, SourceConfig
from schoolwatch.errors import WarehouseError
from schoolwatch.models import RemovalTarget
from sources.http import HttpClient
from sources.recheck import recheck
from warehouse import Warehouse


@task(name="recheck-reported", cache_policy=NO_CACHE)
def recheck_reported(
    cfg: Config, warehouse: Warehouse, run_id: str, targets: list[RemovalTarget]
) -> dict[str, int]:
    """Re-check the reported posts `targets`; returns how many checks found each status
    (`still_online`, `removed`, `unknown`)."""
    logger = get_run_logger()
    sources: dict[tuple[str, str], SourceConfig] = {
        (school.id, source.id): source for school in cfg.schools for source in school.sources
    }
    with HttpClient(cfg.http) as client:
        checks = recheck(targets, client, sources)
    for c in checks:
        if c.status != "still_online":
            logger.info("reported post %s (%s): %s, %s", c.post_id, c.case_id, c.status, c.reason)
    try:
        warehouse.record_removal_checks(checks, run_id)
    except WarehouseError as e:
        logger.warning("re-checks of reported posts not recorded: %s", e)
        return {}
    counts: Counter[str] = Counter(c.status for c in checks)
    logger.info(
        "re-checked %d reported posts: %d still online, %d removed, %d unknown",
        len(checks),
        counts["still_online"],
        counts["removed"],
        counts["unknown"],
    )
    return dict(counts)


def check_removals(cfg: Config, warehouse: Warehouse, run_id: str) -> dict[str, int]:
    """Run the stage inside the flow; an unexpected failure is logged, not raised. On most days
    no post awaits a check: then no task runs (each costs Prefect's API a few round trips)."""
    try:
        targets = warehouse.removal_targets()
    except WarehouseError as e:
        get_run_logger().warning("reported posts not re-checked: %s", e)
        return {}
    if not targets:
        return {}
    state = recheck_reported(cfg, warehouse, run_id, targets, return_state=True)
    if state.is_completed():
        return state.result()
    get_run_logger().warning("reported posts not re-checked: %s", state.message)
    return {}
