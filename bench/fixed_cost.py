"""Whole `schoolwatch run --no-send` processes against Prefect's own floor, in the same run.

    uv run python -m bench.fixed_cost [--repeat 3] [--server] [--code DIR] [--no-bytecode]

Each repeat runs, one after another, as separate processes sharing one warm PREFECT_HOME and
one cache of compiled expressions (`analysis/regex_cache.py`), both warmed by a trivial flow and
a one-source run before the clock starts (as a school's machine has run flows before):

    trivial       a trivial one-task Prefect flow (`bench/trivial.py`): Prefect's floor
    one_first     one source into an empty warehouse (the first run in a new directory)
    one_new       the same, on a new machine: an empty cache of compiled expressions too
    one_source    the same source the next day: the warehouse exists, the feed has one new post
                  (a school's daily run: conditional GET answered 200, every post of the feed
                  assessed, the new one stored)
    one_rerun     the same source again, unchanged (304)
    cold          200 sources into an empty warehouse
    rerun         the same 200 sources again, every one unchanged (304)

The figures are medians of the repeats; what the issue's targets compare is each run *beyond*
its reference, each pair timed in the same repeat, so a busy machine inflates both sides alike.
Each reference is the one-source run in the same state as the run it is compared with: a
school's daily run (`one_source`) against the trivial flow; 200 sources into an empty
warehouse against one source into an empty warehouse (`one_first`); 200 unchanged sources
against one unchanged source (`one_rerun`). So each difference is what the extra sources cost,
not the difference between a new warehouse and an existing one.

With `--server`, the trivial flow and the one-source run are timed again against a running
`prefect server start` (PREFECT_API_URL set), which is how `schoolwatch serve` runs the
scheduled flows: no API to start in the run's own process.

`--code DIR` times the schoolwatch code in DIR (say `git archive <commit> | tar -x -C DIR`)
with this bench and this environment: how docs/performance.md gets its "before" figures.
`--no-bytecode` makes every process compile its imports from source, as a machine without
`.pyc` files does (PYTHONDONTWRITEBYTECODE set and an environment installed without
`--compile-bytecode`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from bench.fixture_sites import FixtureSites, serve_sites

ROOT = Path(__file__).resolve().parent.parent
TARGET_ONE_S = 2.0  # one-source run beyond a trivial flow
TARGET_COLD_S = 8.0  # 200 sources cold beyond a one-source run
TARGET_RERUN_S = 1.0  # 200 unchanged sources beyond a one-source run
SERVER_PORT = 4291
RUNS = ("trivial", "one_new", "one_first", "one_source", "one_rerun", "cold", "rerun")


@dataclass
class FixedCostFigures:
    """Wall seconds of each kind of process, one list entry per repeat."""

    trivial: list[float] = field(default_factory=list)
    one_first: list[float] = field(default_factory=list)
    one_new: list[float] = field(default_factory=list)
    one_source: list[float] = field(default_factory=list)
    one_rerun: list[float] = field(default_factory=list)
    cold: list[float] = field(default_factory=list)
    rerun: list[float] = field(default_factory=list)
    server_trivial: list[float] = field(default_factory=list)
    server_one_source: list[float] = field(default_factory=list)
    mentions_expected: int = 0
    mentions_stored: list[int] = field(default_factory=list)

    def median(self, name: str) -> float:
        values: list[float] = getattr(self, name)
        return statistics.median(values) if values else float("nan")

    def _paired(self, run: str, reference: str) -> float:
        """Median over repeats of run minus reference, each pair timed back to back."""
        pairs = zip(getattr(self, run), getattr(self, reference), strict=True)
        return statistics.median(a - b for a, b in pairs)

    def beyond(self) -> dict[str, float]:
        """The issue's three differences, each against its own reference in the same repeat
        (and the first run's, beside the daily one's)."""
        return {
            "one_source_beyond_trivial_s": self._paired("one_source", "trivial"),
            "one_first_beyond_trivial_s": self._paired("one_first", "trivial"),
            "one_new_machine_beyond_trivial_s": self._paired("one_new", "trivial"),
            "cold_200_beyond_one_source_s": self._paired("cold", "one_first"),
            "rerun_200_beyond_one_source_s": self._paired("rerun", "one_rerun"),
        }

    def as_dict(self) -> dict[str, object]:
        """Every repeat's seconds and the differences, for `.bench/results.json`."""
        return {**asdict(self), **self.beyond()}


