"""Removal tracking in the warehouse: what to re-check, the checks, posts still online at 48 h."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from schoolwatch.models import RemovalCheck, RemovalStatus
from tests.warehouse.builders import SCHOOL, T0, count, flagged, make_post, store
from warehouse import Warehouse


def found(
    wh: Warehouse, post_id: str, status: RemovalStatus, at: datetime, reason: str = "test"
) -> None:
    (target,) = [t for t in wh.removal_targets() if t.post_id == post_id]
    wh.record_removal_checks(
        [
            RemovalCheck(
                school_id=target.school_id,
                post_id=target.post_id,
                case_id=target.case_id,
                url=target.url,
                checked_at=at,
                status=status,
                reason=reason,
                http_status={"still_online": 200, "removed": 404}.get(status),
                etag='"e1"',
            )
        ],
        run_id="run-x",
    )


def reported_case(wh: Warehouse, rung: int = 2):
    """A defamation post by Gaz1985 on a case with an action at `rung` (recorded now: the
    warehouse's clock is real, so the checks below are timed from the action)."""
    post = make_post(1, author="Gaz1985", text="The head at St Aldric's fiddles the budget.")
    store(wh, [(post, flagged(post))])
    (case,) = wh.list_cases(SCHOOL)
    action = wh.record_action(case.case_id, rung, "reported to the forum's moderators", "Head")
    return post, case, action.recorded_at


def test_only_posts_on_cases_with_an_action_at_rung_2_or_higher_are_rechecked(wh):
    post = make_post(1, author="Grumbler")
    other = make_post(2, author="Gaz1985", text="The head at St Aldric's fiddles the budget.")
    store(wh, [(post, flagged(post, categories=("complaint",), severity="low", rung=1))])
    store(wh, [(other, flagged(other))], run_id="run-2")
    cases = {c.author: c.case_id for c in wh.list_cases(SCHOOL)}
    assert wh.removal_targets() == []  # no action yet
    wh.record_action(cases["Grumbler"], 1, "replied on the page", "Office")
    assert wh.removal_targets() == []  # a reply does not ask for removal
    wh.record_action(cases["Gaz1985"], 2, "reported to the forum", "Head")
    (target,) = wh.removal_targets()
    assert (target.post_id, target.case_id, target.url, target.text) == (
        "p2",
        cases["Gaz1985"],
        other.url,
        other.text,
    )
    assert (target.etag, target.last_modified) == (None, None)


def test_checks_stop_once_removed_and_carry_the_validators_while_online(wh):
    _, _, reported_at = reported_case(wh)
    found(wh, "p1", "still_online", reported_at + timedelta(days=1))
    (target,) = wh.removal_targets()
    assert target.etag == '"e1"'  # a conditional GET next time
    found(wh, "p1", "unknown", reported_at + timedelta(days=2))
    (target,) = wh.removal_targets()
    assert target.etag is None  # after a failed check, a full GET
    found(wh, "p1", "removed", reported_at + timedelta(days=3))
    assert wh.removal_targets() == []
    _, rows = wh.query(
        "SELECT last_status, last_http_status, removed_at, reported_at, reported_rung "
        "FROM post_removal"
    )
    assert rows == [("removed", 404, reported_at + timedelta(days=3), reported_at, 2)]


def test_checks_stop_when_the_case_is_closed(wh):
    _, case, reported_at = reported_case(wh)
    found(wh, "p1", "still_online", reported_at + timedelta(days=3))
    assert wh.still_online(SCHOOL, reported_at + timedelta(days=4)) != []
    wh.close_case(case.case_id, "the forum removed the thread", "Head")
    assert wh.removal_targets() == []
    assert wh.still_online(SCHOOL, reported_at + timedelta(days=4)) == []


def test_still_online_48_hours_after_the_report(wh):
    post, case, reported_at = reported_case(wh, rung=4)
    found(wh, "p1", "still_online", reported_at + timedelta(hours=20))
    day3 = reported_at + timedelta(hours=49)
    # reported 49 h ago, but not yet seen online 48 h after the report
    assert wh.still_online(SCHOOL, day3) == []

    found(wh, "p1", "still_online", reported_at + timedelta(hours=48))
    (listed,) = wh.still_online(SCHOOL, day3)
    assert listed.item.post_id == "p1" and listed.item.case_id == case.case_id
    assert listed.item.text == post.text
    assert (listed.reported_at, listed.reported_rung) == (reported_at, 4)
    assert listed.seen_online_at == listed.checked_at == reported_at + timedelta(hours=48)
    assert listed.status == "still_online"
    # the board can ask for another period
    assert wh.still_online(SCHOOL, day3, after=timedelta(hours=72)) == []
    assert wh.still_online("another-school", day3) == []

    # a check that failed since does not hide it; it says so
    found(wh, "p1", "unknown", reported_at + timedelta(hours=72), "HTTP 503 from forum")
    (listed,) = wh.still_online(SCHOOL, reported_at + timedelta(hours=73))
    assert (listed.status, listed.reason) == ("unknown", "HTTP 503 from forum")
    assert listed.seen_online_at == reported_at + timedelta(hours=48)

    found(wh, "p1", "removed", reported_at + timedelta(hours=96))
    assert wh.still_online(SCHOOL, reported_at + timedelta(hours=97)) == []


def test_a_post_that_joined_after_the_report_was_not_reported(wh):
    _, _, reported_at = reported_case(wh)
    later = T0 + timedelta(days=1)
    again = replace(
        make_post(2, author="Gaz1985", text="Still fiddling the budget at St Aldric's."),
        fetched_at=later,
    )
    store(wh, [(again, flagged(again))], run_id="run-2", fetched_at=later)
    # both posts are re-checked: the case has been reported
    assert sorted(t.post_id for t in wh.removal_targets()) == ["p1", "p2"]
    for post_id in ("p1", "p2"):
        found(wh, post_id, "still_online", reported_at + timedelta(hours=50))
    # but only the first was reported (the action came before the second joined the case)
    listed = wh.still_online(SCHOOL, reported_at + timedelta(hours=51))
    assert [s.item.post_id for s in listed] == ["p1"]
    _, rows = wh.query("SELECT post_id, reported_at FROM post_removal ORDER BY post_id")
    assert rows == [("p1", reported_at), ("p2", None)]


def test_the_digest_reads_the_posts_still_online(wh):
    _, _, reported_at = reported_case(wh)
    found(wh, "p1", "still_online", reported_at + timedelta(hours=50))
    data = wh.digest_data(SCHOOL, "St Aldric's", reported_at + timedelta(hours=51))
    assert [s.item.post_id for s in data.still_online] == ["p1"]


def test_erasing_an_author_erases_their_checks_but_an_open_case_keeps_them(wh):
    _, case, reported_at = reported_case(wh)
    found(wh, "p1", "still_online", reported_at + timedelta(days=1))
    wh.forget_author("Gaz1985")  # held: the case is open
    assert count(wh, "removal_checks") == 1
    wh.close_case(case.case_id, "removed by the site", "Head")
    wh.forget_author("Gaz1985")
    assert count(wh, "removal_checks") == 0


def test_checks_are_times_in_utc(wh):
    reported_case(wh)
    at = datetime(2025, 7, 1, 7, 0, tzinfo=UTC)
    found(wh, "p1", "still_online", at)
    _, rows = wh.query("SELECT checked_at, status, reason, run_id FROM removal_checks")
    assert rows == [(at, "still_online", "test", "run-x")]
