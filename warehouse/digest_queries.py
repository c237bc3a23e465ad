"""What the digest and the alerts read, and marking what they sent (once per item)."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from schoolwatch.models import DaySentiment, DigestData, FlaggedItem, SourceHealth
from warehouse.connection import one_row
from warehouse.deadlines import UK
from warehouse.records import (
    ANSWERED_SQL,
    FLAGGED_ITEM_COLUMNS,
    FLAGGED_ITEM_FROM,
    SEVERITY_ORDER_SQL,
    flagged_item,
    utc,
)
from warehouse.removal import posts_still_online

HISTORY_DAYS = 30


def _items(con: duckdb.DuckDBPyConnection, where: str, params: list) -> list[FlaggedItem]:
    rows = con.execute(
        f"SELECT {FLAGGED_ITEM_COLUMNS} {FLAGGED_ITEM_FROM} WHERE m.severity <> 'none' "
        f"AND {where} ORDER BY {SEVERITY_ORDER_SQL} DESC, m.first_seen_at, m.post_id",
        params,
    ).fetchall()
    return [flagged_item(r) for r in rows]


def _not_sent(kind: str) -> str:
    return (
        "NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.school_id = m.school_id "
        f"AND d.post_id = m.post_id AND d.kind = '{kind}')"
    )


def pending_alerts(con: duckdb.DuckDBPyConnection, school_id: str) -> list[FlaggedItem]:
    """Flagged items of the school neither alerted nor digested yet.

    The digest stage decides which of them need an immediate alert (critical items and
    safeguarding matters); once an item has been in a digest it is no longer a candidate.
    """
    return _items(
        con,
        f"m.school_id = $1 AND m.severity <> 'none' AND {_not_sent('alert')} "
        f"AND {_not_sent('digest')}",
        [school_id],
    )


def mark_sent(
    con: duckdb.DuckDBPyConnection,
    school_id: str,
    post_ids: list[str],
    kind: str,
    recipients: list[str],
    sent_at: datetime,
) -> int:
    """Record that these posts went out; a post already marked keeps its first mark."""
    before = one_row(con, "SELECT count(*) FROM deliveries")[0]
    con.execute(
        "INSERT INTO deliveries (school_id, post_id, kind, sent_at, recipients) "
        "SELECT $1, post_id, $2, $3, $4 FROM (SELECT DISTINCT unnest($5::VARCHAR[]) AS post_id) "
        "ON CONFLICT DO NOTHING",
        [school_id, kind, sent_at, list(recipients), list(post_ids)],
    )
    return one_row(con, "SELECT count(*) FROM deliveries")[0] - before


def overdue(con: duckdb.DuckDBPyConnection, school_id: str, now: datetime) -> list[FlaggedItem]:
    """Open cases past `respond_by` that SLT have not answered: their latest post each.

    A case is answered when an action was recorded at or after its latest post joined it.
    """
    rows = con.execute(
        f"SELECT {FLAGGED_ITEM_COLUMNS} {FLAGGED_ITEM_FROM} "
        "WHERE m.school_id = $1 AND c.status = 'open' AND c.respond_by < $2 "
        f"AND NOT {ANSWERED_SQL.format(case='c.case_id')} "
        "QUALIFY row_number() OVER (PARTITION BY c.case_id "
        "                           ORDER BY m.first_seen_at DESC, m.post_id DESC) = 1 "
        "ORDER BY c.respond_by, c.case_id",
        [school_id, now],
    ).fetchall()
    return [flagged_item(r) for r in rows]


def history(
    con: duckdb.DuckDBPyConnection, school_id: str, now: datetime, days: int = HISTORY_DAYS
) -> list[DaySentiment]:
    """`days` days of `daily_sentiment` ending today (UK date), oldest first, gaps as zeros."""
    today = now.astimezone(UK).date()
    first = today - timedelta(days=days - 1)
    rows = con.execute(
        "SELECT day, mentions, mean_sentiment, negative_share, flagged FROM daily_sentiment "
        "WHERE school_id = $1 AND day BETWEEN $2 AND $3",
        [school_id, first, today],
    ).fetchall()
    by_day = {r[0]: r for r in rows}
    out = []
    for n in range(days):
        day = first + timedelta(days=n)
        if day in by_day:
            _, mentions, mean, negative, flagged = by_day[day]
            out.append(DaySentiment(day.isoformat(), mentions, mean, negative, flagged))
        else:
            out.append(DaySentiment(day.isoformat(), 0, None, None, 0))
    return out


def source_health(con: duckdb.DuckDBPyConnection, school_id: str) -> list[SourceHealth]:
    rows = con.execute(
        "SELECT school_id, source_id, last_run_at, last_status, last_error, "
        "consecutive_failures, items_last_run FROM source_health WHERE school_id = $1 "
        "ORDER BY source_id",
        [school_id],
    ).fetchall()
    return [
        SourceHealth(s, src, utc(when), status, err, fails, items)
        for s, src, when, status, err, fails, items in rows
    ]


def new_mentions(con: duckdb.DuckDBPyConnection, school_id: str, now: datetime) -> int:
    """Mentions first seen since the school's last digest (all of them before the first)."""
    return one_row(
        con,
        "SELECT count(*) FROM mentions WHERE school_id = $1 AND first_seen_at <= $2 "
        "AND first_seen_at > coalesce((SELECT max(sent_at) FROM digests WHERE school_id = $1),"
        " '-infinity'::TIMESTAMPTZ)",
        [school_id, now],
    )[0]


def last_digest_at(con: duckdb.DuckDBPyConnection, school_id: str) -> datetime | None:
    """When the school's last digest (empty or not) was sent, if ever."""
    return one_row(con, "SELECT max(sent_at) FROM digests WHERE school_id = $1", [school_id])[0]


def digest_data(
    con: duckdb.DuckDBPyConnection, school_id: str, school_name: str, now: datetime
) -> DigestData:
    return DigestData(
        school_id=school_id,
        school_name=school_name,
        generated_at=now,
        items=tuple(_items(con, f"m.school_id = $1 AND {_not_sent('digest')}", [school_id])),
        overdue=tuple(overdue(con, school_id, now)),
        history=tuple(history(con, school_id, now)),
        sources=tuple(source_health(con, school_id)),
        new_mentions=new_mentions(con, school_id, now),
        last_digest_at=last_digest_at(con, school_id),
        still_online=tuple(posts_still_online(con, school_id, now)),
    )


def mark_digested(
    con: duckdb.DuckDBPyConnection,
    school_id: str,
    post_ids: list[str],
    sent_at: datetime,
    recipients: list[str],
) -> int:
    """Mark the items of one sent digest; also records the digest itself."""
    n = mark_sent(con, school_id, post_ids, "digest", recipients, sent_at)
    con.execute(
        "INSERT INTO digests VALUES ($1, $2, $3, $4)", [school_id, sent_at, n, list(recipients)]
    )
    return n
