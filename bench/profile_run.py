"""Where a `schoolwatch run --no-send` spends its time, stage by stage.

    uv run python -m bench.profile_run                     # 200 sources: cold run, then re-run
    uv run python -m bench.profile_run --schools 1 --sources-per-school 1   # one source
    uv run python -m bench.profile_run --cprofile 25       # also the 25 heaviest functions
    uv run python -m bench.profile_run --process --schools 1 --sources-per-school 1
        # as `schoolwatch run --no-send` processes: the first run into an empty warehouse, the
        # next day's run (one new post), an unchanged re-run

The fixture (bench/fixture_sites.py) is served on 127.0.0.1 and the daily-monitor flow runs in
this process on Prefect's ephemeral API with a warm PREFECT_HOME (a trivial flow runs first, as
a school's machine has run flows before). Each stage is timed by wrapping the function that does
it, so the figures are wall-clock seconds of the real run:

    imports    `import prefect`, then the rest of `flows.daily` (our code and its libraries)
    prefect    the flow call minus its body: API start, flow-run bookkeeping, heartbeat, exit
    fetch      the whole fetch stage (`collect`): network waits overlapped in threads
      http     sum over sources of the HTTP request (can exceed `fetch`: threads overlap)
      parse    sum over sources of parsing the body into posts
    analyse    the analyse task: with the process pool, waiting for the workers' last answers
               (they assess each source's posts as it arrives, during fetch); `classify` is
               `assess_batch` inside it in code before that change
    escalate   looking up earlier actions for flagged authors
    store      the store task; `store_run` inside it, the retention purge inside that (the
               same write transaction)
    snapshot   the Parquet snapshots
    other      the rest of the flow body: Prefect's work on each task's parameters before
               the task starts, reading the config, the run's summary

With `--process`, each run goes through the command line (`flows.cli.main`, as `schoolwatch run`
does), and nothing starts Prefect's API before the first run: the first run's figures are those
of a new process (its `api start` is the wait for Prefect's ephemeral API server). The later
runs reuse that API and the loaded classifier, so they show only what a run does beyond those.

    api start  waiting for Prefect's ephemeral API server process to answer
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.fixture_sites import serve_sites

STAGES = (
    "imports:prefect",
    "imports:ours",
    "prefect",
    "  api start",
    "fetch",
    "  http",
    "  parse",
    "analyse",
    "  classify",
    "escalate",
    "store",
    "  store_run",
    "    purge",
    "snapshot",
    "other",
)
TOP_STAGES = ("fetch", "analyse", "escalate", "store", "snapshot")


class Timings:
    """Seconds per stage, added to from any thread."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - t0

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        """Replace `owner.attr` by a version that adds its wall time to `name`."""
        fn: Callable[..., Any] = getattr(owner, attr)

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.stage(name):
                return fn(*args, **kwargs)

        setattr(owner, attr, timed)


def _isolate_prefect(home: Path) -> None:
    os.environ["PREFECT_HOME"] = str(home)
    os.environ.pop("PREFECT_API_URL", None)
    from flows.prefect_env import apply_defaults

    apply_defaults()


def instrument(timings: Timings) -> Callable[..., Any]:
    """Import the flow with every stage wrapped; returns the flow to call."""
    with timings.stage("imports:prefect"):
        import prefect  # noqa: F401
    with timings.stage("imports:ours"):
        import flows.daily as daily
        import sources
        from warehouse import Warehouse, maintenance

    timings.wrap(daily, "collect", "fetch")
    # the code before the process pool called `assess_posts`, later code `assess_batch`; since
    # the workers assess during fetch, the analyse task is all there is
    for name in ("assess_batch", "assess_posts"):
        if hasattr(daily, name):
            timings.wrap(daily, name, "  classify")
            break
    timings.wrap(daily, "apply_escalation", "escalate")
    timings.wrap(Warehouse, "store_run", "  store_run")
    timings.wrap(maintenance, "purge", "    purge")
    timings.wrap(Warehouse, "snapshot", "snapshot")
    from prefect.server.api.server import SubprocessASGIServer

    timings.wrap(SubprocessASGIServer, "start", "  api start")

    timings.wrap(sources.HttpClient, "get", "  http")
    for kind in list(sources.PARSERS):
        parser = sources.PARSERS[kind]
        sources.PARSERS[kind] = _timed_fn(timings, parser, "  parse")
    for task_name, stage in (("analyse", "analyse"), ("store", "store")):
        task = getattr(daily, task_name)
        task.fn = _timed_fn(timings, task.fn, stage)
    body = daily.daily_monitor.fn
    daily.daily_monitor.fn = _timed_fn(timings, body, "flow body")
    return daily.daily_monitor


