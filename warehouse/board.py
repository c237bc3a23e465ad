"""The case board's records: one-time sign-in links, sessions, the audit log, and each stored
version of a case's posts for the case page.

Secrets never reach the file: callers pass the sha256 of a link's or session's token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from schoolwatch.models import PostRemoval, StillOnline
from warehouse import removal
from warehouse.cases import case_detail, list_cases
from warehouse.connection import one_row
from warehouse.records import CaseDetail, utc


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the board's audit log."""

    recorded_at: datetime
    email: str
    role: str
    event: str  # e.g. "signed_in", "viewed_safeguarding", "refused", "action", "closed"
    case_id: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PostVersion:
    """One stored version of a post, as fetched."""

    version: int
    fetched_at: datetime
    url: str
    sha256: str
    title: str
    text: str


def add_sign_in_link(
    con: duckdb.DuckDBPyConnection,
    email: str,
    token_sha256: str,
    now: datetime,
    expires_at: datetime,
    *,
    max_recent: int,
    since: datetime,
) -> bool:
    """Store a new link for `email` unless it already had `max_recent` links since `since`."""
    (recent,) = one_row(
        con,
        "SELECT count(*) FROM board_sign_in_links WHERE email = $1 AND created_at >= $2",
        [email, since],
    )
    if recent >= max_recent:
        return False
    con.execute(
        "INSERT INTO board_sign_in_links (token_sha256, email, created_at, expires_at) "
        "VALUES ($1, $2, $3, $4)",
        [token_sha256, email, now, expires_at],
    )
    return True


def use_sign_in_link(
    con: duckdb.DuckDBPyConnection,
    token_sha256: str,
    session_sha256: str,
    now: datetime,
    session_expires_at: datetime,
) -> str | None:
    """Spend an unexpired, unused link and start a session; the link's address, or None."""
    row = con.execute(
        "UPDATE board_sign_in_links SET used_at = $2 "
        "WHERE token_sha256 = $1 AND used_at IS NULL AND expires_at > $2 RETURNING email",
        [token_sha256, now],
    ).fetchone()
    if row is None:
        return None
    (email,) = row
    con.execute(
        "INSERT INTO board_sessions (session_sha256, email, created_at, expires_at) "
        "VALUES ($1, $2, $3, $4)",
        [session_sha256, email, now, session_expires_at],
    )
    return str(email)


def session_email(con: duckdb.DuckDBPyConnection, session_sha256: str, now: datetime) -> str | None:
    """The address of a live session (not ended, not expired), or None."""
    row = con.execute(
        "SELECT email FROM board_sessions WHERE session_sha256 = $1 AND ended_at IS NULL "
        "AND expires_at > $2",
        [session_sha256, now],
    ).fetchone()
    return None if row is None else str(row[0])


def end_session(con: duckdb.DuckDBPyConnection, session_sha256: str, now: datetime) -> None:
    con.execute(
        "UPDATE board_sessions SET ended_at = $2 WHERE session_sha256 = $1 AND ended_at IS NULL",
        [session_sha256, now],
    )


def audit(con: duckdb.DuckDBPyConnection, entry: AuditEntry) -> None:
    con.execute(
        "INSERT INTO board_audit (recorded_at, email, role, event, case_id, detail) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        [entry.recorded_at, entry.email, entry.role, entry.event, entry.case_id, entry.detail],
    )


def audit_log(con: duckdb.DuckDBPyConnection, case_id: str | None) -> list[AuditEntry]:
    """The audit log, oldest first; one case's entries when `case_id` is given."""
    rows = con.execute(
        "SELECT recorded_at, email, role, event, case_id, detail FROM board_audit "
        "WHERE $1 IS NULL OR case_id = $1 ORDER BY audit_id",
        [case_id],
    ).fetchall()
    return [AuditEntry(utc(r[0]), *r[1:]) for r in rows]


def post_versions(
    con: duckdb.DuckDBPyConnection, school_id: str, post_id: str
) -> list[PostVersion]:
    """Every stored version of a post, oldest first."""
    rows = con.execute(
        "SELECT version, fetched_at, url, sha256, title, text FROM post_contents "
        "WHERE school_id = $1 AND post_id = $2 ORDER BY version",
        [school_id, post_id],
    ).fetchall()
    return [PostVersion(v, utc(f), u, s, t or "", x or "") for v, f, u, s, t, x in rows]


def case_details(
    con: duckdb.DuckDBPyConnection, status: str | None, school_ids: list[str]
) -> list[CaseDetail]:
    """The cases of these schools with their posts, by `respond_by` (the board's list)."""
    return [
        case_detail(con, c.case_id)
        for c in list_cases(con, None, status)
        if c.school_id in school_ids
    ]


def case_list(
    con: duckdb.DuckDBPyConnection, status: str | None, school_ids: list[str], now: datetime
) -> tuple[list[CaseDetail], list[StillOnline]]:
    """The board's list: the cases, and the reported posts still online 48 hours later."""
    online = [s for school in school_ids for s in removal.posts_still_online(con, school, now)]
    return case_details(con, status, school_ids), online


@dataclass(frozen=True, slots=True)
class CaseRecords:
    """What the board's case page shows: the case, every stored version of each of its posts
    and, once it was reported (an action at rung 2 or higher), whether each is still online."""

    detail: CaseDetail
    versions: dict[str, list[PostVersion]]
    removals: dict[str, PostRemoval]


def case_records(con: duckdb.DuckDBPyConnection, case_id: str) -> CaseRecords:
    """The case page's records, in one read."""
    detail = case_detail(con, case_id)
    return CaseRecords(
        detail,
        {i.post_id: post_versions(con, i.school_id, i.post_id) for i in detail.items},
        {r.post_id: r for r in removal.case_removal(con, case_id)},
    )
