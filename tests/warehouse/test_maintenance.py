"""Retention, Parquet snapshots and rescoring."""

from __future__ import annotations

from datetime import timedelta

import duckdb

from tests.warehouse.builders import (
    SCHOOL,
    T0,
    count,
    flagged,
    make_assessment,
    make_post,
    store,
)


def test_purge_keeps_flagged_and_cased_posts(wh):
    old = T0 - timedelta(days=100)
    calm_old = make_post(1, fetched_at=old)
    angry_old = make_post(2, fetched_at=old, author="X")
    calm_new = make_post(3)
    store(wh, [(calm_old, make_assessment(calm_old)), (angry_old, flagged(angry_old)),
               (calm_new, make_assessment(calm_new))])  # fmt: skip
    # p2 rescored as harmless later: still kept, it is in a case
    wh.add_assessments([make_assessment(angry_old, classifier_version="v2")])
    assert wh.purge(T0, retention_days=90) == 1
    assert wh.query("SELECT post_id FROM posts ORDER BY 1")[1] == [("p2",), ("p3",)]
    assert wh.query("SELECT DISTINCT post_id FROM post_contents ORDER BY 1")[1] == [
        ("p2",), ("p3",)
    ]  # fmt: skip
    assert count(wh, "assessments") == 3
    assert wh.purge(T0, retention_days=90) == 0


def test_snapshot_writes_each_view_to_parquet(wh, tmp_path):
    p = make_post(1)
    store(wh, [(p, flagged(p))])
    paths = wh.snapshot(tmp_path / "snap")
    assert sorted(f.name for f in (tmp_path / "snap").iterdir()) == sorted(
        f"{v}.parquet"
        for v in ("mentions", "flagged", "daily_sentiment", "source_health", "post_versions")
    )
    assert len(paths) == 5
    rows = duckdb.execute(
        f"SELECT post_id, case_id FROM '{tmp_path / 'snap' / 'flagged.parquet'}'"
    ).fetchall()
    assert rows == [("p1", "C-000001")]


def test_stale_posts_and_add_assessments(wh):
    a, b = make_post(1), make_post(2, author="Q", text="St Aldric's Brackenford: Mr X is a thief")
    store(wh, [(a, make_assessment(a)), (b, make_assessment(b, classifier_version="v2"))])
    [stale] = wh.stale_posts("v2")
    assert stale == a
    assert wh.stale_posts("v1") == [b]

    rescored = flagged(b, classifier_version="v3")
    unknown = make_assessment(make_post(99), classifier_version="v3")
    assert wh.add_assessments([rescored, make_assessment(a, classifier_version="v3"), unknown]) == 2
    assert wh.stale_posts("v3") == []
    assert count(wh, "assessments") == 4
    # newly flagged by rescoring: a case, due 24 h after the rescoring
    [case] = wh.list_cases(SCHOOL)
    assert (case.author, case.posts, case.severity) == ("Q", 1, "medium")
    assert wh.query("SELECT post_id, severity FROM flagged")[1] == [("p2", "medium")]
