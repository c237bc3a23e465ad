"""The escalation ladder: the one place severity and rungs are decided (DESIGN.md §4, §5).

The rung names, the policy's words for each rung and the per-category numbers live in
`analysis/ladder.toml`, so a safeguarding lead can review them without reading Python.

- `severity(categories, serious_defamation=...)`: critical (any threat), high (hate,
  obscene, or defamation alleging a crime or abuse), medium (other defamation, harassment,
  personal_data), low (complaint only), none.
- `first_rung(categories)`: the highest first rung of the categories; 0 when none.
- `escalate(categories, last_action_rung)`: "if inappropriate use continues", one rung
  above what SLT last recorded on the author's case, capped at the categories' ceiling and
  never below the first rung.
- `respond_by(arrived_at, severity=..., rung=...)`: when SLT should have acted, by how
  serious the post is (the rule is spelt out on the function). Bank holidays are not known
  to schoolwatch and count as working days.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from schoolwatch.errors import ConfigError
from schoolwatch.models import CATEGORIES, RUNG_NAMES, SEVERITIES, Evidence, Severity

LADDER_FILE = Path(__file__).with_name("ladder.toml")
LONDON = ZoneInfo("Europe/London")
RESPONSE_TIME = timedelta(hours=24)
END_OF_WORKING_DAY = time(17, 0)
POLICE_RUNG = 6

# Harm marks a defamation that alleges a crime or abuse with an evidence reason "crime:...".
CRIME_REASON_PREFIX = "crime:"


@dataclass(frozen=True, slots=True)
class Rung:
    """One step of the ladder: its number, its name (public interface) and what SLT do."""

    rung: int
    name: str
    action: str


@dataclass(frozen=True, slots=True)
class _CategoryRule:
    first: int
    ceiling: int
    severity: Severity
    severity_if_crime: Severity


def _load(path: Path) -> tuple[dict[int, Rung], dict[str, _CategoryRule]]:
    """Read and check the ladder file; any problem is a `ConfigError` naming the file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        rungs = {
            r["rung"]: Rung(r["rung"], r["name"], " ".join(r["action"].split()))
            for r in data["rungs"]
        }
        rules = {
            cat: _CategoryRule(
                first=v["first"],
                ceiling=v["ceiling"],
                severity=v["severity"],
                severity_if_crime=v.get("severity_if_crime", v["severity"]),
            )
            for cat, v in data["categories"].items()
        }
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, AttributeError) as e:
        raise ConfigError(f"{path}: cannot read the escalation ladder: {e!r}") from None
    problems = []
    if tuple(rungs.get(i, Rung(i, "", "")).name for i in range(len(RUNG_NAMES))) != RUNG_NAMES:
        problems.append(f"{path}: rungs must be 0..6 named {', '.join(RUNG_NAMES)}")
    if set(rules) != set(CATEGORIES):
        problems.append(f"{path}: categories must be exactly {', '.join(CATEGORIES)}")
    for cat, rule in rules.items():
        if not 0 <= rule.first <= rule.ceiling < len(RUNG_NAMES):
            problems.append(f"{path}: categories.{cat}: need 0 <= first <= ceiling <= 6")
        if {rule.severity, rule.severity_if_crime} - set(SEVERITIES):
            problems.append(f"{path}: categories.{cat}: unknown severity")
    if problems:
        raise ConfigError(problems)
    return rungs, rules


RUNGS, _RULES = _load(LADDER_FILE)
_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def _rules(categories: Iterable[str]) -> list[_CategoryRule]:
    # Unknown categories are ignored rather than fatal: a newer harm model must not stop a run.
    return [_RULES[c] for c in categories if c in _RULES]


def is_serious_defamation(evidence: Iterable[Evidence]) -> bool:
    """Whether harm's evidence marks a defamation as alleging a crime or abuse."""
    return any(
        e.category == "defamation" and e.reason.startswith(CRIME_REASON_PREFIX) for e in evidence
    )


def severity(categories: Iterable[str], *, serious_defamation: bool = False) -> Severity:
    """The post's severity: the highest of its categories'. Defamation alleging a crime or
    abuse (`serious_defamation`) is high, other defamation medium."""
    best: Severity = "none"
    for cat in categories:
        rule = _RULES.get(cat)
        if rule is None:
            continue
        sev = (
            rule.severity_if_crime if cat == "defamation" and serious_defamation else rule.severity
        )
        if _SEVERITY_RANK[sev] > _SEVERITY_RANK[best]:
            best = sev
    return best


def first_rung(categories: Iterable[str]) -> int:
    """The rung a first flagged post starts at: the highest of its categories'; 0 if none."""
    return max((r.first for r in _rules(categories)), default=0)


def ceiling(categories: Iterable[str]) -> int:
    """The highest rung repeated posts with these categories can reach; 0 if none."""
    return max((r.ceiling for r in _rules(categories)), default=0)


def escalate(categories: Iterable[str], last_action_rung: int | None) -> tuple[int, str]:
    """The recommended rung and where it came from ("first" or "repeat").

    `last_action_rung` is the rung of the last action SLT recorded on the author's open case
    (None: no action yet). A repeat goes one rung above it, capped at the categories'
    ceiling, and never below the first rung. An unflagged post stays at 0.
    """
    cats = list(categories)
    first = first_rung(cats)
    if last_action_rung is None or first == 0:
        return first, "first"
    repeat = min(last_action_rung + 1, ceiling(cats))
    if repeat > first:
        return repeat, "repeat"
    return first, "first"


def rung_name(rung: int) -> str:
    """The public name of a rung ("monitor" .. "police")."""
    return RUNGS[rung].name


def respond_by(arrived_at: datetime, *, severity: Severity, rung: int) -> datetime:
    """When SLT should have acted on a post that arrived at `arrived_at` (UTC-aware result).

    By severity and rung, most urgent first:
    - a critical post (a threat): now, the moment it arrived;
    - the police rung (6; hate, grossly obscene, a course of harassment): today, by 17:00
      London time on the day it arrived (the next day if it arrived at or after 17:00),
      weekends included: a police matter does not wait for Monday;
    - the rungs in between (2-5: report and hide, a meeting, a warning, legal advice): 24
      hours, weekends included ("reported as soon as possible"; abuse of staff "immediately");
    - a complaint (rung 1) and anything else: the 24-hour rule, or the end of the next
      working day (Monday 17:00 London time) when it arrived on a Saturday or Sunday.
    A naive `arrived_at` is taken as UTC.
    """
    if arrived_at.tzinfo is None:
        arrived_at = arrived_at.replace(tzinfo=UTC)
    arrived_at = arrived_at.astimezone(UTC)
    local = arrived_at.astimezone(LONDON)
    if severity == "critical":
        return arrived_at
    if rung >= POLICE_RUNG:
        day = local.date() if local.time() < END_OF_WORKING_DAY else local.date() + timedelta(1)
        return datetime.combine(day, END_OF_WORKING_DAY, tzinfo=LONDON).astimezone(UTC)
    if rung <= 1 and local.weekday() >= 5:
        monday = local.date() + timedelta(days=7 - local.weekday())
        return datetime.combine(monday, END_OF_WORKING_DAY, tzinfo=LONDON).astimezone(UTC)
    return arrived_at + RESPONSE_TIME
