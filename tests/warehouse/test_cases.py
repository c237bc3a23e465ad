"""Cases: deadlines, joining by poster, actions, closing, the evidence bundle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schoolwatch.errors import WarehouseError
from tests.warehouse.builders import SCHOOL, T0, flagged, make_assessment, make_post, store
from warehouse.deadlines import respond_by


def test_case_respond_by_follows_the_ladder(wh):
    saturday = datetime(2025, 3, 8, 10, tzinfo=UTC)
    weekday, weekend = make_post(1, author="A"), make_post(2, author="B", fetched_at=saturday)
    gripe = make_post(3, author="C", fetched_at=saturday)
    threat = make_post(4, author="D", fetched_at=saturday)
    gripe_a = flagged(gripe, categories=("complaint",), severity="low", rung=1)
    threat_a = flagged(threat, categories=("threat",), severity="critical", rung=6)
    store(
        wh,
        [
            (weekday, flagged(weekday)),
            (weekend, flagged(weekend)),
            (gripe, gripe_a),
            (threat, threat_a),
        ],
    )
    got = {c.author: c.respond_by for c in wh.list_cases(SCHOOL)}
    # the rule is analysis.ladder.respond_by (tested there)
    assert got == {
        "A": T0 + timedelta(hours=24),  # report and hide: 24 h
        "B": saturday + timedelta(hours=24),  # ... weekends included
        "C": datetime(2025, 3, 10, 17, tzinfo=UTC),  # a complaint: the next working day
        "D": saturday,  # a threat: now
    }
    assert got["B"] == respond_by(saturday, severity="medium", rung=2)


def test_a_worse_post_brings_its_case_forward_and_an_answered_case_starts_again(wh):
    gripe = make_post(1, author="A")
    store(wh, [(gripe, flagged(gripe, categories=("complaint",), severity="low", rung=1))])
    (case,) = wh.list_cases(SCHOOL)
    assert case.respond_by == T0 + timedelta(hours=24)
    later = T0 + timedelta(hours=2)
    threat = make_post(2, author="A", fetched_at=later)
    threat_a = flagged(threat, categories=("threat",), severity="critical", rung=6)
    store(wh, [(threat, threat_a)], run_id="run-2", fetched_at=later)
    (case,) = wh.list_cases(SCHOOL)
    assert case.respond_by == later  # due now, not tomorrow
    wh.record_action(case.case_id, 6, "Rang 101", "Head")
    much_later = T0 + timedelta(days=1)  # Thursday
    gripe2 = make_post(3, author="A", fetched_at=much_later)
    gripe2_a = flagged(gripe2, categories=("complaint",), severity="low", rung=1)
    store(wh, [(gripe2, gripe2_a)], run_id="run-3", fetched_at=much_later)
    (case,) = wh.list_cases(SCHOOL)
    # answered before the new post joined: the new post's own deadline, not the old one
    assert case.respond_by == much_later + timedelta(hours=24)


def test_posts_by_the_same_author_join_the_open_case(wh):
    a1 = make_post(1, author="Concerned")
    a2 = make_post(2, author="Concerned", fetched_at=T0 + timedelta(days=1))
    other_site = make_post(3, author="Concerned", site="news.example")
    anon1, anon2 = make_post(4, author=""), make_post(5, author="")
    calm = make_post(6, author="Concerned")
    s = store(wh, [(a1, flagged(a1)), (other_site, flagged(other_site)),
                   (anon1, flagged(anon1)), (anon2, flagged(anon2)),
                   (calm, make_assessment(calm))])  # fmt: skip
    assert s.cases_opened == 4
    s2 = store(wh, [(a2, flagged(a2))], run_id="run-2")
    assert (s2.cases_opened, s2.new_flagged) == (0, 1)
    rows = wh.query("SELECT c.case_id, c.site, c.author, list(cp.post_id ORDER BY cp.post_id) "
                    "FROM cases c JOIN case_posts cp USING (case_id) GROUP BY ALL "
                    "ORDER BY case_id")[1]  # fmt: skip
    assert rows == [
        ("C-000001", "forum.example", "Concerned", ["p1", "p2"]),
        ("C-000002", "news.example", "Concerned", ["p3"]),
        ("C-000003", "forum.example", "", ["p4"]),
        ("C-000004", "forum.example", "", ["p5"]),
    ]


def test_closed_case_is_not_joined(wh):
    a1, a2 = make_post(1, author="Concerned"), make_post(2, author="Concerned")
    store(wh, [(a1, flagged(a1))])
    wh.close_case("C-000001", "resolved by phone", "Head")
    store(wh, [(a2, flagged(a2))], run_id="run-2")
    assert [(c.case_id, c.posts) for c in wh.list_cases(SCHOOL, status=None)] == [
        ("C-000001", 1), ("C-000002", 1)
    ]  # fmt: skip
    assert [c.case_id for c in wh.list_cases(SCHOOL)] == ["C-000002"]


def test_last_action_rungs(wh):
    a, b = make_post(1, author="Concerned"), make_post(2, author="Other")
    store(wh, [(a, flagged(a)), (b, flagged(b))])
    assert wh.last_action_rungs(SCHOOL) == {}
    wh.record_action("C-000001", 2, "reported to the forum", "DSL")
    wh.record_action("C-000001", 3, "invited to meet the head", "Head")
    wh.record_action("C-000002", 1, "replied on the forum", "Head")
    assert wh.last_action_rungs(SCHOOL) == {
        ("forum.example", "Concerned"): 3,
        ("forum.example", "Other"): 1,
    }
    wh.close_case("C-000002", "apologised", "Head")
    assert wh.last_action_rungs(SCHOOL) == {("forum.example", "Concerned"): 3}
    assert wh.last_action_rungs("another-school") == {}
    assert wh.last_action_rungs_by_school([SCHOOL, "another-school"]) == {
        SCHOOL: {("forum.example", "Concerned"): 3},
        "another-school": {},
    }


def test_case_detail_and_actions(wh):
    p = make_post(1, author="Concerned")
    store(wh, [(p, flagged(p))])
    action = wh.record_action("C-000001", 2, "reported to the forum", "DSL")
    detail = wh.case_detail("C-000001")
    assert detail.case.status == "open"
    assert (detail.case.severity, detail.case.rung, detail.case.last_action_rung) == (
        "medium", 2, 2
    )  # fmt: skip
    assert detail.actions == (action,)
    assert [(i.post_id, i.case_id, i.categories) for i in detail.items] == [
        ("p1", "C-000001", ("defamation",))
    ]
    closed = wh.close_case("C-000001", "post removed by the host", "Head")
    assert closed.status == "closed" and closed.closed_at is not None
    assert wh.case_detail("C-000001").close_note == "post removed by the host"
    with pytest.raises(WarehouseError, match="is closed"):
        wh.record_action("C-000001", 3, "late", "DSL")
    with pytest.raises(WarehouseError, match="already closed"):
        wh.close_case("C-000001", "again", "Head")


def test_bad_rung_and_unknown_case(wh):
    p = make_post(1)
    store(wh, [(p, flagged(p))])
    with pytest.raises(WarehouseError, match="rung must be 0 to 6"):
        wh.record_action("C-000001", 7, "x", "y")
    for call in (
        lambda: wh.case_detail("C-999999"),
        lambda: wh.record_action("C-999999", 1, "x", "y"),
        lambda: wh.close_case("C-999999", "x", "y"),
        lambda: wh.export_evidence("C-999999", wh.path.parent),
    ):
        with pytest.raises(WarehouseError) as e:
            call()
        assert str(e.value) == "no case C-999999; try 'schoolwatch cases list'"
