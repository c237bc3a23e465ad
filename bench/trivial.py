"""Prefect's own floor: a flow with one trivial task, run on the same API as ours.

    uv run python -m bench.trivial      # prints its wall time

What a one-source `schoolwatch run` costs beyond this is ours.
"""

from __future__ import annotations

import time

from prefect import flow, task


@task(name="trivial-task")
def _one() -> int:
    return 1


@flow(name="trivial-flow")
def trivial_flow() -> int:
    """One task, no I/O: the cost of starting the API, a flow run and a task run."""
    return _one()


if __name__ == "__main__":
    t0 = time.perf_counter()
    trivial_flow()
    print(f"trivial flow: {time.perf_counter() - t0:.2f} s")
