"""Retention, Parquet snapshots and rescoring."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from tests.warehouse.builders import (
    SCHOOL,
    T0,
    count,
    flagged,
    make_assessment,
    make_post,
    make_result,
    store,
)
from warehouse.maintenance import VIEWS


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


def test_a_run_purges_in_its_own_write_transaction(wh):
    now = datetime.now(UTC)  # a run purges by the clock
    old = make_post(1, fetched_at=now - timedelta(days=100))
    store(wh, [(old, make_assessment(old))])
    new = make_post(2, fetched_at=now)
    summary = wh.store_run(
        "run-2", now, [make_result([new])], [make_assessment(new)], retention_days=90
    )
    assert (summary.new_posts, summary.purged) == (1, 1)
    assert wh.query("SELECT post_id FROM posts")[1] == [("p2",)]


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


def test_snapshots_have_the_views_types_mode_and_the_warehouse_group(wh, tmp_path):
    p = make_post(1)
    store(wh, [(p, flagged(p))])
    gid = _another_group(wh.path.stat().st_gid)
    os.chown(wh.path, -1, gid)  # e.g. the analysts' group, not the pipeline account's own
    wh.snapshot(tmp_path / "snap", mode=0o640)
    con = duckdb.connect(str(wh.path), read_only=True)
    try:
        for view in VIEWS:
            snap = tmp_path / "snap" / f"{view}.parquet"
            assert stat.S_IMODE(snap.stat().st_mode) == 0o640, view
            assert snap.stat().st_gid == gid, view
            in_db = con.execute(f"DESCRIBE {view}").fetchall()
            in_parquet = con.execute(f"DESCRIBE SELECT * FROM '{snap}'").fetchall()
            assert [(c[0], c[1]) for c in in_parquet] == [(c[0], c[1]) for c in in_db], view
        # the column that used to differ (HUGEINT in the view, DOUBLE in Parquet)
        assert con.execute(
            f"SELECT typeof(flagged) FROM '{tmp_path / 'snap' / 'daily_sentiment.parquet'}'"
        ).fetchone() == ("BIGINT",)
    finally:
        con.close()
    wh.snapshot(tmp_path / "snap", mode=0o600)  # the mode is the configured one
    assert stat.S_IMODE((tmp_path / "snap" / "mentions.parquet").stat().st_mode) == 0o600


def _another_group(gid: int) -> int:
    if os.geteuid() == 0:
        return gid + 4242
    others = [g for g in os.getgroups() if g != gid]
    if not others:
        pytest.skip("this account belongs to one group only")
    return others[0]


def test_snapshot_mode_is_read_from_the_config():
    from schoolwatch.config import parse_config

    assert parse_config("").warehouse.snapshot_permissions == 0o640
    cfg = parse_config('[warehouse]\nsnapshot_mode = "0604"')
    assert cfg.warehouse.snapshot_permissions == 0o604


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


def test_snapshot_writes_only_the_views_that_changed(wh, tmp_path):
    snap = tmp_path / "snap"
    p = make_post(1)
    store(wh, [(p, flagged(p))])
    assert len(wh.snapshot(snap)) == 5
    inodes = {f.name: f.stat().st_ino for f in snap.iterdir()}
    assert wh.snapshot(snap) == []  # nothing changed: nothing rewritten
    assert {f.name: f.stat().st_ino for f in snap.iterdir()} == inodes
    # another run: the source's health changes (last_run_at), the mentions do not
    store(wh, [(p, flagged(p))], run_id="run-2", fetched_at=T0 + timedelta(hours=6))
    assert [f.name for f in wh.snapshot(snap)] == ["source_health.parquet"]
    # a new post changes every view that shows posts; each file holds the view's rows
    q = make_post(2)
    store(wh, [(q, make_assessment(q))], run_id="run-3", fetched_at=T0 + timedelta(hours=7))
    assert {f.name for f in wh.snapshot(snap)} == {f"{v}.parquet" for v in VIEWS} - {
        "flagged.parquet"
    }
    # an edit of one value, same row count, is seen; so is a damaged file
    wh.mark_digested(SCHOOL, ["p1"], T0 + timedelta(hours=8))
    (snap / "mentions.parquet").write_bytes(b"not parquet")
    assert {f.name for f in wh.snapshot(snap)} == {"flagged.parquet", "mentions.parquet"}
    for view in VIEWS:
        in_file = duckdb.execute(f"SELECT count(*) FROM '{snap / view}.parquet'").fetchone()
        assert in_file == (len(wh.query(f"SELECT * FROM {view}")[1]),), view
