"""After a report (an action at rung 2 or higher), the board shows what the re-checks found,
and lists the posts still online 48 hours after the report."""

from __future__ import annotations

from datetime import UTC, datetime

from schoolwatch.models import RemovalCheck
from tests.web.conftest import Seeded
from tests.web.support import HEAD, signed_in
from warehouse.connection import transaction

STILL = "Still online 48 hours after the report"


def _check(case_id: str, status: str) -> RemovalCheck:
    return RemovalCheck(
        school_id="st-aldrics-brackenford",
        post_id="p3",
        case_id=case_id,
        url="https://forum.example/t/brackenford/3",
        checked_at=datetime.now(UTC),
        status=status,  # type: ignore[arg-type]
        reason="HTTP 200" if status == "still_online" else "HTTP 410",
        http_status=200 if status == "still_online" else 410,
    )


def test_a_reported_post_still_online_is_listed_until_it_is_gone(board: Seeded):
    wh = board.warehouse
    (case,) = [c for c in wh.list_cases() if c.author == '<b>evil</b>"author']
    wh.record_action(case.case_id, 2, "reported to the forum", "head@aldrics.example")
    with signed_in(board.url, HEAD, board.outbox) as client:
        page = client.get(f"/cases/{case.case_id}").text
        assert "not re-checked yet" in page and STILL not in page

        # the post came four days ago, the report three, and today's check found it there
        with transaction(wh.path, lock_timeout_s=10) as con:
            for table, column in (("case_posts", "added_at"), ("case_actions", "recorded_at")):
                days = 4 if table == "case_posts" else 3
                con.execute(
                    f"UPDATE {table} SET {column} = {column} - INTERVAL {days} DAY "
                    "WHERE case_id = $1",
                    [case.case_id],
                )
        wh.record_removal_checks([_check(case.case_id, "still_online")])
        listing = client.get("/cases").text
        assert STILL in listing and "https://forum.example/t/brackenford/3" in listing
        assert STILL in client.get(f"/cases/{case.case_id}").text

        wh.record_removal_checks([_check(case.case_id, "removed")])
        assert STILL not in client.get("/cases").text
        assert "removed (seen gone" in client.get(f"/cases/{case.case_id}").text
