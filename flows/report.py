"""Plain-text output for the command line: tables, run summaries, case details."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from analysis.ladder import RUNGS
from schoolwatch.models import PostRemoval
from warehouse.erasure import Erasure

MAX_CELL = 60
LONDON = ZoneInfo("Europe/London")


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
        " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(),
        "-+-".join("-" * w for w in widths),
    ]
    lines += [
        " | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells
    ]
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


def print_json(value: Any, out: TextIO | None = None) -> None:
    """One JSON document, indented, non-ASCII kept."""
    print(
        json.dumps(value, indent=2, ensure_ascii=False, default=_json_default),
        file=out or sys.stdout,
    )


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
    print(f"  flagged among them: {flagged} ({summary['new_flagged']} newly flagged)", file=out)
    print(f"  alerts sent: {summary['alerts_sent']}", file=out)
    checks = summary.get("removal_checks") or {}
    if checks:
        print(
            f"  reported posts re-checked: {sum(checks.values())} "
            f"({checks.get('still_online', 0)} still online, {checks.get('removed', 0)} removed, "
            f"{checks.get('unknown', 0)} could not tell)",
            file=out,
        )
    for where in summary.get("digests") or []:
        print(f"  digest: {where}", file=out)
    for failure in summary.get("delivery_failed") or []:
        print(f"  not delivered (retried next run): {failure}", file=out)


def _when(moment: datetime | None) -> str:
    return moment.astimezone(LONDON).strftime("%a %d %b %Y %H:%M") if moment else "-"


def format_case(detail: Any) -> str:
    """A case as SLT read it: who, what, how urgent, what was done (times in UK time)."""
    c = detail.case
    rung = RUNGS.get(c.rung)
    lines = [
        f"{c.case_id}  {c.status.upper()}  {c.school_id}",
        f"  poster:      {c.author or '(no name)'} on {c.site}",
        f"  severity:    {c.severity}   recommended rung: {c.rung}"
        + (f" {rung.name} — {rung.action}" if rung else ""),
        f"  opened:      {_when(c.opened_at)}   respond by: {_when(c.respond_by)}",
        f"  posts ({len(detail.items)}):",
    ]
    for item in detail.items:
        lines.append(
            f"    - {_when(item.published_at or item.first_seen_at)}  "
            f"[{', '.join(item.categories) or 'none'}]  {item.url}"
        )
        lines.append(f"      {_cell(item.title + ' ' + item.text if item.title else item.text)}")
        for ev in item.evidence:
            lines.append(f'      evidence ({ev.category}): "{_cell(ev.text)}"')
    lines.append(f"  actions ({len(detail.actions)}):")
    for a in detail.actions:
        lines.append(f"    - {_when(a.recorded_at)}  rung {a.rung} by {a.by}: {a.note}")
    if c.status == "closed":
        lines.append(f"  closed {_when(c.closed_at)} by {detail.closed_by}: {detail.close_note}")
    else:
        lines.append(
            f"  record an action: schoolwatch cases action {c.case_id} --rung N "
            '--note "..." --by "..."'
        )
    return "\n".join(lines)


def print_case(detail: Any, out: TextIO | None = None) -> None:
    """A case with its posts and recorded actions."""
    out = out or sys.stdout
    print(format_case(detail), file=out)


def print_removal(posts: Sequence[PostRemoval], out: TextIO | None = None) -> None:
    """Whether each post of a reported case is still online, by the latest re-check."""
    if not posts:
        return
    out = out or sys.stdout
    print(f"  still online? ({len(posts)} posts re-checked after the report):", file=out)
    for p in posts:
        if p.last_status is None:
            found = "not checked yet (the next run checks it)"
        else:
            status = f"HTTP {p.last_http_status}, " if p.last_http_status else ""
            found = f"{p.last_status.replace('_', ' ')} ({status}{_when(p.last_checked_at)})"
            if p.last_status != "still_online":
                found += f": {p.last_reason}"
        print(f"    - {p.url}  {found}", file=out)


def print_erasure(result: Erasure, out: TextIO | None = None) -> None:
    """What `schoolwatch forget` erased, and which posts an open case still holds."""
    out = out or sys.stdout
    who = repr(result.author) + (f" on {result.site}" if result.site else "")
    if not result.erased and not result.held:
        alike = ", ".join(f"{a!r} on {s}" for a, s in result.similar)
        hint = f"; stored authors spelt alike: {alike}" if alike else ""
        print(f"no stored posts by {who}{hint}", file=out)
        return
    n = len(result.erased)
    print(f"erased {n} post{'s' if n != 1 else ''} by {who}", file=out)
    for post in result.erased:
        print(f"  erased  {post.school_id}  {post.url}", file=out)
    if result.cases_removed:
        print(f"closed cases left empty, removed: {', '.join(result.cases_removed)}", file=out)
    for post in result.held:
        print(f"  kept    {post.school_id}  {post.url}  held by open case {post.case_id}", file=out)
    if result.held:
        n = len(result.held)
        print(
            f"{n} post{'s' if n != 1 else ''} kept: an open case holds "
            f"{'them' if n != 1 else 'it'} as evidence; close the case "
            "(schoolwatch cases close), then run forget again",
            file=out,
        )
