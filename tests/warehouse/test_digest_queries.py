"""Alerts and digests: what is pending, marked once, the 30-day history, overdue cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from schoolwatch.models import DaySentiment, SourceHealth
from tests.warehouse.builders import (
    SCHOOL,
    SOURCE,
    T0,
    flagged,
    make_assessment,
    make_post,
    store,
)


def _threat(post):
    return flagged(post, categories=("threat",), severity="critical", rung=6, sentiment=-0.8)


def test_pending_alerts_are_flagged_items_not_yet_sent_and_marked_once(wh):
    t, d, e = make_post(1, author="X"), make_post(2, author="Y"), make_post(3, author="W")
    store(wh, [(t, _threat(t)), (d, flagged(d)), (e, flagged(e))])
    wh.mark_digested(SCHOOL, ["p3"], T0)  # already in a digest: no longer an alert candidate
    item, other = wh.pending_alerts(SCHOOL)
    assert (item.post_id, item.severity, item.case_id, item.alerted_at) == (
        "p1", "critical", "C-000001", None
    )  # fmt: skip
    assert other.post_id == "p2"
    assert item.evidence[0].category == "threat"
    sent = T0 + timedelta(minutes=5)
    assert wh.mark_alerted(SCHOOL, ["p1"], ["dsl@school.example"], sent) == 1
    assert wh.mark_alerted(SCHOOL, ["p1"], ["dsl@school.example"], sent + timedelta(1)) == 0
    assert [i.post_id for i in wh.pending_alerts(SCHOOL)] == ["p2"]
    rows = wh.query(
        "SELECT post_id, kind, sent_at, recipients FROM deliveries WHERE kind = 'alert'"
    )[1]
    assert rows == [("p1", "alert", sent, ["dsl@school.example"])]


def test_each_item_is_in_exactly_one_digest(wh):
    t, d, calm = make_post(1, author="X"), make_post(2, author="Y"), make_post(3)
    store(wh, [(t, _threat(t)), (d, flagged(d)), (calm, make_assessment(calm))])
    now = T0 + timedelta(hours=1)
    data = wh.digest_data(SCHOOL, "St Aldric's", now)
    assert [i.post_id for i in data.items] == ["p1", "p2"]  # critical first
    assert data.new_mentions == 3
    assert wh.mark_digested(SCHOOL, ["p1", "p2", "p2"], now, ["head@school.example"]) == 2
    assert wh.mark_digested(SCHOOL, ["p1"], now + timedelta(hours=1)) == 0

    later = make_post(4, author="Z", fetched_at=T0 + timedelta(hours=3))
    store(wh, [(later, flagged(later))], run_id="run-2")
    assert wh.query("SELECT post_id, recipients FROM deliveries ORDER BY 1")[1] == [
        ("p1", ["head@school.example"]), ("p2", ["head@school.example"])
    ]  # fmt: skip
    nxt = wh.digest_data(SCHOOL, "St Aldric's", T0 + timedelta(hours=4))
    assert [i.post_id for i in nxt.items] == ["p4"]
    assert nxt.new_mentions == 1
    assert wh.query("SELECT post_id, digested_at FROM flagged ORDER BY post_id")[1] == [
        ("p1", now), ("p2", now), ("p4", None)
    ]  # fmt: skip


def test_failed_send_leaves_items_for_the_next_digest(wh):
    d = make_post(1)
    store(wh, [(d, flagged(d))])
    first = wh.digest_data(SCHOOL, "St Aldric's", T0 + timedelta(hours=1))
    # nothing marked (the send failed): the next digest has the same item
    second = wh.digest_data(SCHOOL, "St Aldric's", T0 + timedelta(hours=2))
    assert [i.post_id for i in first.items] == [i.post_id for i in second.items] == ["p1"]


def test_overdue_cases_without_action(wh):
    a1 = make_post(1, author="A")
    a2 = make_post(2, author="A", fetched_at=T0 + timedelta(hours=1))
    b = make_post(3, author="B")
    store(wh, [(a1, flagged(a1)), (a2, flagged(a2)), (b, flagged(b))])
    before = wh.digest_data(SCHOOL, "St Aldric's", T0 + timedelta(hours=23))
    assert before.overdue == ()
    after = wh.digest_data(SCHOOL, "St Aldric's", T0 + timedelta(hours=25))
    assert [(i.case_id, i.post_id) for i in after.overdue] == [("C-000001", "p2"),
                                                               ("C-000002", "p3")]  # fmt: skip
    wh.record_action("C-000002", 1, "replied", "Head")
    after = wh.digest_data(SCHOOL, "St Aldric's", T0 + timedelta(hours=25))
    assert [i.case_id for i in after.overdue] == ["C-000001"]


def test_history_is_30_days_oldest_first_with_zero_days(wh):
    p1 = make_post(1, published_at=T0 - timedelta(days=2))
    p2 = make_post(2, published_at=T0)
    p3 = make_post(3, published_at=T0 - timedelta(days=40))  # outside the window
    store(wh, [(p1, make_assessment(p1, sentiment=0.4)), (p2, flagged(p2, sentiment=-0.6)),
               (p3, make_assessment(p3))])  # fmt: skip
    history = wh.digest_data(SCHOOL, "St Aldric's", T0).history
    assert len(history) == 30
    assert history[0] == DaySentiment("2025-02-04", 0, None, None, 0)
    assert history[-3] == DaySentiment("2025-03-03", 1, 0.4, 0.0, 0)
    assert history[-2] == DaySentiment("2025-03-04", 0, None, None, 0)
    assert history[-1] == DaySentiment("2025-03-05", 1, -0.6, 1.0, 1)


def test_digest_source_health(wh):
    from tests.warehouse.builders import make_result

    wh.store_run("r1", T0, [make_result([], status="failed", error="HTTP 404")], [])
    assert wh.digest_data(SCHOOL, "St Aldric's", T0).sources == (
        SourceHealth(SCHOOL, SOURCE, T0, "failed", "HTTP 404", 1, 0),
    )


def test_empty_digest_still_moves_the_new_mentions_start(wh):
    p = make_post(1)
    store(wh, [(p, make_assessment(p))])
    now = datetime(2025, 3, 6, tzinfo=UTC)
    assert wh.digest_data(SCHOOL, "St Aldric's", now).new_mentions == 1
    assert wh.mark_digested(SCHOOL, [], now) == 0
    assert wh.digest_data(SCHOOL, "St Aldric's", now).new_mentions == 0


def test_a_new_post_after_an_action_makes_the_case_due_again(wh):
    a1 = make_post(1, author="A")
    store(wh, [(a1, flagged(a1))])
    wh.record_action("C-000001", 2, "reported to the site", "Head")
    a2 = make_post(2, author="A", fetched_at=T0 + timedelta(hours=30))
    store(wh, [(a2, flagged(a2))], run_id="run-2")
    assert wh.digest_data(SCHOOL, "St Aldric's", T0 + timedelta(hours=40)).overdue == ()
    late = wh.digest_data(SCHOOL, "St Aldric's", T0 + timedelta(hours=55))
    assert [(i.case_id, i.post_id) for i in late.overdue] == [("C-000001", "p2")]


def test_confidence_is_stored_and_read_back(wh):
    t, old = make_post(1, author="X"), make_post(2, author="Y")
    sure = replace(_threat(t), confidence={"threat": 0.42})
    store(wh, [(t, sure), (old, _threat(old))])  # p2: none given
    items = {i.post_id: i for i in wh.digest_data(SCHOOL, "St Aldric's", T0).items}
    assert items["p1"].confidence == {"threat": 0.42}
    assert items["p2"].confidence == {}
    rows = wh.query("SELECT post_id, confidence['threat'] FROM flagged ORDER BY post_id")[1]
    assert rows == [("p1", 0.42), ("p2", None)]
