"""Spreading a run over Dask: `schoolwatch run --task-runner dask [--dask-address ADDR]`.

prefect-dask's `DaskTaskRunner` sends the run's fetch and analysis parts, one Prefect task run
each, to Dask workers: a `LocalCluster` started for the run (one worker process per core, a
few threads each for network waits), or an existing cluster at `--dask-address`. Workers
return their results to the flow; the flow process alone writes the warehouse (DuckDB takes
one writer). Sources are cut into parts by host, so one host is asked by one part, whose own
HTTP client keeps its `min_interval_s` spacing and robots.txt.

A worker process reports its task runs to the flow's Prefect API: the configured
`PREFECT_API_URL`, or the in-process API, which is started first so its address can be handed
to the workers. Workers of an existing cluster need `PREFECT_API_URL` set to a Prefect server
they can reach (docs/scaling.md).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # imported when a run asks for Dask: it costs every other run half a second
    from prefect_dask import DaskTaskRunner

T = TypeVar("T")

THREADS_PER_WORKER = 4  # fetch parts waiting on the network at once, per worker process
PARTS_PER_THREAD = 1  # fetch parts = worker threads; analysis parts the same (a few per process)


def prefect_api_url() -> str:
    """The Prefect API this process reports to; starts the in-process one when none is set."""
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL

    configured = PREFECT_API_URL.value()
    if configured:
        return str(configured)
    server = SubprocessASGIServer()  # the one the flow run itself will use
    server.start()
    return server.api_url


def dask_task_runner(
    address: str | None = None, *, workers: int | None = None, processes: bool = True
) -> DaskTaskRunner:
    """A `DaskTaskRunner` for the cluster at `address`, or for a new `LocalCluster` of
    `workers` processes (default: one per core) whose workers report to our Prefect API."""
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    env = {"PREFECT_API_URL": prefect_api_url()}
    for key, value in os.environ.items():  # our defaults (timeouts, quiet logs) for workers too
        if key.startswith("PREFECT_") and key not in env:
            env[key] = value
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": workers or os.cpu_count() or 1,
            "threads_per_worker": THREADS_PER_WORKER,
            "processes": processes,
            "dashboard_address": None,
            "silence_logs": logging.ERROR,  # workers starting and stopping are not news
            **({"env": env} if processes else {}),
        }
    )


def parts_for(workers: int | None) -> int:
    """How many parts to cut fetching and analysis into for a cluster of `workers` processes
    (an existing cluster's size is not known in advance: as for two workers)."""
    return max(2, (workers or 2) * THREADS_PER_WORKER * PARTS_PER_THREAD)


def by_key(items: Sequence[T], parts: int, key: Callable[[T], str]) -> list[list[T]]:
    """`items` cut into at most `parts` lists, items with the same key in the same list, the
    lists about even (largest key first into the shortest list); order kept within a key."""
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    out: list[list[T]] = [[] for _ in range(min(parts, len(groups)))]
    for group in sorted(groups.values(), key=len, reverse=True):
        min(out, key=len).extend(group)
    return out


def chunks(items: Sequence[T], parts: int) -> list[list[T]]:
    """`items` cut into at most `parts` consecutive lists of near-equal length."""
    if not items:
        return []
    size = -(-len(items) // max(parts, 1))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
