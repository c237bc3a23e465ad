"""Erasing an author's posts on request (UK GDPR Art. 17), except those an open case holds.

Everything that holds a post's text goes: the post, every stored version with its raw bytes,
every assessment (its evidence quotes the text), its delivery records, its removal re-checks
and its place in a closed case; a closed case left with no post goes too, with its recorded
actions. Only the post's id stays, in `erased_posts`, so the next run does not store the same
post again.
A post in an open case is kept: it is evidence the school is acting on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

# tables keyed by (school_id, post_id) that hold a post or something derived from it
POST_TABLES = (
    "assessments",
    "post_contents",
    "deliveries",
    "case_posts",
    "removal_checks",
    "posts",
)


@dataclass(frozen=True, slots=True)
class AuthorPost:
    """One stored post of the author: where it is and, if an open case holds it, which."""

    school_id: str
    post_id: str
    site: str
    url: str
    case_id: str | None = None


@dataclass(frozen=True, slots=True)
class Erasure:
    """What `forget` did: the posts erased and those kept because an open case holds them."""

    author: str
    site: str | None
    erased: tuple[AuthorPost, ...]
    held: tuple[AuthorPost, ...]
    cases_removed: tuple[str, ...] = ()
    similar: tuple[tuple[str, str], ...] = ()  # (author, site) spelt alike, when none matched


def _author_posts(
    con: duckdb.DuckDBPyConnection, author: str, site: str | None
) -> list[tuple[AuthorPost, bool]]:
    rows = con.execute(
        """
        SELECT p.school_id, p.post_id, p.site, p.url, c.case_id, coalesce(c.status = 'open', false)
        FROM posts p
        LEFT JOIN case_posts cp USING (school_id, post_id)
        LEFT JOIN cases c ON c.case_id = cp.case_id
        WHERE p.author = $1 AND ($2 IS NULL OR p.site = $2)
        ORDER BY p.school_id, p.first_seen_at, p.post_id
        """,
        [author, site],
    ).fetchall()
    return [(AuthorPost(s, p, host, url, case if held else None), held)
            for s, p, host, url, case, held in rows]  # fmt: skip


def _similar(con: duckdb.DuckDBPyConnection, author: str) -> tuple[tuple[str, str], ...]:
    rows = con.execute(
        "SELECT DISTINCT author, site FROM posts "
        "WHERE author <> $1 AND (lower(author) = lower($1) OR author ILIKE '%' || $1 || '%') "
        "ORDER BY author, site LIMIT 5",
        [author],
    ).fetchall()
    return tuple((a, s) for a, s in rows)


def forget_author(
    con: duckdb.DuckDBPyConnection, author: str, site: str | None, now: datetime
) -> Erasure:
    """Erase `author`'s posts (on `site` only, when given) in the caller's transaction."""
    found = _author_posts(con, author, site)
    doomed = [p for p, held in found if not held]
    held = tuple(p for p, is_held in found if is_held)
    if not found:
        return Erasure(author, site, (), (), similar=_similar(con, author))
    keys = [[p.school_id for p in doomed], [p.post_id for p in doomed]]
    con.execute(
        "CREATE TEMP TABLE doomed AS SELECT unnest($1::VARCHAR[]) AS school_id, "
        "unnest($2::VARCHAR[]) AS post_id",
        keys,
    )
    try:
        emptied = _cases_emptied(con)
        for table in POST_TABLES:
            con.execute(
                f"DELETE FROM {table} t USING doomed d "
                "WHERE t.school_id = d.school_id AND t.post_id = d.post_id"
            )
        con.execute(  # a message recorded but not marked (a stopped run) holds their text too
            "DELETE FROM outgoing o USING doomed d "
            "WHERE o.school_id = d.school_id AND list_contains(o.post_ids, d.post_id)"
        )
        for table in ("case_actions", "cases"):
            con.execute(f"DELETE FROM {table} WHERE case_id IN (SELECT unnest($1::VARCHAR[]))",
                        [emptied])  # fmt: skip
        con.execute(
            "INSERT INTO erased_posts SELECT school_id, post_id, $1 FROM doomed "
            "ON CONFLICT DO NOTHING",
            [now],
        )
    finally:
        con.execute("DROP TABLE doomed")
    return Erasure(author, site, tuple(doomed), held, tuple(emptied))


def _cases_emptied(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Closed cases whose every post is about to be erased."""
    rows = con.execute(
        """
        SELECT cp.case_id FROM case_posts cp
        LEFT JOIN doomed d USING (school_id, post_id)
        GROUP BY cp.case_id HAVING count(*) = count(d.post_id)
        ORDER BY cp.case_id
        """
    ).fetchall()
    return [case_id for (case_id,) in rows]
