"""When a case must be answered. The rule itself belongs to the escalation ladder
(`analysis.ladder.respond_by`: 24 hours, or the end of the next working day for a post that
arrived at a weekend); the warehouse only stores its answer, so there is one rule, not two."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from analysis.ladder import respond_by

UK = ZoneInfo("Europe/London")

__all__ = ["UK", "respond_by"]
