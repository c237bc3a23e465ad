"""'If inappropriate use continues': a repeat poster's next flagged post goes one rung up."""

from __future__ import annotations

from dataclasses import replace

from flows.daily import apply_escalation
from tests.warehouse.builders import SCHOOL, flagged, make_post, store


def test_after_an_action_the_same_author_is_recommended_one_rung_higher(wh):
    first = make_post(1, author="Repeat")
    store(wh, [(first, flagged(first, categories=("harassment",)))])
    (case,) = wh.list_cases(SCHOOL)
    wh.record_action(case.case_id, 2, "reported to the site", "Head")

    again = make_post(2, author="Repeat")
    stranger = make_post(3, author="Someone else")
    same_name_elsewhere = replace(make_post(4, author="Repeat"), url="https://other.example/4")
    posts = [again, stranger, same_name_elsewhere]
    out = apply_escalation(posts, [flagged(p, categories=("harassment",)) for p in posts], wh)

    assert [(a.rung, a.rung_reason) for a in out] == [(3, "repeat"), (2, "first"), (2, "first")]


def test_a_complaint_never_climbs_above_its_ceiling(wh):
    first = make_post(1, author="Grumbler")
    store(wh, [(first, flagged(first, categories=("complaint",), severity="low", rung=1))])
    (case,) = wh.list_cases(SCHOOL)
    wh.record_action(case.case_id, 1, "replied", "Office")
    again = make_post(2, author="Grumbler")
    (out,) = apply_escalation([again], [flagged(again, categories=("complaint",), rung=1)], wh)
    assert out.rung == 1
