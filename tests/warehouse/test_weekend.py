"""The weekend rule as a stored case sees it: a complaint that arrives on a Saturday or Sunday,
UK time, is due by the end of Monday (17:00 London), across the clock changes. The rule itself
is `analysis.ladder.respond_by` (its own table is in tests/analysis/test_ladder.py); these cases
check what the warehouse stores for a post found at these moments."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.warehouse.builders import SCHOOL, flagged, make_post, store


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("found", "due", "why"),
    [
        ("2026-10-24T12:00:00+01:00", "2026-10-26T17:00:00+00:00", "Sat in BST, due Mon in GMT"),
        ("2026-10-25T01:30:00+00:00", "2026-10-26T17:00:00+00:00", "the hour the clocks go back"),
        ("2026-03-28T23:30:00+00:00", "2026-03-30T17:00:00+01:00", "Sat in GMT, due Mon in BST"),
        ("2026-07-03T23:30:00+00:00", "2026-07-06T17:00:00+01:00", "Fri 23:30 UTC is Sat in UK"),
        ("2026-11-06T23:30:00+00:00", "2026-11-07T23:30:00+00:00", "Fri 23:30 GMT: still Fri"),
        ("2026-07-05T23:30:00+00:00", "2026-07-07T00:30:00+01:00", "Sun 23:30 UTC is Mon: 24 h"),
    ],
)
def test_a_complaint_found_at_the_weekend_is_due_on_monday_evening(wh, found, due, why):
    arrived = _utc(found)
    post = make_post(1, author="Weekend parent", fetched_at=arrived, published_at=arrived)
    store(
        wh,
        [(post, flagged(post, categories=("complaint",), severity="low", rung=1))],
        fetched_at=arrived,
    )
    (case,) = wh.list_cases(SCHOOL)
    assert case.respond_by == _utc(due), why
