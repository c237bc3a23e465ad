"""`forget_author`: an author's posts erased (UK GDPR), except those an open case holds."""

from __future__ import annotations

from datetime import timedelta

from tests.warehouse.builders import SCHOOL, T0, flagged, make_assessment, make_post, store
from warehouse import Warehouse

SECRET = "Zebulon-7731"  # a word only the erased author's posts contain


def _all_text(wh: Warehouse) -> str:
    """Every value of every table and view in the file, as one string."""
    _, tables = wh.query(
        "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views() "
        "WHERE NOT internal"
    )
    chunks = []
    for (table,) in tables:
        _, rows = wh.query(f"SELECT * FROM {table}")
        chunks += [repr(row) for row in rows]
    return "\n".join(chunks)


def _seed(wh: Warehouse):
    calm = make_post(1, author="DawnK", text=f"St Aldric's Brackenford {SECRET} fair")
    edited = make_post(1, author="DawnK", text=f"St Aldric's Brackenford {SECRET} fair, edited",
                       fetched_at=T0 + timedelta(hours=1))  # fmt: skip
    held = make_post(2, author="DawnK", text="St Aldric's Brackenford: Mr X stole the minibus")
    closed = make_post(3, author="DawnK", site="other.example", text=f"{SECRET} Mrs Y is a liar")
    someone_else = make_post(4, author="Q", text="St Aldric's Brackenford: a thief works there")
    store(wh, [(calm, make_assessment(calm)), (held, flagged(held)), (closed, flagged(closed)),
               (someone_else, flagged(someone_else))])  # fmt: skip
    store(wh, [(edited, make_assessment(edited))], run_id="run-2")
    wh.mark_digested(SCHOOL, ["p2", "p3", "p4"], T0 + timedelta(hours=2), ["head@school.example"])
    by_post = {c.author + "@" + c.site: c for c in wh.list_cases(status=None)}
    closed_case = by_post["DawnK@other.example"].case_id
    wh.record_action(closed_case, 2, "reported to the site", "Head")
    wh.close_case(closed_case, "removed by the host", "Head")
    return calm, held, closed, closed_case, by_post["DawnK@forum.example"].case_id


def test_erases_every_trace_except_posts_an_open_case_holds(wh):
    *_, closed_case, open_case = _seed(wh)
    result = wh.forget_author("DawnK")
    assert [p.post_id for p in result.erased] == ["p1", "p3"]
    assert [(p.post_id, p.case_id) for p in result.held] == [("p2", open_case)]
    assert result.cases_removed == (closed_case,)

    # the held post is whole; of the erased ones nothing is left but their ids
    assert wh.query("SELECT post_id FROM posts ORDER BY 1")[1] == [("p2",), ("p4",)]
    everything = _all_text(wh)
    assert SECRET not in everything and "liar" not in everything
    assert "stole the minibus" in everything
    digested = "SELECT post_id FROM flagged WHERE digested_at IS NOT NULL ORDER BY 1"
    assert wh.query(digested)[1] == [("p2",), ("p4",)]
    assert wh.query("SELECT case_id FROM cases ORDER BY 1")[1] == [(open_case,), ("C-000003",)]
    assert wh.query("SELECT count(*) FROM case_actions")[1] == [(0,)]
    assert wh.query("SELECT post_id FROM erased_posts ORDER BY 1")[1] == [("p1",), ("p3",)]


def test_an_erased_post_is_not_stored_again_but_new_posts_are(wh):
    calm, *_ = _seed(wh)
    wh.forget_author("DawnK")
    summary = store(wh, [(calm, make_assessment(calm))], run_id="run-3")  # still on the web
    assert summary.new_posts == 0
    new = make_post(9, author="DawnK", text="St Aldric's Brackenford sports day was fun")
    assert store(wh, [(new, make_assessment(new))], run_id="run-4").new_posts == 1


def test_site_narrows_it_and_a_name_not_found_suggests_similar_ones(wh):
    _seed(wh)
    result = wh.forget_author("DawnK", site="other.example")
    assert [p.post_id for p in result.erased] == ["p3"] and result.held == ()
    assert wh.query("SELECT post_id FROM posts ORDER BY 1")[1] == [("p1",), ("p2",), ("p4",)]

    missing = wh.forget_author("dawnk")
    assert (missing.erased, missing.held) == ((), ())
    assert missing.similar == (("DawnK", "forum.example"),)
