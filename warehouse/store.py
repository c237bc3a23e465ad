"""Writing one run: fetches, new posts and versions, assessments, and the cases they open.

Everything here runs on a connection already inside the run's single transaction.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa

from schoolwatch.models import Assessment, FetchResult, Post, Severity
from warehouse import chain, maintenance
from warehouse.bulk import RowWriter, append_rows, registered
from warehouse.connection import one_row
from warehouse.deadlines import respond_by
from warehouse.records import (
    ANSWERED_SQL,
    StoreSummary,
    confidence_json,
    evidence_json,
    spans_json,
)

Key = tuple[str, str]  # (school_id, post_id)


@dataclass(frozen=True, slots=True)
class _Known:
    """What the warehouse already holds about a post."""

    version: int
    sha256: str
    chain_hash: str | None  # the latest version's: the next version's prev_hash
    classifier_version: str | None
    flagged: bool


@dataclass(frozen=True, slots=True)
class Flagging:
    """A post that needs a case: who posted it, when the school learnt of it, how serious."""

    school_id: str
    post_id: str
    site: str
    author: str
    arrived_at: datetime
    severity: Severity
    rung: int

    @property
    def due(self) -> datetime:
        """When SLT should have acted on this post (the ladder's rule)."""
        return respond_by(self.arrived_at, severity=self.severity, rung=self.rung)


def site_of(url: str) -> str:
    """The host of a post's URL: with the author name it identifies one poster."""
    head = url.split("/", 3)[:3]  # scheme, "", netloc: all the host depends on
    if len(head) < 3 or "?" in head[2] or "#" in head[2]:
        return urlsplit(url).hostname or ""
    return _host("/".join(head))


@functools.lru_cache(maxsize=4096)
def _host(origin: str) -> str:
    """A run's thousands of post URLs share a few origins: each is parsed once."""
    return urlsplit(origin).hostname or ""


def sha256_hex(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def latest_per_key(posts: Iterable[Post]) -> dict[Key, Post]:
    """One post per (school_id, post_id), the most recently fetched (later wins a tie).

    A batch must not hold a key twice: DuckDB would silently drop the second upsert.
    """
    out: dict[Key, Post] = {}
    for p in posts:
        key = (p.school_id, p.post_id)
        if key not in out or p.fetched_at >= out[key].fetched_at:
            out[key] = p
    return out


def record_fetches(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    started_at: datetime,
    results: list[FetchResult],
    now: datetime,
    write: RowWriter = append_rows,
) -> int:
    """One `fetches` row per (school, source) of this run; the run itself in `runs`."""
    unique = {(r.school_id, r.source_id): r for r in results}
    write(
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
    before = _count(con, "fetches")
    write(
        con,
        "fetches",
        cols,
        rows,
        on_conflict="ON CONFLICT (run_id, school_id, source_id) DO NOTHING",
    )
    return _count(con, "fetches") - before


def validators(con: duckdb.DuckDBPyConnection) -> dict[Key, tuple[str | None, str | None]]:
    """(etag, last_modified) per (school, source) from its last `ok` fetch, for a conditional
    GET."""
    rows = con.execute(
        "SELECT school_id, source_id, etag, last_modified FROM fetches WHERE status = 'ok' "
        "QUALIFY row_number() OVER (PARTITION BY school_id, source_id "
        "                           ORDER BY fetched_at DESC, fetch_id DESC) = 1"
    ).fetchall()
    return {(school, source): (etag, modified) for school, source, etag, modified in rows}


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return one_row(con, f"SELECT count(*) FROM {table}")[0]


def _lookup(con: duckdb.DuckDBPyConnection, keys: list[Key]) -> tuple[set[Key], dict[Key, _Known]]:
    """Which of `keys` were erased on request, and what the warehouse holds of the others: one
    join of the batch's keys (an Arrow table) with what is stored.

    The current assessment (the highest `assessment_id`, as `current_assessments` says) is
    found for the batch's posts only, not ranked over the whole table as the view would.
    """
    if not keys:
        return set(), {}
    schools, posts = zip(*keys, strict=True)
    batch = pa.table({"school_id": pa.array(schools, pa.string()),
                      "post_id": pa.array(posts, pa.string())})  # fmt: skip
    with registered(con, batch) as k:
        rows = con.execute(
            f"""
            WITH current AS (
                SELECT school_id, post_id,
                       arg_max(classifier_version, assessment_id) AS classifier_version,
                       arg_max(severity, assessment_id) <> 'none' AS flagged
                FROM assessments SEMI JOIN {k} USING (school_id, post_id)
                GROUP BY school_id, post_id
            )
            SELECT k.school_id, k.post_id, e.post_id IS NOT NULL, p.latest_version, v.sha256,
                   v.chain_hash, a.classifier_version, coalesce(a.flagged, false)
            FROM {k} k
            LEFT JOIN erased_posts e USING (school_id, post_id)
            LEFT JOIN posts p USING (school_id, post_id)
            LEFT JOIN post_contents v ON v.school_id = p.school_id AND v.post_id = p.post_id
                                     AND v.version = p.latest_version
            LEFT JOIN current a ON a.school_id = p.school_id AND a.post_id = p.post_id
            WHERE e.post_id IS NOT NULL OR v.post_id IS NOT NULL
            """
        ).fetchall()
    erased = {(r[0], r[1]) for r in rows if r[2]}
    known = {(r[0], r[1]): _Known(*r[3:]) for r in rows if not r[2]}
    return erased, known


def assessment_row(a: Assessment, version: int, run_id: str | None, now: datetime) -> tuple:
    return (
        a.school_id,
        a.post_id,
        version,
        a.classifier_version,
        now,
        run_id,
        a.mentions,
        list(a.categories),
        a.severity,
        a.rung,
        a.rung_reason,
        a.sentiment,
        evidence_json(a.evidence),
        spans_json(a.matched),
        confidence_json(a.confidence),
    )


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


def insert_assessments(
    con: duckdb.DuckDBPyConnection, rows: list[tuple], write: RowWriter = append_rows
) -> None:
    write(con, "assessments", ASSESSMENT_COLUMNS, rows)


def _content_row(p: Post, version: int, run_id: str, sha256: str, prev_hash: str | None) -> tuple:
    """A version's row, sealed: its chain hash follows from its fields and `prev_hash`."""
    chained = chain.version_hash(prev_hash, p.school_id, p.post_id, version, p.fetched_at,
                                 p.url, sha256, p.title, p.text)  # fmt: skip
    return (
        p.school_id,
        p.post_id,
        version,
        p.fetched_at,
        run_id,
        p.url,
        sha256,
        p.raw,
        p.title,
        p.text,
        prev_hash,
        chained,
    )


CONTENT_COLUMNS = [
    "school_id",
    "post_id",
    "version",
    "fetched_at",
    "run_id",
    "url",
    "sha256",
    "raw",
    "title",
    "text",
    "prev_hash",
    "chain_hash",
]


def store_posts(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    posts: list[Post],
    assessments: list[Assessment],
    now: datetime,
    write: RowWriter = append_rows,
) -> tuple[StoreSummary, list[Flagging]]:
    """Store the posts that mention a school, their new versions and needed assessments
    (not those erased on request).

    Returns the counts and the newly flagged posts that still need a case.
    """
    assessed = {(a.school_id, a.post_id): a for a in assessments}
    batch = {
        k: p for k, p in latest_per_key(posts).items() if k in assessed and assessed[k].mentions
    }
    erased, known = _lookup(con, list(batch))
    new_posts, contents, updates, assess_rows, flaggings = [], [], [], [], []
    for key, post in batch.items():
        if key in erased:  # erased on request: never stored again
            continue
        a, old = assessed[key], known.get(key)
        digest = sha256_hex(post.raw)
        if old is None:
            version = 1
            new_posts.append(_post_row(post))
            contents.append(_content_row(post, 1, run_id, digest, None))
        elif old.sha256 != digest:
            version = old.version + 1
            updates.append((*key, post.url, post.title, post.text, version))
            contents.append(_content_row(post, version, run_id, digest, old.chain_hash))
        elif old.classifier_version != a.classifier_version:
            version = old.version
        else:
            continue
        assess_rows.append(assessment_row(a, version, run_id, now))
        if a.severity != "none" and not (old and old.flagged):
            site = site_of(post.url)
            flaggings.append(
                Flagging(
                    a.school_id, a.post_id, site, post.author, post.fetched_at, a.severity, a.rung
                )
            )
    write(con, "posts", POST_COLUMNS, new_posts)
    _update_latest(con, updates)
    write(con, "post_contents", CONTENT_COLUMNS, contents)
    insert_assessments(con, assess_rows, write)
    summary = StoreSummary(
        new_posts=len(new_posts),
        new_versions=len(updates),
        new_assessments=len(assess_rows),
        new_flagged=len(flaggings),
    )
    return summary, flaggings


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


def _update_latest(con: duckdb.DuckDBPyConnection, updates: list[tuple]) -> None:
    """Point edited posts at their new version (the old versions stay in post_contents)."""
    if not updates:
        return
    cols = [list(c) for c in zip(*updates, strict=True)]
    con.execute(
        """
        UPDATE posts SET url = u.url, title = u.title, text = u.text, latest_version = u.version
        FROM (SELECT unnest($1) AS school_id, unnest($2) AS post_id, unnest($3) AS url,
                     unnest($4) AS title, unnest($5) AS text, unnest($6) AS version) u
        WHERE posts.school_id = u.school_id AND posts.post_id = u.post_id
        """,
        cols,
    )


def store_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    started_at: datetime,
    results: list[FetchResult],
    posts: list[Post],
    assessments: list[Assessment],
    now: datetime,
    write: RowWriter = append_rows,
    *,
    retention_days: int | None = None,
) -> StoreSummary:
    """Everything one run writes (see `Warehouse.store_run`), each table appended once; with
    `retention_days`, the purge too (`maintenance.purge`), in the same transaction."""
    fetches = record_fetches(con, run_id, started_at, results, now, write)
    summary, flaggings = store_posts(con, run_id, posts, assessments, now, write)
    opened = assign_cases(con, flaggings, now, write)
    purged = 0 if retention_days is None else maintenance.purge(con, now, retention_days)
    return replace(summary, cases_opened=opened, fetches=fetches, purged=purged)


def assign_cases(
    con: duckdb.DuckDBPyConnection,
    flaggings: list[Flagging],
    now: datetime,
    write: RowWriter = append_rows,
) -> int:
    """Put each newly flagged post in its poster's open case, or open one. Returns cases opened.

    A poster is (school, site, author); posts without an author each get a case of their own.
    A case is due by the earliest deadline of the posts that joined it since SLT last recorded
    an action on it: a threat joining a complaint's case makes the case due now.
    New cases are numbered in the order their first post arrived.
    """
    if not flaggings:
        return 0
    in_case, open_cases = _cases_of(con, flaggings)
    new_cases: list[list] = []  # a new case is known by its place here until it has an id
    links: list[tuple[str, str, str | int]] = []
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
    write(
        con,
        "cases",
        ["case_id", "school_id", "site", "author", "status", "opened_at", "respond_by"],
        [tuple(c) for c in new_cases],
    )
    _bring_forward(con, joined)  # before the links: it looks at the posts already in each case
    write(
        con,
        "case_posts",
        ["school_id", "post_id", "case_id", "added_at"],
        [(s, p, ids[c] if isinstance(c, int) else c, now) for s, p, c in links],
    )
    return len(new_cases)


def _cases_of(
    con: duckdb.DuckDBPyConnection, flaggings: list[Flagging]
) -> tuple[set[Key], dict[tuple[str, str, str], str | int]]:
    """Which of the flagged posts are already in a case, and the open case of each of their
    posters (the latest opened, for a poster with several), read for these posts and posters
    only: one join with an Arrow table of them, however many cases the warehouse holds."""
    batch = pa.table(
        {
            name: pa.array([getattr(f, name) for f in flaggings], pa.string())
            for name in ("school_id", "post_id", "site", "author")
        }
    )
    with registered(con, batch) as f:
        in_case = con.execute(
            f"SELECT school_id, post_id FROM case_posts SEMI JOIN {f} USING (school_id, post_id)"
        ).fetchall()
        cases = con.execute(
            f"SELECT case_id, school_id, site, author FROM cases "
            f"SEMI JOIN {f} USING (school_id, site, author) "
            "WHERE status = 'open' AND author <> '' ORDER BY opened_at, case_id"
        ).fetchall()
    open_cases: dict[tuple[str, str, str], str | int] = {
        (school, site, author): case_id for case_id, school, site, author in cases
    }
    return {(s, p) for s, p in in_case}, open_cases


def _bring_forward(con: duckdb.DuckDBPyConnection, joined: list[tuple[str, datetime]]) -> None:
    """Posts joining open cases: a case is due by the earlier of its deadline and theirs; by
    theirs alone when SLT have recorded an action since its last post joined (it was answered).
    """
    if not joined:
        return
    con.execute(
        f"""
        UPDATE cases SET respond_by = CASE
            WHEN {ANSWERED_SQL.format(case="cases.case_id")} THEN j.due
            ELSE least(cases.respond_by, j.due) END
        FROM (SELECT case_id, min(due) AS due
              FROM (SELECT unnest($1) AS case_id, unnest($2) AS due) GROUP BY case_id) j
        WHERE cases.case_id = j.case_id
        """,
        [[c for c, _ in joined], [d for _, d in joined]],
    )


def next_case_id(con: duckdb.DuckDBPyConnection) -> str:
    """A short id SLT can read out on the phone: C-000001."""
    (n,) = one_row(con, "SELECT nextval('case_seq')")
    return f"C-{n:06d}"


def next_case_ids(con: duckdb.DuckDBPyConnection, n: int) -> list[str]:
    """The next `n` case ids, in order, from one query (`next_case_id` `n` times over)."""
    if n == 0:
        return []
    rows = con.execute("SELECT nextval('case_seq') FROM range($1)", [n]).fetchall()
    return [f"C-{k:06d}" for k in sorted(k for (k,) in rows)]
