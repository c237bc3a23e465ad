"""Writing one run: fetches, new posts and versions, assessments, and the cases they open.

Everything here runs on a connection already inside the run's single transaction.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import attrgetter
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa

from schoolwatch.models import Assessment, FetchResult, Post, Severity
from warehouse import chain, maintenance
from warehouse.bulk import ColumnWriter, append_columns, prepare_bulk_write, registered
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
        return _due(self.arrived_at, self.severity, self.rung)


@functools.lru_cache(maxsize=4096)
def _due(arrived_at: datetime, severity: Severity, rung: int) -> datetime:
    """A run's flagged posts share a few fetch times and rungs: each deadline is worked out
    once."""
    return respond_by(arrived_at, severity=severity, rung=rung)


def site_of(url: str) -> str:
    """The host of a post's URL: with the author name it identifies one poster."""
    # scheme, "", netloc: all the host depends on is before the third "/"
    second = url.find("/", url.find("/") + 1) if "/" in url else -1
    third = url.find("/", second + 1) if second >= 0 else -1
    origin = url if third < 0 else url[:third]
    if second < 0 or "?" in origin[second:] or "#" in origin[second:]:
        return urlsplit(url).hostname or ""
    return _host(origin)


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
    write: ColumnWriter = append_columns,
) -> int:
    """One `fetches` row per (school, source) of this run; the run itself in `runs`."""
    fetched = list({(r.school_id, r.source_id): r for r in results}.values())
    run = {"run_id": run_id, "started_at": started_at, "stored_at": now,
           "sources": len(fetched), "posts_seen": sum(len(r.posts) for r in results)}  # fmt: skip
    write(con, "runs", {name: [value] for name, value in run.items()},
          on_conflict="ON CONFLICT DO NOTHING")  # fmt: skip
    columns = {
        "run_id": [run_id] * len(fetched),
        **attributes(
            fetched, "school_id", "source_id", "url", "fetched_at", "status", "error", "http_status"
        ),
        "items": [len(r.posts) for r in fetched],
        **attributes(fetched, "etag", "last_modified", "http_date"),
    }
    before = _count(con, "fetches")
    write(con, "fetches", columns,
          on_conflict="ON CONFLICT (run_id, school_id, source_id) DO NOTHING")  # fmt: skip
    return _count(con, "fetches") - before


def attributes(items: Sequence[object], *names: str) -> dict[str, list]:
    """A column per name: each item's attribute of that name, in order."""
    return {name: list(map(attrgetter(name), items)) for name in names}


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


def assessment_columns(
    assessments: Sequence[Assessment], versions: Sequence[int], run_id: str | None, now: datetime
) -> dict[str, list]:
    """The `assessments` table's columns for `assessments`, each of the post version at the
    same place in `versions`."""
    n = len(assessments)
    return {
        **attributes(assessments, "school_id", "post_id"),
        "version": list(versions),
        "classifier_version": [a.classifier_version for a in assessments],
        "assessed_at": [now] * n,
        "run_id": [run_id] * n,
        **attributes(
            assessments, "mentions", "categories", "severity", "rung", "rung_reason", "sentiment"
        ),
        "evidence": [evidence_json(a.evidence) for a in assessments],
        "matched": [spans_json(a.matched) for a in assessments],
        "confidence": [confidence_json(a.confidence) for a in assessments],
    }


@dataclass(slots=True)
class _Versions:
    """A run's new versions, column by column: each is sealed as its columns are built."""

    posts: list[Post] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    sha256: list[str] = field(default_factory=list)
    prev_hash: list[str | None] = field(default_factory=list)

    def add(self, post: Post, number: int, sha256: str, prev_hash: str | None) -> None:
        self.posts.append(post)
        self.numbers.append(number)
        self.sha256.append(sha256)
        self.prev_hash.append(prev_hash)

    def columns(self, run_id: str) -> dict[str, list]:
        """The `post_contents` columns; a version's chain hash follows from its fields and
        `prev_hash`."""
        posts = self.posts
        chained = [
            chain.version_hash(
                prev, p.school_id, p.post_id, number, p.fetched_at, p.url, digest, p.title, p.text
            )
            for p, number, digest, prev in zip(
                posts, self.numbers, self.sha256, self.prev_hash, strict=True
            )
        ]
        return {
            **attributes(posts, "school_id", "post_id"),
            "version": self.numbers,
            "fetched_at": [p.fetched_at for p in posts],
            "run_id": [run_id] * len(posts),
            "url": [p.url for p in posts],
            "sha256": self.sha256,
            **attributes(posts, "raw", "title", "text"),
            "prev_hash": self.prev_hash,
            "chain_hash": chained,
        }


