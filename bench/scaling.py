"""Wall time of whole runs against the number of sources: the curve in docs/scaling.md.

    uv run python -m bench.scaling [--sizes 50,100,200,400] [--runners threads,dask]

For each size, a fresh warehouse and `schoolwatch run --no-send` as its own process against
the fixture (bench/fixture_sites.py: 25 sources of 25 posts per school, 2, 4, 8 and 16
schools): the cold run, then the same sources again (every one answers 304). A trivial Prefect
flow is timed before each size, in the same PREFECT_HOME, so each run can be read beyond
Prefect's own floor on a machine whose load changes. With `--runners threads,dask`, each size
is also run with `--task-runner dask` (a LocalCluster of one worker process per core). Every
cold run must store each mention once: the count is checked against the fixture's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.fixture_sites import serve_sites

ROOT = Path(__file__).resolve().parent.parent
SOURCES_PER_SCHOOL = 25
TRIVIAL = [sys.executable, "-m", "bench.trivial"]


@dataclass(frozen=True)
class SizeFigures:
    sources: int
    runner: str
    trivial_s: float
    cold_s: float
    rerun_s: float
    mentions_expected: int
    mentions_stored: int

    @property
    def cold_beyond_trivial_s(self) -> float:
        return self.cold_s - self.trivial_s


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
        PREFECT_SERVER_LOGGING_LEVEL="CRITICAL",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
    )
    return env


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Wall seconds of one process, and its standard output; fails loudly if it fails."""
    t0 = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    took = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-600:]}")
    return took, done.stdout


def stored_mentions(stdout: str) -> int:
    """New posts stored, from the run's summary ("new posts stored: 971, ...")."""
    for line in stdout.splitlines():
        if "new posts stored:" in line:
            return int(line.split(":")[1].split(",")[0])
    return -1


def measure_size(sources: int, runner: str, env: dict[str, str], tmp: Path) -> SizeFigures:
    schools = max(1, sources // SOURCES_PER_SCHOOL)
    extra = ["--task-runner", "dask"] if runner == "dask" else []
    with serve_sites(schools=schools) as site:
        config = site.write_config(tmp / f"{runner}-{sources}")
        run = [sys.executable, "-m", "flows.cli", "run", "--config", str(config), "--no-send"]
        trivial, _ = timed(TRIVIAL, env)
        cold, out = timed(run + extra, env)
        rerun, _ = timed(run + extra, env)
        return SizeFigures(
            sources=len(site.sources),
            runner=runner,
            trivial_s=trivial,
            cold_s=cold,
            rerun_s=rerun,
            mentions_expected=site.expected_mentions,
            mentions_stored=stored_mentions(out),
        )


def measure(sizes: list[int], runners: list[str]) -> list[SizeFigures]:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = _env(tmp / "prefect")
        timed(TRIVIAL, env)  # the first flow in a fresh PREFECT_HOME creates its database
        return [measure_size(n, r, env, tmp) for n in sizes for r in runners]


def table(figures: list[SizeFigures]) -> list[str]:
    lines = [
        "| sources | runner | trivial flow | cold run | beyond trivial | unchanged re-run "
        "| mentions stored / expected |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for f in figures:
        lines.append(
            f"| {f.sources} | {f.runner} | {f.trivial_s:.1f} s | {f.cold_s:.1f} s | "
            f"{f.cold_beyond_trivial_s:.1f} s | {f.rerun_s:.1f} s | "
            f"{f.mentions_stored} / {f.mentions_expected} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__)
    parser.add_argument("--sizes", default="50,100,200,400", help="numbers of sources")
    parser.add_argument(
        "--runners", default="threads", help="task runners, comma-separated: threads, dask"
    )
    parser.add_argument("--out", type=Path, default=ROOT / ".bench" / "scaling.json")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    figures = measure(sizes, args.runners.split(","))
    print("\n".join(table(figures)))
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps([asdict(f) for f in figures], indent=2) + "\n")


if __name__ == "__main__":
    main()
