"""When a case must be answered: 24 hours after the post arrived, or the next working day
(Monday 09:00 UK time) when it arrived on a Saturday or Sunday (St John's policy)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
WORKDAY_START = time(9, 0)


def respond_by(arrived_at: datetime) -> datetime:
    """The UTC deadline for answering a post that arrived at `arrived_at` (timezone-aware)."""
    local = arrived_at.astimezone(UK)
    if local.weekday() < 5:
        return (arrived_at + timedelta(hours=24)).astimezone(UTC)
    monday = local.date() + timedelta(days=7 - local.weekday())
    return datetime.combine(monday, WORKDAY_START, tzinfo=UK).astimezone(UTC)
