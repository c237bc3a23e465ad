"""Exporting a case's evidence bundle with the configured screen prints: one call for the
command line (`schoolwatch cases export`) and the case board alike."""

from __future__ import annotations

from pathlib import Path

from schoolwatch.config import Config
from sources.http import HttpClient, page_check
from warehouse import Warehouse
from warehouse.screenprint import ScreenPrinter


def export_case(
    cfg: Config,
    warehouse: Warehouse,
    case_id: str,
    out_dir: str | Path,
    *,
    screen_prints: bool = True,
) -> Path:
    """Write `out_dir/<case_id>.zip` and return its path (see `warehouse.evidence`).

    Screen prints follow `[evidence]` (Chromium, timeout, on or off; `screen_prints=False`
    turns them off for this export). Each page is first asked through schoolwatch's own HTTP
    client (User-Agent, robots.txt, timeouts from `[http]`): a page that does not answer
    gets no print, only the reason; an error status is recorded with the print.
    """
    ev = cfg.evidence
    detail = warehouse.case_detail(case_id)
    names = {s.id: s.name for s in cfg.schools}
    with HttpClient(cfg.http) as client:
        printer = ScreenPrinter.find(
            ev.chromium, timeout_s=ev.screenprint_timeout_s, check=page_check(client)
        )
        return warehouse.export_evidence(
            case_id,
            Path(out_dir),
            printer=printer,
            screen_prints=ev.screen_prints and screen_prints,
            school_name=names.get(detail.case.school_id, ""),
        )
