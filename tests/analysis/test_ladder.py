"""The escalation ladder: severity, first rung, repeats and ceilings, response deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analysis import ladder
from analysis.ladder import escalate, first_rung, respond_by, severity
from schoolwatch.errors import ConfigError
from schoolwatch.models import CATEGORIES, RUNG_NAMES, Evidence


@pytest.mark.parametrize(
    ("categories", "serious", "expected", "reason"),
    [
        ((), False, "none", "nothing flagged"),
        (("complaint",), False, "low", "a complaint only"),
        (("personal_data",), False, "medium", "data protection breach"),
        (("harassment",), False, "medium", "insults at a person"),
        (("defamation",), False, "medium", "discreditable, no crime alleged"),
        (("defamation",), True, "high", "alleges a crime or abuse"),
        (("hate",), False, "high", "racist or other hate abuse"),
        (("obscene",), False, "high", "grossly obscene"),
        (("threat",), False, "critical", "any threat"),
        (("defamation", "personal_data"), False, "medium", "highest of several"),
        (("threat", "defamation"), True, "critical", "a threat outranks serious defamation"),
        (("harassment",), True, "medium", "the crime flag only lifts defamation"),
        (("no-such-category",), False, "none", "unknown categories are ignored"),
    ],
)
def test_severity(categories, serious, expected, reason):
    assert severity(categories, serious_defamation=serious) == expected, reason


@pytest.mark.parametrize(
    ("categories", "rung"),
    [
        ((), 0),
        (("complaint",), 1),
        (("personal_data",), 2),
        (("harassment",), 2),
        (("defamation",), 2),
        (("hate",), 6),
        (("obscene",), 6),
        (("threat",), 6),
        (("defamation", "harassment", "threat"), 6),
    ],
)
def test_first_rung(categories, rung):
    assert first_rung(categories) == rung


@pytest.mark.parametrize(
    ("categories", "last", "expected", "reason"),
    [
        (("harassment",), None, (2, "first"), "no action recorded yet"),
        (("harassment",), 2, (3, "repeat"), "one rung above the recorded action"),
        (("harassment",), 5, (6, "repeat"), "a course of conduct reaches the police"),
        (("harassment",), 6, (6, "repeat"), "harassment ceiling is 6"),
        (("defamation",), 4, (5, "repeat"), "defamation can reach legal"),
        (("defamation",), 5, (5, "repeat"), "defamation ceiling is 5"),
        (("personal_data",), 3, (4, "repeat"), "personal data can reach a written warning"),
        (("personal_data",), 4, (4, "repeat"), "personal data ceiling is 4"),
        (("personal_data",), 6, (4, "repeat"), "never above the ceiling, even after rung 6"),
        (("complaint",), 1, (1, "first"), "a complaint stays a response"),
        (("complaint",), 3, (1, "first"), "a complaint is capped at 1"),
        (("defamation",), 0, (2, "first"), "never below the first rung"),
        (("threat",), 2, (6, "first"), "a threat is at the police at once"),
        (("complaint", "harassment"), 2, (3, "repeat"), "the highest ceiling applies"),
        ((), 4, (0, "first"), "an unflagged post is not escalated"),
    ],
)
def test_escalate(categories, last, expected, reason):
    assert escalate(categories, last) == expected, reason


def test_repeated_posts_climb_to_the_ceiling():
    rung, seen = None, []
    for _ in range(6):
        rung, _why = escalate(["defamation"], rung)
        seen.append(rung)
    assert seen == [2, 3, 4, 5, 5, 5]


def test_the_rungs_table_is_complete_and_worded():
    assert [ladder.RUNGS[i].name for i in range(7)] == list(RUNG_NAMES)
    assert all(len(r.action) > 20 for r in ladder.RUNGS.values() if r.rung)
    assert "24 hours" in ladder.RUNGS[1].action
    assert "\n" not in ladder.RUNGS[2].action
    assert ladder.rung_name(6) == "police"


def test_every_category_has_a_rule():
    assert all(first_rung([c]) > 0 for c in CATEGORIES)


def test_serious_defamation_from_harm_evidence():
    crime = Evidence("defamation", "text", 0, 5, "stole", reason="crime: theft")
    other = Evidence("defamation", "text", 0, 5, "drunk", reason="drunk at work")
    elsewhere = Evidence("harassment", "text", 0, 5, "idiot", reason="crime: none")
    assert ladder.is_serious_defamation([other, crime])
    assert not ladder.is_serious_defamation([other, elsewhere])


def test_a_broken_ladder_file_is_a_config_error(tmp_path: Path):
    bad = tmp_path / "ladder.toml"
    bad.write_text(ladder.LADDER_FILE.read_text().replace('name = "legal"', 'name = "lawyer"'))
    with pytest.raises(ConfigError, match=r"rungs must be 0\.\.6"):
        ladder._load(bad)
    bad.write_text("rungs = 3")
    with pytest.raises(ConfigError, match="cannot read"):
        ladder._load(bad)


def _utc(s: str) -> datetime:
    return datetime.fromisoformat(s).astimezone(UTC)


@pytest.mark.parametrize(
    ("arrived", "due", "reason"),
    [
        ("2026-03-11T10:00:00+00:00", "2026-03-12T10:00:00+00:00", "a weekday: 24 h"),
        ("2026-03-13T18:30:00+00:00", "2026-03-14T18:30:00+00:00", "Friday evening: 24 h"),
        ("2026-03-14T00:00:00+00:00", "2026-03-16T17:00:00+00:00", "Saturday (winter): Mon 17:00"),
        ("2026-03-15T23:59:00+00:00", "2026-03-16T17:00:00+00:00", "Sunday late: Mon 17:00"),
        ("2026-07-04T12:00:00+01:00", "2026-07-06T17:00:00+01:00", "Saturday (BST): Mon 17:00"),
        ("2026-07-05T23:30:00+00:00", "2026-07-07T00:30:00+01:00", "Mon 00:30 in London: 24 h"),
        ("2026-03-28T12:00:00+00:00", "2026-03-30T17:00:00+01:00", "clocks change at weekend"),
    ],
)
def test_a_complaint_is_due_in_24_hours_or_the_next_working_day(arrived, due, reason):
    got = respond_by(datetime.fromisoformat(arrived), severity="low", rung=1)
    assert got == _utc(due), reason
    assert got.tzinfo == UTC


@pytest.mark.parametrize(
    ("arrived", "severity", "rung", "due", "reason"),
    [
        ("2026-03-14T22:37:00+00:00", "critical", 6, "2026-03-14T22:37:00+00:00", "a threat: now"),
        ("2026-03-11T06:00:00+00:00", "high", 6, "2026-03-11T17:00:00+00:00", "police: today"),
        ("2026-03-14T06:00:00+00:00", "high", 6, "2026-03-14T17:00:00+00:00", "police: Saturday"),
        ("2026-03-11T17:30:00+00:00", "high", 6, "2026-03-12T17:00:00+00:00", "police, evening"),
        ("2026-07-01T16:30:00+00:00", "high", 6, "2026-07-02T17:00:00+01:00", "17:30 BST: late"),
        ("2026-03-14T06:00:00+00:00", "medium", 2, "2026-03-15T06:00:00+00:00", "hide: 24 h"),
        ("2026-03-14T06:00:00+00:00", "high", 5, "2026-03-15T06:00:00+00:00", "legal: 24 h"),
        ("2026-03-14T06:00:00+00:00", "low", 1, "2026-03-16T17:00:00+00:00", "complaint: Monday"),
    ],
)
def test_respond_by_follows_severity_and_rung(arrived, severity, rung, due, reason):
    got = respond_by(datetime.fromisoformat(arrived), severity=severity, rung=rung)
    assert got == _utc(due), reason
    assert got.tzinfo == UTC


def test_respond_by_takes_naive_as_utc():
    arrived = datetime(2026, 3, 11, 10, 0)
    got = respond_by(arrived, severity="low", rung=1)
    assert got == arrived.replace(tzinfo=UTC) + timedelta(hours=24)