def _timed_fn(timings: Timings, fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        with timings.stage(name):
            return fn(*args, **kwargs)

    return timed


def trivial_flow_seconds() -> float:
    """Wall time of a one-task flow on the same API: Prefect's own floor in this process."""
    from bench.trivial import trivial_flow

    t0 = time.perf_counter()
    trivial_flow()
    return time.perf_counter() - t0


def run_once(flow: Callable[..., Any], config: Path, timings: Timings) -> dict[str, float]:
    """One run of the flow; the stage times of that run only."""
    before = dict(timings.seconds)
    t0 = time.perf_counter()
    summary = flow(config_path=str(config), send=False)
    total = time.perf_counter() - t0
    out = {k: v - before.get(k, 0.0) for k, v in timings.seconds.items()}
    out["prefect"] = total - out.get("flow body", 0.0)
    out["other"] = out.get("flow body", 0.0) - sum(out.get(k, 0.0) for k in TOP_STAGES)
    out["total"] = total
    out["mentions"] = summary["mentions"]
    out["new_posts"] = summary["new_posts"]
    return out


def run_cli(config: Path, timings: Timings) -> dict[str, float]:
    """One `schoolwatch run --no-send` through the command line; the stage times of that run."""
    import flows.cli
    import flows.daily

    if "flow call" not in timings.seconds:
        timings.wrap(flows.daily, "daily_monitor", "flow call")
        timings.seconds["flow call"] = 0.0
    before = dict(timings.seconds)
    t0 = time.perf_counter()
    code = flows.cli.main(["run", "--no-send", "--config", str(config)])
    total = time.perf_counter() - t0
    if code != 0:
        raise RuntimeError(f"schoolwatch run exited {code}")
    out = {k: v - before.get(k, 0.0) for k, v in timings.seconds.items()}
    out["prefect"] = out.get("flow call", 0.0) - out.get("flow body", 0.0)
    out["total"] = total
    return out


def _process_runs(args: argparse.Namespace, tmp: Path, timings: Timings) -> None:
    """The first run, the next day's run and an unchanged re-run, through the command line."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    trivial = [sys.executable, "-m", "bench.trivial"]
    subprocess.run(trivial, env=env, check=True, capture_output=True)  # a warm PREFECT_HOME
    with serve_sites(args.schools, args.sources_per_school, args.posts_per_source) as site:
        config = site.write_config(tmp / "run")
        print_breakdown("first run (new process, empty warehouse)", run_cli(config, timings))
        site.change(1)
        print_breakdown("next day's run (one new post)", run_cli(config, timings))
        print_breakdown("unchanged re-run", run_cli(config, timings))


def print_breakdown(label: str, figures: dict[str, float]) -> None:
    print(f"\n{label}: {figures['total']:.2f} s")
    for name in STAGES:
        if name == "  classify" and not figures.get(name):
            continue  # the pool assessed during fetch (or nothing was assessed)
        if name in figures:
            print(f"  {name:<16} {figures[name]:7.2f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_run", description=__doc__)
    parser.add_argument("--schools", type=int, default=8)
    parser.add_argument("--sources-per-school", type=int, default=25)
    parser.add_argument("--posts-per-source", type=int, default=25)
    parser.add_argument("--cprofile", type=int, metavar="N", default=0, help="top N functions")
    parser.add_argument(
        "--process", action="store_true", help="runs through the command line, API not started"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        _isolate_prefect(tmp / "prefect")
        timings = Timings()
        flow = instrument(timings)
        print(
            f"imports: prefect {timings.seconds['imports:prefect']:.2f} s, "
            f"ours beyond it {timings.seconds['imports:ours']:.2f} s"
        )
        if args.process:
            _process_runs(args, tmp, timings)
            return
        trivial_flow_seconds()  # first flow in a fresh PREFECT_HOME migrates its database
        print(f"trivial Prefect flow (warm): {trivial_flow_seconds():.2f} s")
        with serve_sites(args.schools, args.sources_per_school, args.posts_per_source) as site:
            config = site.write_config(tmp / "run")
            print(
                f"{len(site.sources)} sources, {site.posts} posts, "
                f"{site.expected_mentions} mention their school"
            )
            profiler = cProfile.Profile() if args.cprofile else None
            if profiler:
                profiler.enable()
            cold = run_once(flow, config, timings)
            if profiler:
                profiler.disable()
            print_breakdown("cold run", cold)
            print_breakdown("unchanged re-run", run_once(flow, config, timings))
            print(f"\nanswers: {site.counts()}")
        if profiler:
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(
                args.cprofile
            )


if __name__ == "__main__":
    main()
