"""A sequence of runs that exercises every kind of write the store makes, for the tests that
store it through two paths and compare every table (tests/warehouse/test_bulk.py,
tests/warehouse/test_store_identity.py).

Nine runs over ~300 posts of two schools: new posts, a repeat, edits, a new classifier
version, failed and unchanged sources, unflagged-only batches, an author forgotten on request
before a run, a purge of unflagged posts past retention, and the purged posts seen again.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

from schoolwatch.models import Assessment, FetchResult, Post
from tests.warehouse.builders import T0, flagged, make_assessment, make_post, make_result
from warehouse import Warehouse, erasure
from warehouse.connection import transaction
from warehouse.records import StoreSummary

SCHOOLS = ("st-aldrics-brackenford", "holm-lane-academy")
WORDS = (
    "St Aldric's Brackenford", "Holm Lane Academy", "café", "naïve", "’quoted’", "🙂",
    "liar", "great", "homework", "Mrs Okafor", "\"quote\"", "back\\slash", "line\nbreak",
    "tab\there", "nul\x00byte", "bell\x07", "\u2028separator", "ünïcödé “curly”", "a/b",
)  # fmt: skip
RUNS = 9
FORGOTTEN = "author4"  # forgotten on request before run 6
RETENTION_RUN = 7  # stored with retention_days=1: posts first seen at T0 are purged


@dataclass(frozen=True)
class Run:
    run_id: str
    at: datetime
    results: list[FetchResult]
    posts: list[Post]
    assessments: list[Assessment]
    forget: str | None = None  # an author erased (`forget_author`) just before this run
    retention_days: int | None = None


def _post(rng: random.Random, n: int, fetched_at: datetime) -> Post:
    school = SCHOOLS[n % 2]
    at = fetched_at - timedelta(hours=n % 30)
    published: datetime | None = at
    if n % 17 == 0:
        published = None
    elif n % 13 == 0:  # another offset: the instant is what counts
        published = at.astimezone(timezone(timedelta(hours=1)))
    post = make_post(
        n,
        text=" ".join(rng.choice(WORDS) for _ in range(rng.randrange(3, 40))),
        title="" if n % 7 == 0 else f"Thread {n} {rng.choice(WORDS)}",
        author="" if n % 11 == 0 else f"author{n % 23}",
        fetched_at=fetched_at,
        published_at=published,
        site=f"forum{n % 3}.example",
        school_id=school,
        source_id=f"source-{n % 5}",
    )
    return replace(post, local=n % 2 == 0)


def _assess(rng: random.Random, post: Post, version: str = "v1") -> Assessment:
    roll = rng.random()
    if roll < 0.05:
        return make_assessment(post, mentions=False, classifier_version=version)
    if roll < 0.4:
        return flagged(post, classifier_version=version, sentiment=rng.uniform(-1, 0))
    if roll < 0.5:
        return flagged(
            post,
            categories=("threat", "harassment"),
            severity="critical",
            rung=6,
            classifier_version=version,
        )
    return make_assessment(post, classifier_version=version, sentiment=rng.uniform(-1, 1))


def _edit(posts: dict[int, Post], n: int, at: datetime) -> Post:
    """New raw bytes (and a new URL for some): a new version."""
    text = posts[n].text + " edited"
    edited = replace(posts[n], text=text, raw=text.encode(), fetched_at=at)
    return replace(edited, url=edited.url + "?v=2") if n % 2 else edited


def runs() -> list[Run]:
    rng = random.Random(11)
    out = []
    posts = {n: _post(rng, n, T0) for n in range(260)}
    assessed = {n: _assess(rng, p) for n, p in posts.items()}
    for r in range(RUNS):
        at = T0 + timedelta(hours=6 * r)
        batch = list(posts)
        if r in (2, 6):  # edits -> version 2, 3, ...; at run 6 some are re-assessed by v3
            for n in rng.sample(sorted(posts), 60 if r == 2 else 30):
                posts[n] = _edit(posts, n, at)
                assessed[n] = _assess(rng, posts[n], "v1" if r == 2 else "v3")
        if r == 3:  # a new classifier version re-assesses some posts, nothing else changes
            for n in rng.sample(sorted(posts), 40):
                assessed[n] = _assess(rng, posts[n], version="v2")
        if r == 4:  # new posts, every one unflagged and without a published time
            for n in range(260, 300):
                posts[n] = replace(_post(rng, n, at), published_at=None)
                assessed[n] = make_assessment(posts[n])
            batch = list(range(260, 300))
        if r == RETENTION_RUN:  # only run 4's posts again: nothing new; the purge runs
            batch = list(range(260, 300))
        chosen = [posts[n] for n in batch]
        if r == 1:  # the same post twice in one batch: the later fetch wins
            chosen.append(replace(chosen[0], fetched_at=at + timedelta(minutes=1)))
        results = [
            make_result(chosen, fetched_at=at, school_id=SCHOOLS[0], etag=f'"e{r}"'),
            make_result([], fetched_at=at, source_id="dead", status="failed", error="HTTP 503"),
            make_result([], fetched_at=at, source_id="same", status="not_modified"),
        ]
        out.append(
            Run(
                f"run-{r}",
                at,
                results,
                chosen,
                [assessed[n] for n in batch],
                forget=FORGOTTEN if r == 6 else None,
                retention_days=1 if r == RETENTION_RUN else None,
            )
        )
    return out


def store_all(path: Path, store_run: Callable[..., StoreSummary]) -> list[StoreSummary]:
    """Every run into a new warehouse at `path`, each in its own transaction as a scheduled
    run stores it: `store_run(con, run_id, started_at, results, posts, assessments, now,
    retention_days=...)`. An author to forget is erased in a transaction of its own first."""
    Warehouse(path)  # created and migrated
    summaries = []
    for run in runs():
        if run.forget:
            with transaction(path) as con:
                erasure.forget_author(con, run.forget, None, run.at)
        with transaction(path) as con:
            summaries.append(
                store_run(con, run.run_id, run.at, run.results, run.posts, run.assessments,
                          run.at + timedelta(minutes=5), retention_days=run.retention_days)
            )  # fmt: skip
    return summaries


def tables(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, sorted (but `schema_migrations`, which records when it migrated)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [n for (n,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {
            n: con.execute(f"SELECT * FROM {n} ORDER BY ALL").fetchall()
            for n in names
            if n != "schema_migrations"
        }
    finally:
        con.close()
