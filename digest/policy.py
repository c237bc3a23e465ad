"""The escalation ladder's names and the policy's words for each rung (DESIGN.md §5).

The ladder itself is decided in `analysis.ladder`; the digest only shows it. When that module
provides `RUNGS` (rung number → name and policy words, read from its TOML) we use it, so a
safeguarding lead edits the words in one place. Until then, and if its shape is unexpected,
the table below (the contract's own wording) is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from schoolwatch.models import RUNG_NAMES


@dataclass(frozen=True, slots=True)
class RungText:
    """What the digest says about one rung."""

    rung: int
    name: str
    words: str


_FALLBACK: dict[int, str] = {
    0: "Nothing to do; the record is kept.",
    1: (
        "Reply through official channels within 24 hours (next working day at weekends); "
        "invite the poster to raise it via the Complaints Policy, or to discuss in person."
    ),
    2: (
        "Save the evidence; report it to the site's “report abuse”; hide the comment where the "
        "school runs the page; ask for removal."
    ),
    3: "Invite the poster to meet the headteacher about the Home-School Agreement.",
    4: (
        "Set out concerns in writing with a warning and a removal request; block on school "
        "forums; ask the host to remove it."
    ),
    5: "Take legal advice or action (defamation).",
    6: (
        "Contact the police: threats of violence, a racial element, grossly obscene content, "
        "harassment (a course of conduct)."
    ),
}

_WORD_ATTRS = ("words", "policy", "policy_words", "action", "what", "description", "text")


def _from_entry(rung: int, entry: object) -> RungText | None:
    """Read one `analysis.ladder.RUNGS` entry, whatever reasonable shape it has."""
    name: object = None
    words: object = None
    if isinstance(entry, Mapping):
        name = entry.get("name")
        words = next((entry[k] for k in _WORD_ATTRS if k in entry), None)
    elif isinstance(entry, tuple) and len(entry) >= 2:
        name, words = entry[0], entry[1]
    else:
        name = getattr(entry, "name", None)
        words = next((getattr(entry, k) for k in _WORD_ATTRS if hasattr(entry, k)), None)
    if isinstance(name, str) and isinstance(words, str) and words.strip():
        return RungText(rung, name, words.strip())
    return None


def _load() -> dict[int, RungText]:
    table = {r: RungText(r, RUNG_NAMES[r], words) for r, words in _FALLBACK.items()}
    try:
        from analysis.ladder import RUNGS  # type: ignore[attr-defined]
    except ImportError:
        return table
    items = RUNGS.items() if isinstance(RUNGS, Mapping) else enumerate(RUNGS)
    for rung, entry in items:
        text = _from_entry(int(rung), entry)
        if text is not None:
            table[int(rung)] = text
    return table


_TABLE = _load()


def rung_text(rung: int) -> RungText:
    """The name and policy words for `rung`; an unknown rung is shown plainly, never dropped."""
    if rung in _TABLE:
        return _TABLE[rung]
    return RungText(rung, f"rung {rung}", "Not on the school's ladder: check the configuration.")