def store_posts(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    posts: list[Post],
    assessments: list[Assessment],
    now: datetime,
    write: ColumnWriter = append_columns,
) -> tuple[StoreSummary, list[Flagging]]:
    """Store the posts that mention a school, their new versions and needed assessments
    (not those erased on request).

    Returns the counts and the newly flagged posts that still need a case.
    """
    latest = latest_per_key(posts)
    # the same key objects throughout: a run's tens of thousands of keys are made once
    last: dict[Key, Assessment | None] = dict.fromkeys(latest)
    for a in assessments:
        key = (a.school_id, a.post_id)
        if key in last:
            last[key] = a  # the last assessment of a post counts, as a dict of them would
    assessed = {k: a for k, a in last.items() if a is not None and a.mentions}
    batch = {k: latest[k] for k in assessed}
    erased, known = _lookup(con, list(batch))
    new_posts: list[Post] = []
    versions = _Versions()
    updates: list[tuple] = []
    to_assess: list[Assessment] = []
    assessed_versions: list[int] = []
    flaggings: list[Flagging] = []
    for key, post in batch.items():
        if key in erased:  # erased on request: never stored again
            continue
        a, old = assessed[key], known.get(key)
        digest = sha256_hex(post.raw)
        if old is None:
            version = 1
            new_posts.append(post)
            versions.add(post, 1, digest, None)
        elif old.sha256 != digest:
            version = old.version + 1
            updates.append((*key, post.url, post.title, post.text, version))
            versions.add(post, version, digest, old.chain_hash)
        elif old.classifier_version != a.classifier_version:
            version = old.version
        else:
            continue
        to_assess.append(a)
        assessed_versions.append(version)
        if a.severity != "none" and not (old and old.flagged):
            site = site_of(post.url)
            flaggings.append(
                Flagging(
                    a.school_id, a.post_id, site, post.author, post.fetched_at, a.severity, a.rung
                )
            )
    write(con, "posts", _post_columns(new_posts))
    _update_latest(con, updates)
    write(con, "post_contents", versions.columns(run_id))
    write(con, "assessments", assessment_columns(to_assess, assessed_versions, run_id, now))
    summary = StoreSummary(
        new_posts=len(new_posts),
        new_versions=len(updates),
        new_assessments=len(to_assess),
        new_flagged=len(flaggings),
    )
    return summary, flaggings


def _post_columns(posts: list[Post]) -> dict[str, list]:
    """The `posts` table's columns for new posts (their version 1 is the latest)."""
    return {
        **attributes(posts, "school_id", "post_id", "source_id", "url", "guid", "author"),
        "site": [site_of(p.url) for p in posts],
        **attributes(posts, "title", "text", "published_at"),
        "first_seen_at": [p.fetched_at for p in posts],
        "local": [p.local for p in posts],
        "latest_version": [1] * len(posts),
    }


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
    write: ColumnWriter = append_columns,
    *,
    retention_days: int | None = None,
) -> StoreSummary:
    """Everything one run writes (see `Warehouse.store_run`), each table appended once; with
    `retention_days`, the purge too (`maintenance.purge`), in the same transaction."""
    prepare_bulk_write(con)
    fetches = record_fetches(con, run_id, started_at, results, now, write)
    summary, flaggings = store_posts(con, run_id, posts, assessments, now, write)
    opened = assign_cases(con, flaggings, now, write)
    purged = 0 if retention_days is None else maintenance.purge(con, now, retention_days)
    return replace(summary, cases_opened=opened, fetches=fetches, purged=purged)


def assign_cases(
    con: duckdb.DuckDBPyConnection,
    flaggings: list[Flagging],
    now: datetime,
    write: ColumnWriter = append_columns,
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
    opened: list[Flagging] = []  # a new case's first post: the case is known by its place here
    due: list[datetime] = []  # and its deadline at the same place, until it has an id
    linked: list[Flagging] = []
    cases_linked: list[str | int] = []
    joined = []
    for f in sorted(flaggings, key=attrgetter("arrived_at")):
        if (f.school_id, f.post_id) in in_case:
            continue
        poster = (f.school_id, f.site, f.author)
        case = open_cases.get(poster) if f.author else None
        if case is None:
            case = len(opened)
            opened.append(f)
            due.append(f.due)
            if f.author:
                open_cases[poster] = case
        elif isinstance(case, int):
            due[case] = min(due[case], f.due)
        else:
            joined.append((case, f.due))
        linked.append(f)
        cases_linked.append(case)
        in_case.add((f.school_id, f.post_id))
    ids = next_case_ids(con, len(opened))
    new_cases = {
        "case_id": ids,
        **attributes(opened, "school_id", "site", "author"),
        "status": ["open"] * len(opened),
        "opened_at": [now] * len(opened),
        "respond_by": due,
    }
    write(con, "cases", new_cases)
    _bring_forward(con, joined)  # before the links: it looks at the posts already in each case
    links = {
        **attributes(linked, "school_id", "post_id"),
        "case_id": [ids[c] if isinstance(c, int) else c for c in cases_linked],
        "added_at": [now] * len(linked),
    }
    write(con, "case_posts", links)
    return len(opened)


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
