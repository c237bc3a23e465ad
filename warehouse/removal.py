"""Removal tracking: which reported posts to re-check, their checks, and those still online.

A post is reported when SLT record an action at rung 2 or higher (report and hide, and every
rung above it asks for removal) on its case after it joined the case. From the next run on,
each run re-checks every post of such a case until a check finds it `removed` or the case is
closed. `posts_still_online` is what the digest and the case board list: reported more than
48 hours ago and seen online since then.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import duckdb

from schoolwatch.models import PostRemoval, RemovalCheck, RemovalTarget, StillOnline
from warehouse.connection import insert_rows
from warehouse.records import FLAGGED_ITEM_COLUMNS, FLAGGED_ITEM_FROM, flagged_item, utc

REPORTED_RUNG = 2  # report_and_hide: the first rung that asks the site to remove the post
STILL_ONLINE_AFTER = timedelta(hours=48)

_CHECK_COLUMNS = (
    "school_id",
    "post_id",
    "case_id",
    "run_id",
    "url",
    "checked_at",
    "status",
    "reason",
    "http_status",
    "etag",
    "last_modified",
)


def removal_targets(con: duckdb.DuckDBPyConnection) -> list[RemovalTarget]:
    """Every post to re-check now: on an open case with an action at rung >= 2, and not found
    `removed` by an earlier check. A post last seen online carries that response's validators."""
    rows = con.execute(
        """
        SELECT r.school_id, r.post_id, r.case_id, p.source_id, p.url, p.title, p.text,
               CASE WHEN last.status = 'still_online' THEN last.etag END,
               CASE WHEN last.status = 'still_online' THEN last.last_modified END
        FROM post_removal r
        JOIN posts p USING (school_id, post_id)
        LEFT JOIN (SELECT * FROM removal_checks
                   QUALIFY row_number() OVER (PARTITION BY school_id, post_id
                                              ORDER BY checked_at DESC, check_id DESC) = 1
                  ) last USING (school_id, post_id)
        WHERE r.case_status = 'open' AND r.removed_at IS NULL
        ORDER BY r.school_id, r.case_id, p.first_seen_at, r.post_id
        """
    ).fetchall()
    return [RemovalTarget(*row) for row in rows]


def record_checks(
    con: duckdb.DuckDBPyConnection, run_id: str | None, checks: Sequence[RemovalCheck]
) -> int:
    """Add one row per check; returns how many."""
    rows = [
        (
            c.school_id,
            c.post_id,
            c.case_id,
            run_id,
            c.url,
            c.checked_at,
            c.status,
            c.reason,
            c.http_status,
            c.etag,
            c.last_modified,
        )
        for c in checks
    ]
    insert_rows(con, "removal_checks", _CHECK_COLUMNS, rows)
    return len(rows)


def posts_still_online(
    con: duckdb.DuckDBPyConnection,
    school_id: str,
    now: datetime,
    after: timedelta = STILL_ONLINE_AFTER,
) -> list[StillOnline]:
    """Posts of the school's open cases reported more than `after` before `now` and found online
    by a check made at least `after` after the report, none having found them removed since;
    oldest report first.

    A check that failed since (status `unknown`: a timeout, a 5xx) does not hide a post seen
    online: the latest check's status and reason come with it.
    """
    rows = con.execute(
        f"""
        SELECT {FLAGGED_ITEM_COLUMNS}, r.reported_at, r.reported_rung, r.seen_online_at,
               r.last_checked_at, r.last_status, r.last_reason
        {FLAGGED_ITEM_FROM}
        JOIN post_removal r ON r.school_id = m.school_id AND r.post_id = m.post_id
        WHERE m.school_id = $1 AND r.case_status = 'open' AND r.removed_at IS NULL
          AND r.reported_at <= $2::TIMESTAMPTZ - $3::INTERVAL
          AND r.seen_online_at >= r.reported_at + $3::INTERVAL
          AND r.last_status IN ('still_online', 'unknown')
        ORDER BY r.reported_at, c.case_id, m.first_seen_at, m.post_id
        """,
        [school_id, now, after],
    ).fetchall()
    out = []
    for row in rows:
        item, (reported, rung, seen, checked, status, reason) = row[:-6], row[-6:]
        out.append(
            StillOnline(
                item=flagged_item(item),
                reported_at=utc(reported),
                reported_rung=rung,
                seen_online_at=utc(seen),
                checked_at=utc(checked),
                status=status,
                reason=reason,
            )
        )
    return out


def case_removal(con: duckdb.DuckDBPyConnection, case_id: str) -> list[PostRemoval]:
    """Each post of the case with its report and latest check; empty when the case has no
    action at rung 2 or higher."""
    rows = con.execute(
        "SELECT school_id, post_id, case_id, url, reported_at, reported_rung, last_checked_at, "
        "last_status, last_reason, last_http_status, seen_online_at, removed_at "
        "FROM post_removal WHERE case_id = $1 ORDER BY post_id",
        [case_id],
    ).fetchall()
    times = (4, 6, 10, 11)
    return [PostRemoval(*(utc(v) if i in times else v for i, v in enumerate(r))) for r in rows]
