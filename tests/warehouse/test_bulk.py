"""The Arrow bulk path stores exactly what the list-parameter path (`insert_rows`) stores.

The same sequence of runs (new posts, a repeat, edits, a new classifier version, failed and
unchanged sources, unflagged-only batches) goes into two warehouse files, one through each
writer; every table must then hold the same rows, value for value.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from schoolwatch.models import Assessment, FetchResult, Post
from tests.warehouse.builders import T0, flagged, make_assessment, make_post, make_result
from warehouse import Warehouse, store
from warehouse.bulk import RowWriter, append_rows, arrow_table
from warehouse.connection import insert_rows, transaction

SCHOOLS = ("st-aldrics-brackenford", "holm-lane-academy")
WORDS = (
    "St Aldric's Brackenford", "Holm Lane Academy", "café", "naïve", "’quoted’", "🙂",
    "liar", "great", "homework", "Mrs Okafor", "\"quote\"", "back\\slash", "line\nbreak",
)  # fmt: skip
RUNS = 6


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


def _runs() -> list[tuple[str, datetime, list[FetchResult], list[Post], list[Assessment]]]:
    """Six runs over ~300 posts: new, repeated, edited, re-assessed, failing, unflagged."""
    rng = random.Random(11)
    runs = []
    posts = {n: _post(rng, n, T0) for n in range(260)}
    assessed = {n: _assess(rng, p) for n, p in posts.items()}
    for r in range(RUNS):
        at = T0 + timedelta(hours=6 * r)
        batch = list(posts)
        if r == 2:  # edits: new raw bytes (and a new URL for some) -> version 2, 3, ...
            for n in rng.sample(sorted(posts), 60):
                text = posts[n].text + " edited"
                edited = replace(posts[n], text=text, raw=text.encode(), fetched_at=at)
                posts[n] = replace(edited, url=edited.url + "?v=2") if n % 2 else edited
                assessed[n] = _assess(rng, posts[n])
        if r == 3:  # a new classifier version re-assesses some posts, nothing else changes
            for n in rng.sample(sorted(posts), 40):
                assessed[n] = _assess(rng, posts[n], version="v2")
        if r == 4:  # new posts, every one unflagged and without a published time
            for n in range(260, 300):
                posts[n] = replace(_post(rng, n, at), published_at=None)
                assessed[n] = make_assessment(posts[n])
            batch = list(range(260, 300))
        chosen = [posts[n] for n in batch]
        if r == 1:  # the same post twice in one batch: the later fetch wins
            chosen.append(replace(chosen[0], fetched_at=at + timedelta(minutes=1)))
        results = [
            make_result(chosen, fetched_at=at, school_id=SCHOOLS[0], etag=f'"e{r}"'),
            make_result([], fetched_at=at, source_id="dead", status="failed", error="HTTP 503"),
            make_result([], fetched_at=at, source_id="same", status="not_modified"),
        ]
        runs.append((f"run-{r}", at, results, chosen, [assessed[n] for n in batch]))
    return runs


def _store_all(path: Path, write: RowWriter) -> list:
    Warehouse(path)  # created and migrated
    summaries = []
    for run_id, at, results, posts, assessments in _runs():
        now = at + timedelta(minutes=5)
        with transaction(path) as con:
            summaries.append(
                store.store_run(con, run_id, at, results, posts, assessments, now, write)
            )
    return summaries


def _tables(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [n for (n,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {
            n: con.execute(f"SELECT * FROM {n} ORDER BY ALL").fetchall()
            for n in names
            if n != "schema_migrations"  # records when each file was migrated
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[tuple[list, dict], tuple[list, dict]]:
    folder = tmp_path_factory.mktemp("bulk")
    old, new = folder / "unnest.duckdb", folder / "arrow.duckdb"
    return (
        (_store_all(old, insert_rows), _tables(old)),
        (_store_all(new, append_rows), _tables(new)),
    )


def test_every_table_holds_the_same_rows(both):
    (_, old), (_, new) = both
    assert old.keys() == new.keys()
    for table in old:
        assert new[table] == old[table], table


def test_the_runs_exercise_every_kind_of_write(both):
    (old_summaries, old), (new_summaries, _) = both
    assert new_summaries == old_summaries
    assert old_summaries[0].new_posts > 200 and old_summaries[0].cases_opened > 0
    assert old_summaries[1].new_posts == 0 and old_summaries[1].new_assessments == 0
    assert old_summaries[2].new_versions > 40  # of the 60 edited, those that mention a school
    assert old_summaries[3].new_assessments > 30
    assert old_summaries[4].new_posts == 40 and old_summaries[4].new_flagged == 0
    assert old_summaries[5].new_posts == old_summaries[5].new_assessments == 0
    assert len(old["fetches"]) == 3 * RUNS and len(old["runs"]) == RUNS


def test_times_are_instants_whatever_their_offset():
    """pyarrow takes one zone for a column: an hour-ahead time must stay the same instant."""
    london_summer = timezone(timedelta(hours=1))
    values = [datetime(2025, 3, 5, 10, tzinfo=UTC), datetime(2025, 7, 1, 9, tzinfo=london_summer)]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'; CREATE TABLE t (ts TIMESTAMPTZ)")
    append_rows(con, "t", ["ts"], [(v,) for v in values])
    assert [r[0] for r in con.execute("SELECT ts FROM t ORDER BY ts").fetchall()] == values


def test_arrow_table_refuses_ragged_rows():
    with pytest.raises(ValueError):
        arrow_table(["a", "b"], [(1, 2), (3,)])