@dataclass(frozen=True)
class Setup:
    """What the processes run: whose code, and whether they may read `.pyc` files."""

    code: Path = ROOT
    no_bytecode_dir: Path | None = None  # an empty pycache prefix: no .pyc is found


def _env(setup: Setup, home: Path, cache: Path, api_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(
        PREFECT_HOME=str(home),
        SCHOOLWATCH_CACHE_DIR=str(cache),
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="90",
        PREFECT_SERVER_LOGGING_LEVEL="CRITICAL",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        PYTHONPATH=str(setup.code),
    )
    if setup.no_bytecode_dir is not None:
        env["PYTHONPYCACHEPREFIX"] = str(setup.no_bytecode_dir)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def _timed(command: Sequence[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    cwd = env["PYTHONPATH"]
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
    took = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-2000:]}")
    return took, done.stdout


# bench/trivial.py's flow, inline, so that it runs beside any version of the code
TRIVIAL_FLOW = """
from prefect import flow, task
one = task(name="trivial-task")(lambda: 1)
flow(name="trivial-flow")(lambda: one())()
"""
TRIVIAL = [sys.executable, "-c", TRIVIAL_FLOW]


def _run(config: Path) -> list[str]:
    return [sys.executable, "-m", "flows.cli", "run", "--no-send", "--config", str(config)]


def _mentions(stdout: str) -> int:
    for line in stdout.splitlines():
        if "new posts stored:" in line:
            return int(line.split(":")[1].split(",")[0])
    return -1


def measure_fixed_cost(
    repeat: int = 3, *, server: bool = False, setup: Setup | None = None
) -> FixedCostFigures:
    """Run the processes described in the module docstring; `repeat` of each."""
    setup = setup or Setup()
    figures = FixedCostFigures()
    with (
        tempfile.TemporaryDirectory() as tmp_name,
        serve_sites() as trust,
        serve_sites(1, 1, 25, hosts=1) as one,
    ):
        tmp = Path(tmp_name)
        if setup.no_bytecode_dir is not None:
            setup = replace(setup, no_bytecode_dir=tmp / "no-pycache")
        env = _env(setup, tmp / "prefect", tmp / "cache")
        figures.mentions_expected = trust.expected_mentions
        _timed(TRIVIAL, env)  # the first flow in a fresh PREFECT_HOME creates its database
        _timed(_run(one.write_config(tmp / "warm-up")), env)  # and the first run, the cache
        for r in range(repeat):
            figures.trivial.append(_timed(TRIVIAL, env)[0])
            new_machine = {**env, "SCHOOLWATCH_CACHE_DIR": str(tmp / f"new-cache-{r}")}
            figures.one_new.append(_timed(_run(one.write_config(tmp / f"new-{r}")), new_machine)[0])
            one_config = one.write_config(tmp / f"one-{r}")
            figures.one_first.append(_timed(_run(one_config), env)[0])
            one.change(1)  # the next day: one new post
            figures.one_source.append(_timed(_run(one_config), env)[0])
            figures.one_rerun.append(_timed(_run(one_config), env)[0])
            config = trust.write_config(tmp / f"trust-{r}")
            took, out = _timed(_run(config), env)
            figures.cold.append(took)
            figures.mentions_stored.append(_mentions(out))
            figures.rerun.append(_timed(_run(config), env)[0])
        if server:
            _with_server(figures, setup, tmp, one, repeat)
    return figures


def _with_server(
    figures: FixedCostFigures, setup: Setup, tmp: Path, one: FixtureSites, repeat: int
) -> None:
    from flows.local_server import LocalServer

    local = LocalServer(tmp / "server-home", SERVER_PORT)
    local.start()
    try:
        env = _env(setup, tmp / "server-home", tmp / "cache", local.api_url)
        _timed(TRIVIAL, env)
        for r in range(repeat):
            figures.server_trivial.append(_timed(TRIVIAL, env)[0])
            config = one.write_config(tmp / f"server-one-{r}")
            _timed(_run(config), env)  # the first run; then the daily run, as without a server
            one.change(1)
            figures.server_one_source.append(_timed(_run(config), env)[0])
    finally:
        local.stop()


def _verdict(value: float, target: float) -> str:
    return "holds" if value <= target else "misses"


def report(f: FixedCostFigures) -> list[str]:
    b = f.beyond()
    lines = [
        f"trivial Prefect flow   {f.median('trivial'):6.2f} s  (Prefect's floor, median)",
        f"one source, daily run  {f.median('one_source'):6.2f} s  "
        f"beyond the floor {b['one_source_beyond_trivial_s']:5.2f} s  target <= {TARGET_ONE_S:g} s"
        f"  {_verdict(b['one_source_beyond_trivial_s'], TARGET_ONE_S)}",
        f"one source, first run  {f.median('one_first'):6.2f} s  "
        f"beyond the floor {b['one_first_beyond_trivial_s']:5.2f} s  target <= {TARGET_ONE_S:g} s"
        f"  {_verdict(b['one_first_beyond_trivial_s'], TARGET_ONE_S)}",
        f"one source, new machine{f.median('one_new'):6.2f} s  "
        f"beyond the floor {b['one_new_machine_beyond_trivial_s']:5.2f} s  (first run, "
        "no compiled expressions cached yet)",
        f"one source, unchanged  {f.median('one_rerun'):6.2f} s",
        f"200 sources, cold      {f.median('cold'):6.2f} s  "
        f"beyond one source's first run {b['cold_200_beyond_one_source_s']:5.2f} s  "
        f"target <= {TARGET_COLD_S:g} s  "
        f"{_verdict(b['cold_200_beyond_one_source_s'], TARGET_COLD_S)}",
        f"200 sources, unchanged {f.median('rerun'):6.2f} s  "
        f"beyond one unchanged source {b['rerun_200_beyond_one_source_s']:5.2f} s  "
        f"target <= {TARGET_RERUN_S:g} s  "
        f"{_verdict(b['rerun_200_beyond_one_source_s'], TARGET_RERUN_S)}",
        f"mentions stored        {f.mentions_stored} of {f.mentions_expected} each cold run",
        "each repeat, seconds:  "
        + "; ".join(f"{name} {', '.join(f'{v:.1f}' for v in getattr(f, name))}" for name in RUNS),
    ]
    if f.server_trivial:
        lines += [
            f"under a running server: trivial flow {f.median('server_trivial'):.2f} s, "
            f"one-source run {f.median('server_one_source'):.2f} s "
            f"(saves {f.median('one_source') - f.median('server_one_source'):.2f} s a run)"
        ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fixed_cost", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--server", action="store_true", help="also under a running server")
    parser.add_argument("--code", type=Path, default=ROOT, help="the schoolwatch code to time")
    parser.add_argument("--no-bytecode", action="store_true", help="no .pyc files")
    args = parser.parse_args()
    setup = Setup(args.code.resolve(), Path() if args.no_bytecode else None)
    figures = measure_fixed_cost(args.repeat, server=args.server, setup=setup)
    print("\n".join(report(figures)))
    print(json.dumps(figures.as_dict()))


if __name__ == "__main__":
    main()
