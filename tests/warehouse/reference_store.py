"""The store as it was before its set-based rewrite: the oracle the rewrite is held to.

A faithful copy of what `warehouse.store.store_run` and `warehouse.maintenance.purge` did at
commit 97f3543, row by row and query by query: erased posts looked up on their own, the
current assessment read through the `current_assessments` view, versions appended unsealed
and then read back, hashed with `json.dumps` and sealed by an UPDATE, every case link and
open case of the batch's schools read into Python, and the purge's current assessments
computed over the whole table. Only the parts the rewrite left alone (`_update_latest`,
`_bring_forward`, `next_case_ids`) are imported; `record_fetches` and `_post_row` are copied
as they were before the store built its tables column by column.
tests/warehouse/test_store_identity.py stores the same runs through this and through the
store, and compares every table.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import duckdb

from schoolwatch.models import Assessment, FetchResult, Post
from warehouse.connection import insert_rows, one_row
from warehouse.records import StoreSummary
from warehouse.store import (
    Flagging,
    _bring_forward,
    _update_latest,
    latest_per_key,
    next_case_ids,
    site_of,
)

CONTENT_COLUMNS = ["school_id", "post_id", "version", "fetched_at", "run_id", "url", "sha256",
                   "raw", "title", "text"]  # fmt: skip


def store_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    started_at: datetime,
    results: list[FetchResult],
    posts: list[Post],
    assessments: list[Assessment],
    now: datetime,
    retention_days: int | None = None,
) -> StoreSummary:
    fetches = record_fetches(con, run_id, started_at, results, now)
    summary, flaggings = _store_posts(con, run_id, posts, assessments, now)
    opened = _assign_cases(con, flaggings, now)
    summary = replace(summary, cases_opened=opened, fetches=fetches)
    if retention_days is None:
        return summary
    return replace(summary, purged=_purge(con, now, retention_days))


def record_fetches(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    started_at: datetime,
    results: list[FetchResult],
    now: datetime,
) -> int:
    """One `fetches` row per (school, source) of this run; the run itself in `runs`."""
    unique = {(r.school_id, r.source_id): r for r in results}
    insert_rows(
        con,
        "runs",
        ["run_id", "started_at", "stored_at", "sources", "posts_seen"],
        [(run_id, started_at, now, len(unique), sum(len(r.posts) for r in results))],
        on_conflict="ON CONFLICT DO NOTHING",
    )
    cols = [
        "run_id",
        "school_id",
        "source_id",
        "url",
        "fetched_at",
        "status",
        "error",
        "http_status",
        "items",
        "etag",
        "last_modified",
        "http_date",
    ]
    rows = [
        (
            run_id,
            r.school_id,
            r.source_id,
            r.url,
            r.fetched_at,
            r.status,
            r.error,
            r.http_status,
            len(r.posts),
            r.etag,
            r.last_modified,
            r.http_date,
        )
        for r in unique.values()
    ]
    (before,) = one_row(con, "SELECT count(*) FROM fetches")
    insert_rows(
        con,
        "fetches",
        cols,
        rows,
        on_conflict="ON CONFLICT (run_id, school_id, source_id) DO NOTHING",
    )
    return one_row(con, "SELECT count(*) FROM fetches")[0] - before


ASSESSMENT_COLUMNS = [
    "school_id",
    "post_id",
    "version",
    "classifier_version",
    "assessed_at",
    "run_id",
    "mentions",
    "categories",
    "severity",
    "rung",
    "rung_reason",
    "sentiment",
    "evidence",
    "matched",
    "confidence",
]


POST_COLUMNS = [
    "school_id",
    "post_id",
    "source_id",
    "url",
    "guid",
    "author",
    "site",
    "title",
    "text",
    "published_at",
    "first_seen_at",
    "local",
    "latest_version",
]


def _post_row(p: Post) -> tuple:
    return (
        p.school_id,
        p.post_id,
        p.source_id,
        p.url,
        p.guid,
        p.author,
        site_of(p.url),
        p.title,
        p.text,
        p.published_at,
        p.fetched_at,
        p.local,
        1,
    )


def _store_posts(con, run_id, posts, assessments, now):
    assessed = {(a.school_id, a.post_id): a for a in assessments}
    batch = {
        k: p for k, p in latest_per_key(posts).items() if k in assessed and assessed[k].mentions
    }
    for key in _erased_among(con, list(batch)):
        del batch[key]
    known = _known(con, list(batch))
    new_posts, contents, updates, assess_rows, flaggings = [], [], [], [], []
    for key, post in batch.items():
        a, old = assessed[key], known.get(key)
        if old is None:
            version = 1
            new_posts.append(_post_row(post))
            contents.append(_content_row(post, 1, run_id))
        elif old[1] != hashlib.sha256(post.raw).hexdigest():
            version = old[0] + 1
            updates.append((*key, post.url, post.title, post.text, version))
            contents.append(_content_row(post, version, run_id))
        elif old[2] != a.classifier_version:
            version = old[0]
        else:
            continue
        assess_rows.append(_assessment_row(a, version, run_id, now))
        if a.severity != "none" and not (old and old[3]):
            site = site_of(post.url)
            flagging = Flagging(*key, site, post.author, post.fetched_at, a.severity, a.rung)
            flaggings.append(flagging)
    insert_rows(con, "posts", POST_COLUMNS, new_posts)
    _update_latest(con, updates)
    insert_rows(con, "post_contents", CONTENT_COLUMNS, contents)
    _seal(con, run_id)
    insert_rows(con, "assessments", ASSESSMENT_COLUMNS, assess_rows)
    summary = StoreSummary(
        new_posts=len(new_posts),
        new_versions=len(updates),
        new_assessments=len(assess_rows),
        new_flagged=len(flaggings),
    )
    return summary, flaggings


def _erased_among(con, keys):
    if not keys:
        return set()
    rows = con.execute(
        "SELECT e.school_id, e.post_id "
        "FROM (SELECT unnest($1::VARCHAR[]) AS school_id, unnest($2::VARCHAR[]) AS post_id) k "
        "JOIN erased_posts e USING (school_id, post_id)",
        [[k[0] for k in keys], [k[1] for k in keys]],
    ).fetchall()
    return {(s, p) for s, p in rows}


def _known(con, keys):
    if not keys:
        return {}
    rows = con.execute(
        """
        SELECT p.school_id, p.post_id, p.latest_version, v.sha256,
               a.classifier_version, coalesce(a.severity <> 'none', false)
        FROM (SELECT unnest($1) AS school_id, unnest($2) AS post_id) k
        JOIN posts p USING (school_id, post_id)
        JOIN post_contents v ON v.school_id = p.school_id AND v.post_id = p.post_id
                            AND v.version = p.latest_version
        LEFT JOIN current_assessments a ON a.school_id = p.school_id AND a.post_id = p.post_id
        """,
        [[k[0] for k in keys], [k[1] for k in keys]],
    ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def _content_row(p: Post, version: int, run_id: str) -> tuple:
    return (p.school_id, p.post_id, version, p.fetched_at, run_id, p.url,
            hashlib.sha256(p.raw).hexdigest(), p.raw, p.title, p.text)  # fmt: skip


def _assessment_row(a: Assessment, version: int, run_id: str, now: datetime) -> tuple:
    return (
        a.school_id, a.post_id, version, a.classifier_version, now, run_id, a.mentions,
        list(a.categories), a.severity, a.rung, a.rung_reason, a.sentiment,
        json.dumps([e.as_dict() for e in a.evidence], ensure_ascii=False),
        json.dumps([s.as_dict() for s in a.matched], ensure_ascii=False),
        json.dumps(a.confidence),
    )  # fmt: skip


def _chain_hash(fields: tuple, prev_hash: str | None) -> str:
    school_id, post_id, version, fetched_at, url, sha256, title, text = fields
    instant = fetched_at.astimezone(UTC).isoformat(timespec="microseconds")
    canonical = json.dumps(
        [prev_hash or "", school_id, post_id, version, instant, url, sha256, title, text],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _seal(con, run_id):
    rows = con.execute(
        "SELECT school_id, post_id, version, fetched_at, url, sha256, title, text "
        "FROM post_contents WHERE chain_hash IS NULL AND run_id = $1 "
        "ORDER BY school_id, post_id, version",
        [run_id],
    ).fetchall()
    if not rows:
        return
    prior = {
        (s, p, v): h
        for s, p, v, h in con.execute(
            "SELECT school_id, post_id, version, chain_hash FROM post_contents"
        ).fetchall()
    }
    sealed = []
    for row in rows:
        school_id, post_id, version = row[:3]
        prev = prior.get((school_id, post_id, version - 1))
        digest = _chain_hash(row, prev)
        prior[(school_id, post_id, version)] = digest
        sealed.append((school_id, post_id, version, prev, digest))
    cols = [list(c) for c in zip(*sealed, strict=True)]
    con.execute(
        "UPDATE post_contents SET prev_hash = s.prev, chain_hash = s.digest FROM ("
        " SELECT unnest($1) AS school_id, unnest($2) AS post_id, unnest($3) AS version,"
        " unnest($4::VARCHAR[]) AS prev, unnest($5) AS digest) s "
        "WHERE post_contents.school_id = s.school_id AND post_contents.post_id = s.post_id "
        "AND post_contents.version = s.version",
        cols,
    )


def _assign_cases(con, flaggings, now):
    if not flaggings:
        return 0
    in_case = {
        (s, p)
        for s, p in con.execute(
            "SELECT school_id, post_id FROM case_posts WHERE school_id IN (SELECT unnest($1))",
            [sorted({f.school_id for f in flaggings})],
        ).fetchall()
    }
    open_cases = {
        (s, site, author): case_id
        for case_id, s, site, author in con.execute(
            "SELECT case_id, school_id, site, author FROM cases "
            "WHERE status = 'open' AND author <> '' ORDER BY opened_at"
        ).fetchall()
    }
    new_cases: list[list] = []
    links = []
    joined = []
    for f in sorted(flaggings, key=lambda f: f.arrived_at):
        if (f.school_id, f.post_id) in in_case:
            continue
        poster = (f.school_id, f.site, f.author)
        case = open_cases.get(poster) if f.author else None
        if case is None:
            case = len(new_cases)
            new_cases.append([case, f.school_id, f.site, f.author, "open", now, f.due])
            if f.author:
                open_cases[poster] = case
        elif isinstance(case, int):
            new_cases[case][6] = min(new_cases[case][6], f.due)
        else:
            joined.append((case, f.due))
        links.append((f.school_id, f.post_id, case))
        in_case.add((f.school_id, f.post_id))
    ids = next_case_ids(con, len(new_cases))
    for row in new_cases:
        row[0] = ids[row[0]]
    insert_rows(con, "cases",
                ["case_id", "school_id", "site", "author", "status", "opened_at", "respond_by"],
                [tuple(c) for c in new_cases])  # fmt: skip
    _bring_forward(con, joined)
    rows = [(s, p, ids[c] if isinstance(c, int) else c, now) for s, p, c in links]
    insert_rows(con, "case_posts", ["school_id", "post_id", "case_id", "added_at"], rows)
    return len(new_cases)


def _purge(con, now, retention_days):
    con.execute(
        """
        CREATE TEMP TABLE doomed AS
        SELECT p.school_id, p.post_id FROM posts p
        LEFT JOIN current_assessments a USING (school_id, post_id)
        WHERE p.first_seen_at < $1 AND coalesce(a.severity, 'none') = 'none'
          AND NOT EXISTS (SELECT 1 FROM case_posts cp
                          WHERE cp.school_id = p.school_id AND cp.post_id = p.post_id)
        """,
        [now - timedelta(days=retention_days)],
    )
    for table in ("assessments", "post_contents", "deliveries", "posts"):
        con.execute(
            f"DELETE FROM {table} t USING doomed d "
            "WHERE t.school_id = d.school_id AND t.post_id = d.post_id"
        )
    (n,) = one_row(con, "SELECT count(*) FROM doomed")
    con.execute("DROP TABLE doomed")
    return n
