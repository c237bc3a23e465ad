"""The hash chain over stored versions: sealed at store time, and an edited row is found."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import timedelta

import duckdb
import pytest

from tests.warehouse.builders import SCHOOL, T0, flagged, make_post, store
from warehouse import Warehouse, schema


def _two_versions(wh: Warehouse):
    v1 = make_post(1, author="Concerned", text="Mr Pemberton at St Aldric's took the money")
    store(wh, [(v1, flagged(v1))])
    v2 = make_post(1, author="Concerned", fetched_at=T0 + timedelta(hours=2),
                   text="Mr Pemberton at St Aldric's took the money. Everyone knows.")  # fmt: skip
    store(wh, [(v2, flagged(v2))], run_id="run-2")
    return v1, v2


def _edit(wh: Warehouse, sql: str, params: list | None = None) -> None:
    con = duckdb.connect(str(wh.path))
    try:
        con.execute(sql, params or [])
    finally:
        con.close()


def _rows(wh: Warehouse):
    return wh.query(
        "SELECT version, prev_hash, chain_hash FROM post_contents ORDER BY post_id, version"
    )[1]


def test_versions_are_chained_as_documented(wh):
    v1, v2 = _two_versions(wh)
    [(n1, prev1, hash1), (n2, prev2, hash2)] = _rows(wh)
    assert (n1, n2) == (1, 2)

    # the documented form: compact JSON of these fields, UTF-8, sha256
    def documented(prev, post, version):
        fields = [prev or "", SCHOOL, post.post_id, version,
                  post.fetched_at.isoformat(timespec="microseconds"), post.url,
                  hashlib.sha256(post.raw).hexdigest(), post.title, post.text]  # fmt: skip
        return hashlib.sha256(
            json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
        ).hexdigest()

    assert prev1 is None and hash1 == documented(None, v1, 1)
    assert prev2 == hash1 and hash2 == documented(hash1, v2, 2)
    assert wh.verify_chain() == (2, [])


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        (
            "UPDATE post_contents SET text = replace(text, 'took', 'borrowed') WHERE version = 1",
            "post p1 version 1: the chain hash does not match the row's fields (row edited)",
        ),
        (
            "UPDATE post_contents SET fetched_at = fetched_at + INTERVAL 1 DAY WHERE version = 2",
            "post p1 version 2: the chain hash does not match the row's fields (row edited)",
        ),
        (
            "UPDATE post_contents SET raw = 'something else'::BLOB WHERE version = 1",
            "post p1 version 1: the raw bytes do not match their sha256 (raw or sha256 edited)",
        ),
        (
            "DELETE FROM post_contents WHERE version = 2",
            "post p1: the latest version is 2 but versions stop at 1 (versions deleted)",
        ),
        (
            "DELETE FROM post_contents WHERE version = 1",
            "post p1 version 2: version 1 is missing before it",
        ),
        (
            "UPDATE post_contents SET chain_hash = NULL WHERE version = 2",
            "post p1 version 2: not sealed (its chain hash is empty)",
        ),
    ],
)
def test_an_edited_row_is_detected(wh, sql, problem):
    _two_versions(wh)
    _edit(wh, sql)
    checked, problems = wh.verify_chain()
    assert f"{SCHOOL} {problem}" in problems
    assert checked == (1 if sql.startswith("DELETE") else 2)


def test_an_edit_that_recomputes_its_own_hash_breaks_the_next_link(wh):
    v1, _ = _two_versions(wh)
    from warehouse.chain import Link, chain_hash

    forged = Link(SCHOOL, "p1", 1, v1.fetched_at, v1.url, hashlib.sha256(v1.raw).hexdigest(),
                  v1.title, "Mr Pemberton at St Aldric's is lovely")  # fmt: skip
    _edit(
        wh,
        "UPDATE post_contents SET text = $1, chain_hash = $2 WHERE version = 1",
        [forged.text, chain_hash(forged, None)],
    )
    assert wh.verify_chain()[1] == [
        f"{SCHOOL} post p1 version 2: its previous hash is not version 1's chain hash"
    ]


def test_a_blanked_hash_is_not_sealed_again_by_the_next_run(wh):
    _two_versions(wh)
    _edit(wh, "UPDATE post_contents SET chain_hash = NULL WHERE version = 1")
    other = make_post(2, author="Someone", text="St Aldric's Brackenford is fine")
    store(wh, [(other, flagged(other))], run_id="run-3")
    assert any("version 1: not sealed" in p for p in wh.verify_chain()[1])


def test_rows_stored_before_the_chain_are_sealed_by_the_migration(tmp_path, monkeypatch):
    old = tmp_path / "old-migrations"
    old.mkdir()
    for f in schema.MIGRATIONS_DIR.glob("*.sql"):
        if int(f.name[:4]) < 8:
            shutil.copy(f, old / f.name)
    monkeypatch.setattr(schema, "MIGRATIONS_DIR", old)
    path = tmp_path / "wh.duckdb"
    Warehouse(path)
    con = duckdb.connect(str(path))
    for version, text in ((1, "first words"), (2, "second words")):
        con.execute(
            "INSERT INTO post_contents (school_id, post_id, version, fetched_at, url, sha256, "
            "raw, title, text) VALUES ($1, 'p9', $2, $3, 'https://forum.example/9', $4, $5, "
            "'t', $6)",
            [SCHOOL, version, T0, hashlib.sha256(text.encode()).hexdigest(), text.encode(), text],
        )
    con.close()

    monkeypatch.undo()  # now the shipped migrations, 0008 among them
    wh = Warehouse(path)
    [(n1, prev1, hash1), (n2, prev2, hash2)] = _rows(wh)
    assert (n1, prev1, n2) == (1, None, 2) and prev2 == hash1 and hash2
    assert wh.verify_chain() == (2, [])
