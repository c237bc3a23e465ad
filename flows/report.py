"""Plain-text output for the command line: tables, run summaries, case details."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TextIO

MAX_CELL = 60


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    text = " ".join(str(value).split())
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A fixed-width text table with a header rule, like a database shell prints."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = [
        " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)),
        "-+-".join("-" * w for w in widths),
    ]
    lines += [" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def print_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None
) -> None:
    out = out or sys.stdout
    print(format_table(columns, rows), file=out)


def _json_default(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    return str(v)


def print_rows(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fmt: str = "table",
    out: TextIO | None = None,
) -> None:
    """Query results as a table, CSV or JSON lines."""
    out = out or sys.stdout
    if fmt == "csv":
        w = csv.writer(out)
        w.writerow(columns)
        w.writerows(rows)
    elif fmt == "json":
        for row in rows:
            print(json.dumps(dict(zip(columns, row, strict=True)), default=_json_default), file=out)
    else:
        print_table(columns, rows, out)


def print_run_summary(summary: dict, out: TextIO | None = None) -> None:
    """What `schoolwatch run` did, in a few lines."""
    out = out or sys.stdout
    sev = summary.get("flagged_by_severity") or {}
    order = ["critical", "high", "medium", "low"]
    flagged = ", ".join(f"{sev[s]} {s}" for s in order if sev.get(s)) or "none"
    print(f"run {summary['run_id']}", file=out)
    print(
        f"  sources: {summary['sources_ok']} ok, {summary['sources_not_modified']} not modified, "
        f"{len(summary['sources_failed'])} failed",
        file=out,
    )
    for failure in summary["sources_failed"]:
        print(f"    failed {failure}", file=out)
    print(
        f"  posts fetched: {summary['posts_fetched']}, mentioning a school: {summary['mentions']}",
        file=out,
    )
    print(
        f"  new posts stored: {summary['new_posts']}, new versions: {summary['new_versions']}",
        file=out,
    )
    print(f"  flagged this run: {flagged}", file=out)
    print(f"  alerts sent: {summary['alerts_sent']}", file=out)
    for where in summary.get("digests") or []:
        print(f"  digest: {where}", file=out)


def print_case(detail: Any, out: TextIO | None = None) -> None:
    """A case with its posts and recorded actions."""
    out = out or sys.stdout
    if hasattr(detail, "render"):
        print(detail.render(), file=out)
    else:
        print(detail, file=out)
