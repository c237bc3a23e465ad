"""The ladder and the labels in the words the digest shows (never `report_and_hide` raw).

The ladder and the policy's words for each rung are decided in `analysis.ladder` (read from
`analysis/ladder.toml`, which a safeguarding lead reviews); the digest only shows them, under a
plain title for each rung. Category and role names are shown in plain words too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from analysis.ladder import RUNGS

# A heading for each rung of the ladder, in the words a head would use.
RUNG_TITLES = {
    0: "Keep on record",
    1: "Reply",
    2: "Report and hide",
    3: "Meeting with the head",
    4: "Written warning",
    5: "Legal advice",
    6: "Police",
}
CATEGORY_WORDS = {
    "threat": "threat",
    "hate": "hate",
    "obscene": "obscene",
    "defamation": "defamation",
    "harassment": "harassment",
    "personal_data": "personal data",
    "complaint": "complaint",
}
# Who the config's recipient lists are, as the digest names them.
ALERT_TO = "the designated safeguarding lead (DSL)"
ALERT_TO_SHORT = "the DSL"


@dataclass(frozen=True, slots=True)
class RungText:
    """What the digest says about one rung: its number, plain title and the policy's words."""

    rung: int
    title: str
    words: str


def rung_text(rung: int) -> RungText:
    """The plain title and policy words for `rung`; an unknown rung is shown, never dropped."""
    if rung in RUNGS:
        return RungText(rung, RUNG_TITLES.get(rung, RUNGS[rung].name), RUNGS[rung].action)
    return RungText(rung, f"Rung {rung}", "Not on the school's ladder: check the configuration.")


def categories_text(categories: Iterable[str]) -> str:
    """`("hate", "personal_data")` -> "Hate, personal data"; unknown names are shown cleaned."""
    words = [CATEGORY_WORDS.get(c, c.replace("_", " ")) for c in categories]
    text = ", ".join(words)
    return text[:1].upper() + text[1:]
