"""The escalation ladder's names and the policy's words for each rung (DESIGN.md §5), as shown.

The ladder and its wording are decided in `analysis.ladder` (read from `analysis/ladder.toml`,
which a safeguarding lead reviews); the digest only shows them.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.ladder import RUNGS


@dataclass(frozen=True, slots=True)
class RungText:
    """What the digest says about one rung."""

    rung: int
    name: str
    words: str


def rung_text(rung: int) -> RungText:
    """The name and policy words for `rung`; an unknown rung is shown plainly, never dropped."""
    if rung in RUNGS:
        return RungText(rung, RUNGS[rung].name, RUNGS[rung].action)
    return RungText(rung, f"rung {rung}", "Not on the school's ladder: check the configuration.")
