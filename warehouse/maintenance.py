"""Retention, analysts' read-only queries and Parquet snapshots."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from schoolwatch.errors import WarehouseError
from warehouse.connection import one_line, one_row

VIEWS = ("mentions", "flagged", "daily_sentiment", "source_health", "post_versions")


def purge(con: duckdb.DuckDBPyConnection, now: datetime, retention_days: int) -> int:
    """Delete unflagged mentions first seen more than `retention_days` ago; returns how many.

    Flagged posts and any post in a case are kept: they are evidence.
    """
    con.execute(
        """
        CREATE TEMP TABLE doomed AS
        WITH old AS (
            SELECT p.school_id, p.post_id FROM posts p
            WHERE p.first_seen_at < $1
              AND NOT EXISTS (SELECT 1 FROM case_posts cp
                              WHERE cp.school_id = p.school_id AND cp.post_id = p.post_id)
        ), current AS (  -- the current assessment of those posts only (highest assessment_id)
            SELECT school_id, post_id, arg_max(severity, assessment_id) AS severity
            FROM assessments SEMI JOIN old USING (school_id, post_id)
            GROUP BY school_id, post_id
        )
        SELECT o.school_id, o.post_id FROM old o LEFT JOIN current a USING (school_id, post_id)
        WHERE coalesce(a.severity, 'none') = 'none'
        """,
        [now - timedelta(days=retention_days)],
    )
    (n,) = one_row(con, "SELECT count(*) FROM doomed")
    for table in ("assessments", "post_contents", "deliveries", "posts") if n else ():
        con.execute(
            f"DELETE FROM {table} t USING doomed d "
            "WHERE t.school_id = d.school_id AND t.post_id = d.post_id"
        )
    con.execute("DROP TABLE doomed")
    return n


# Analysts' queries read the warehouse and nothing else: no files (COPY ... TO, read_csv,
# ATTACH), no URLs, no extensions installed or loaded, and no way to switch any of that back on.
_READ_ONLY_SETTINGS = (
    "SET enable_external_access = false",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET lock_configuration = true",
)


def query(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    """Run one statement on the caller's read-only connection, locked down first (the settings
    hold for the database instance until the connection closes: use a connection of its own).
    """
    try:
        for setting in _READ_ONLY_SETTINGS:
            con.execute(setting)
        statements = con.extract_statements(sql)
        if len(statements) != 1:
            raise WarehouseError(f"give exactly one SQL statement, not {len(statements)}")
        cur = con.execute(sql)
        if cur.description is None:
            return [], []
        return [d[0] for d in cur.description], cur.fetchall()
    except duckdb.PermissionException as e:
        raise WarehouseError(_refused(e)) from None
    except duckdb.Error as e:
        raise WarehouseError(f"query failed: {one_line(e)}") from None


def _refused(err: duckdb.Error) -> str:
    reason = one_line(err).removeprefix("Permission Error: ")
    reason = reason.split(" LINE ")[0].split(" - ")[0].rstrip(". ")
    return (
        f"query refused: {reason}; schoolwatch sql reads the warehouse only "
        "(no files, URLs or extensions)"
    )


def snapshot(
    con: duckdb.DuckDBPyConnection, dest_dir: Path, mode: int = 0o640, group: int | None = None
) -> list[Path]:
    """Write each stable view that changed to `dest_dir/<view>.parquet`, each replaced whole or
    not at all; returns the files written.

    A view is unchanged when its columns, row count and the sum of its rows' hashes are those
    recorded in its file (Parquet key-value metadata): reading a view costs far less than
    writing it, and most runs change only `source_health`.
    Each file gets permissions `mode` and, when given, the group id `group` (the warehouse
    file's), so analysts in that group can read the snapshots and nobody else can.
    """
    if not dest_dir.is_dir():
        dest_dir.mkdir(parents=True)
        _open_folder(dest_dir, mode, group)
    written = []
    for view in VIEWS:
        final = dest_dir / f"{view}.parquet"
        fingerprint = view_fingerprint(con, view)
        if recorded_fingerprint(final) == fingerprint:
            _protect(final, mode, group)  # the configured mode, even when the rows are the same
            continue
        tmp = dest_dir / f".{view}.parquet.tmp"
        target = str(tmp).replace("'", "''")
        con.execute(
            f"COPY (SELECT * FROM {view}) TO '{target}' "
            f"(FORMAT parquet, KV_METADATA {{{FINGERPRINT_KEY}: '{fingerprint}'}})"
        )
        _protect(tmp, mode, group)
        os.replace(tmp, final)
        written.append(final)
    return written


FINGERPRINT_KEY = "schoolwatch_fingerprint"


def view_fingerprint(con: duckdb.DuckDBPyConnection, view: str) -> str:
    """What a view holds, in 32 hex digits: its columns and types, rows, and summed row hashes."""
    (columns,) = one_row(
        con,
        "SELECT string_agg(column_name || ' ' || column_type, ', ') "
        f"FROM (DESCRIBE SELECT * FROM {view})",
    )
    rows, hashes = one_row(con, f"SELECT count(*), sum(hash(v)) FROM {view} v")
    return hashlib.sha256(f"{columns}|{rows}|{hashes}".encode()).hexdigest()[:32]


def recorded_fingerprint(path: Path) -> str | None:
    """The fingerprint a snapshot file was written with; None when absent or unreadable.

    Read with pyarrow, outside the database: a damaged file must not abort the transaction.
    """
    try:
        metadata = pq.read_metadata(path).metadata or {}
    except (OSError, ValueError, pa.ArrowException):  # missing, damaged or not Parquet
        return None
    value = metadata.get(FINGERPRINT_KEY.encode())
    return value.decode() if value is not None else None


def _open_folder(folder: Path, mode: int, group: int | None) -> None:
    """The process runs with umask 077: whoever may read the snapshots may enter their folder
    (r for a file is r-x for the folder)."""
    readers = mode & 0o044
    try:
        if group is not None:
            os.chown(folder, -1, group)
        os.chmod(folder, 0o700 | readers | readers >> 2)
    except OSError as e:
        raise WarehouseError(f"cannot open snapshot folder {folder} to its readers: {e}") from None


def _protect(path: Path, mode: int, group: int | None) -> None:
    try:
        if group is not None and path.stat().st_gid != group:
            os.chown(path, -1, group)
        os.chmod(path, mode)
    except OSError as e:
        path.unlink(missing_ok=True)
        raise WarehouseError(
            f"cannot set group {group} and mode {mode:04o} on snapshot {path}: {e.strerror}; "
            "check [warehouse] snapshot_mode and the snapshot folder's group"
        ) from None
