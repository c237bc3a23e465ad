"""Reading and updating cases: the list SLT work from, actions taken, closing."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import duckdb

from schoolwatch.errors import WarehouseError
from schoolwatch.models import CaseAction
from warehouse.connection import one_row
from warehouse.records import (
    FLAGGED_ITEM_COLUMNS,
    FLAGGED_ITEM_FROM,
    Case,
    CaseDetail,
    flagged_item,
    utc,
)

CASE_SQL = """
SELECT c.case_id, c.school_id, c.site, c.author, c.status, c.opened_at, c.respond_by,
       c.closed_at,
       (SELECT count(*) FROM case_posts cp WHERE cp.case_id = c.case_id) AS posts,
       coalesce((SELECT arg_max(a.severity, CASE a.severity WHEN 'critical' THEN 4
                        WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END)
                 FROM case_posts cp JOIN current_assessments a USING (school_id, post_id)
                 WHERE cp.case_id = c.case_id), 'none') AS severity,
       coalesce((SELECT max(a.rung) FROM case_posts cp
                 JOIN current_assessments a USING (school_id, post_id)
                 WHERE cp.case_id = c.case_id), 0) AS rung,
       (SELECT arg_max(x.rung, x.action_id) FROM case_actions x
        WHERE x.case_id = c.case_id) AS last_action_rung,
       (SELECT max(x.recorded_at) FROM case_actions x WHERE x.case_id = c.case_id)
           AS last_action_at,
       coalesce((SELECT list(cp.post_id ORDER BY cp.added_at, cp.post_id) FROM case_posts cp
                 WHERE cp.case_id = c.case_id), []) AS post_ids
FROM cases c
"""


_TIMES = (5, 6, 7, 12)  # positions of the timestamps in a CASE_SQL row


def _case(row: tuple) -> Case:
    *fields, post_ids = row
    values = [utc(v) if i in _TIMES else v for i, v in enumerate(fields)]
    return replace(Case(*values), post_ids=tuple(post_ids))


def list_cases(
    con: duckdb.DuckDBPyConnection, school_id: str | None, status: str | None
) -> list[Case]:
    """Cases, most urgent (earliest `respond_by`) first; `status=None` lists every case."""
    if status not in (None, "open", "closed"):
        raise WarehouseError(f"unknown case status {status!r}; use 'open' or 'closed'")
    rows = con.execute(
        CASE_SQL + " WHERE ($1 IS NULL OR c.school_id = $1) AND ($2 IS NULL OR c.status = $2)"
        " ORDER BY c.respond_by, c.case_id",
        [school_id, status],
    ).fetchall()
    return [_case(r) for r in rows]


def get_case(con: duckdb.DuckDBPyConnection, case_id: str) -> Case:
    """One case; `WarehouseError` telling how to find the right id when there is none."""
    row = con.execute(CASE_SQL + " WHERE c.case_id = $1", [case_id]).fetchone()
    if row is None:
        raise WarehouseError(f"no case {case_id}; try 'schoolwatch cases list'")
    return _case(row)


def case_detail(con: duckdb.DuckDBPyConnection, case_id: str) -> CaseDetail:
    case = get_case(con, case_id)
    items = con.execute(
        f"SELECT {FLAGGED_ITEM_COLUMNS} {FLAGGED_ITEM_FROM} WHERE cp.case_id = $1 "
        "ORDER BY m.first_seen_at, m.post_id",
        [case_id],
    ).fetchall()
    closed_by, note = one_row(
        con, "SELECT closed_by, close_note FROM cases WHERE case_id = $1", [case_id]
    )
    return CaseDetail(
        case=case,
        items=tuple(flagged_item(r) for r in items),
        actions=tuple(actions(con, case_id)),
        close_note=note,
        closed_by=closed_by,
    )


def actions(con: duckdb.DuckDBPyConnection, case_id: str) -> list[CaseAction]:
    rows = con.execute(
        "SELECT case_id, rung, note, recorded_by, recorded_at FROM case_actions "
        "WHERE case_id = $1 ORDER BY action_id",
        [case_id],
    ).fetchall()
    return [CaseAction(c, rung, note, by, utc(when)) for c, rung, note, by, when in rows]


def record_action(
    con: duckdb.DuckDBPyConnection, case_id: str, rung: int, note: str, by: str, now: datetime
) -> CaseAction:
    """Record what SLT did at which rung of the ladder; the case must be open."""
    if not 0 <= rung <= 6:
        raise WarehouseError(f"rung must be 0 to 6 (monitor … police), not {rung}")
    case = get_case(con, case_id)
    if case.status != "open":
        raise WarehouseError(f"case {case_id} is closed; actions go on open cases")
    con.execute(
        "INSERT INTO case_actions (case_id, rung, note, recorded_by, recorded_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        [case_id, rung, note, by, now],
    )
    return CaseAction(case_id, rung, note, by, now)


def close_case(
    con: duckdb.DuckDBPyConnection, case_id: str, note: str, by: str, now: datetime
) -> Case:
    """Close an open case; the poster's next flagged post opens a new one."""
    case = get_case(con, case_id)
    if case.status != "open":
        raise WarehouseError(f"case {case_id} is already closed")
    con.execute(
        "UPDATE cases SET status = 'closed', closed_at = $2, closed_by = $3, close_note = $4 "
        "WHERE case_id = $1",
        [case_id, now, by, note],
    )
    return get_case(con, case_id)


def last_action_rungs(con: duckdb.DuckDBPyConnection, school_id: str) -> dict[tuple[str, str], int]:
    return last_action_rungs_by_school(con, [school_id])[school_id]


def last_action_rungs_by_school(
    con: duckdb.DuckDBPyConnection, school_ids: list[str]
) -> dict[str, dict[tuple[str, str], int]]:
    """`last_action_rungs` of many schools in one query (a trust's run asks for all at once)."""
    out: dict[str, dict[tuple[str, str], int]] = {s: {} for s in school_ids}
    rows = con.execute(
        "SELECT c.school_id, c.site, c.author, max(x.rung) FROM cases c "
        "JOIN case_actions x USING (case_id) "
        "WHERE c.school_id IN (SELECT unnest($1::VARCHAR[])) AND c.status = 'open' "
        "AND c.author <> '' GROUP BY ALL",
        [school_ids],
    ).fetchall()
    for school, site, author, rung in rows:
        out[school][(site, author)] = rung
    return out
