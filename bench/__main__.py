"""`make bench`: every performance figure of the project against its target, in one run.

    uv run python -m bench [--quick] [--out .bench/results.json]

Figures, not pass/fail: timed assertions belong here, never in unit tests. Each figure that
has a reference is measured in the same run as it (a run beyond a trivial Prefect flow, all
cores against one, Arrow against list parameters), so the comparison holds on a busy machine;
a CPU reference loop is timed first to say how busy it was. A suite that fails is reported
and the others still run. `--quick` (a few minutes) is for development; the full run takes
under ten minutes on a quiet 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import backfill, cores, fixed_cost, warehouse_rate
from bench.corpus import Corpus
from bench.figures import Figure

ROOT = Path(__file__).resolve().parent.parent
CPU_REFERENCE_ADDS = 5_000_000  # ~0.3 s on an idle core of this class


def cpu_reference() -> Figure:
    """Seconds for a fixed pure-Python loop: how loaded the machine was during this bench."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        total = 0
        for i in range(CPU_REFERENCE_ADDS):
            total += i
        best = min(best, time.perf_counter() - t0)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return Figure("CPU reference (5 M additions)", best, "s", note=f"load average {load}")


def whole_runs(quick: bool) -> list[Figure]:
    """A trivial flow, one source (first, daily, unchanged), 200 sources cold and unchanged
    (bench/fixed_cost.py)."""
    f = fixed_cost.measure_fixed_cost(1 if quick else 2)
    beyond = f.beyond()
    runs = "1 run" if quick else "median of 2"
    return [
        Figure("trivial Prefect flow (Prefect's floor)", f.median("trivial"), "s", note=runs),
        Figure("one-source daily run", f.median("one_source"), "s", note=f"{runs}; one new post"),
        Figure(
            "one-source daily run beyond the trivial flow",
            beyond["one_source_beyond_trivial_s"],
            "s",
            fixed_cost.TARGET_ONE_S,
            at_most=True,
            note="existing warehouse, one new post",
        ),
        Figure(
            "one-source first run beyond the trivial flow",
            beyond["one_first_beyond_trivial_s"],
            "s",
            fixed_cost.TARGET_ONE_S,
            at_most=True,
            note=f"empty warehouse; first run {f.median('one_first'):.1f} s",
        ),
        Figure(
            "new machine's one-source run beyond trivial",
            beyond["one_new_machine_beyond_trivial_s"],
            "s",
            note=f"no compiled expressions cached yet; {f.median('one_new'):.1f} s",
        ),
        Figure(
            "200 sources cold beyond one-source first run",
            beyond["cold_200_beyond_one_source_s"],
            "s",
            fixed_cost.TARGET_COLD_S,
            at_most=True,
            note=f"cold run {f.median('cold'):.1f} s",
        ),
        Figure(
            "200 sources unchanged beyond one unchanged",
            beyond["rerun_200_beyond_one_source_s"],
            "s",
            fixed_cost.TARGET_RERUN_S,
            at_most=True,
            note=f"re-run {f.median('rerun'):.1f} s; one source {f.median('one_rerun'):.1f} s",
        ),
        Figure(
            "200 sources: mentions stored, each once",
            min(f.mentions_stored),
            "posts",
            f.mentions_expected,
            exactly=True,
            note=f"every cold run: {f.mentions_stored}",
        ),
    ]


def every_core(quick: bool) -> list[Figure]:
    """Analysis on one core and on all cores, same posts, same run (bench/cores.py)."""
    f = cores.measure_cores(500 if quick else 2000, 1 if quick else 3)
    return [
        Figure(
            "analysis, one core (CPU time)",
            f.one_core_cpu_posts_s,
            "posts/s",
            cores.TARGET_ONE_CORE,
            note=f"wall time {f.one_core_posts_s:,.0f} posts/s; {f.posts} posts of "
            f"{f.words:.0f} words, best of {f.repeat}",
        ),
        Figure(f"analysis, {f.cores} cores", f.all_cores_posts_s, "posts/s"),
        Figure(
            "analysis, all cores against one",
            f.ratio,
            "x",
            cores.TARGET_RATIO,
            note=f"outputs identical: {f.identical}",
        ),
    ]


def warehouse(quick: bool) -> list[Figure]:
    """Rows per second of a run's store step (bench/warehouse_rate.py)."""
    corpus = Corpus(backfill.DISTINCT)
    posts, repeat, history = (2000, 3, 20_000) if quick else (5000, 3, 50_000)
    return warehouse_rate.measure(posts, repeat, corpus, history)


def back_fill(quick: bool) -> list[Figure]:
    """Peak RSS of a back-fill in batches, in its own process (bench/backfill.py)."""
    return backfill.measure(20_000 if quick else 100_000)


SUITES: list[tuple[str, Callable[[bool], list[Figure]]]] = [
    ("whole runs against Prefect's floor", whole_runs),
    ("analysis on every core", every_core),
    ("warehouse writes", warehouse),
    ("back-fill memory", back_fill),
]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller, single measurements")
    parser.add_argument("--out", type=Path, default=ROOT / ".bench" / "results.json")
    parser.add_argument(
        "--only", metavar="NAME", help="run only the suites whose title contains NAME"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    reference = cpu_reference()
    print(f"schoolwatch bench{' (quick)' if args.quick else ''}, {platform.node()}")
    print(reference.line())
    figures, errors = [reference], {}
    for title, suite in SUITES:
        if args.only and args.only not in title:
            continue
        print(f"\n{title}")
        t0 = time.perf_counter()
        try:
            measured = suite(args.quick)
        except Exception as e:  # one suite's failure is reported; the others still run
            errors[title] = f"{type(e).__name__}: {e}"
            print(f"  not measured: {errors[title]}")
            continue
        for figure in measured:
            print("  " + figure.line())
        print(f"  ({time.perf_counter() - t0:.0f} s)")
        figures += measured
    took = time.perf_counter() - started
    missed = [f.name for f in figures if f.holds is False]
    print(f"\n{len(figures)} figures in {took:.0f} s; targets missed: {len(missed)}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    results = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "cores": os.cpu_count(),
        "seconds": round(took, 1),
        "figures": [f.as_dict() for f in figures],
        "not_measured": errors,
    }
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
