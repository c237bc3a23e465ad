"""Analysis: does a post mention a school, how does it feel about it, what harm, which rung.

Pure functions, no I/O: `analysis.matching`, `analysis.sentiment`, `analysis.harm`,
`analysis.ladder`, tied together by `analysis.assess`.

`CLASSIFIER_VERSION` names the matching rules and the harm classifier that produced an
`Assessment`; the warehouse stores it so posts can be re-scored when it changes.
"""

from __future__ import annotations

from analysis import harm
from analysis.matching import MATCHING_VERSION

HARM_VERSION: str = str(getattr(harm, "HARM_VERSION", "0"))
CLASSIFIER_VERSION = f"match-{MATCHING_VERSION}+{HARM_VERSION}"
