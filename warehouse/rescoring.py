"""Re-assessing stored posts when the classifier changes."""

from __future__ import annotations

from datetime import datetime

import duckdb

from schoolwatch.models import Assessment, Post
from warehouse.bulk import append_columns
from warehouse.records import utc
from warehouse.store import Flagging, assessment_columns, assign_cases


def stale_posts(con: duckdb.DuckDBPyConnection, classifier_version: str) -> list[Post]:
    """The latest version of each post whose current assessment is by another classifier."""
    rows = con.execute(
        """
        SELECT p.post_id, p.source_id, p.school_id, v.url, p.guid, v.title, v.text, p.author,
               p.published_at, v.fetched_at, v.raw, p.local
        FROM posts p
        JOIN post_contents v ON v.school_id = p.school_id AND v.post_id = p.post_id
                            AND v.version = p.latest_version
        JOIN current_assessments a ON a.school_id = p.school_id AND a.post_id = p.post_id
        WHERE a.classifier_version <> $1
        ORDER BY p.school_id, p.first_seen_at, p.post_id
        """,
        [classifier_version],
    ).fetchall()
    return [
        Post(
            post_id=r[0],
            source_id=r[1],
            school_id=r[2],
            url=r[3],
            guid=r[4],
            title=r[5],
            text=r[6],
            author=r[7],
            published_at=utc(r[8]),
            fetched_at=utc(r[9]),
            raw=r[10],
            local=r[11],
        )
        for r in rows
    ]


def add_assessments(
    con: duckdb.DuckDBPyConnection, assessments: list[Assessment], now: datetime
) -> int:
    """Add assessments of stored posts (unknown posts are skipped); earlier ones stay.

    A post that becomes flagged gets a case like in a run, due from now: the school learns
    of it now.
    """
    latest = {(a.school_id, a.post_id): a for a in assessments}
    if not latest:
        return 0
    keys = list(latest)
    rows = con.execute(
        """
        SELECT p.school_id, p.post_id, p.latest_version, p.site, p.author,
               coalesce(a.severity <> 'none', false)
        FROM (SELECT unnest($1) AS school_id, unnest($2) AS post_id) k
        JOIN posts p USING (school_id, post_id)
        LEFT JOIN current_assessments a ON a.school_id = p.school_id AND a.post_id = p.post_id
        """,
        [[k[0] for k in keys], [k[1] for k in keys]],
    ).fetchall()
    stored, versions, flaggings = [], [], []
    for school_id, post_id, version, site, author, was_flagged in rows:
        a = latest[(school_id, post_id)]
        stored.append(a)
        versions.append(version)
        if a.mentions and a.severity != "none" and not was_flagged:
            flaggings.append(Flagging(school_id, post_id, site, author, now, a.severity, a.rung))
    append_columns(con, "assessments", assessment_columns(stored, versions, None, now))
    assign_cases(con, flaggings, now)
    return len(stored)
