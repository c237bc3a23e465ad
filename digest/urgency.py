"""Which flagged items go out at once as alerts, and which threats are too uncertain to alert.

A threat is alerted when the classifier's calibrated confidence in it is at least
`alerts.min_confidence`; a less certain one waits for the digest, listed as "Possible threat:
please check" with its evidence: never alerted, never dropped. An assessment made before
confidences were recorded counts as certain (it would have been alerted then).
"""

from __future__ import annotations

from digest.safeguarding import is_safeguarding
from schoolwatch.models import FlaggedItem

CERTAIN = 1.0


def threat_confidence(item: FlaggedItem) -> float:
    """How sure the classifier is that the item is a threat (1.0 when it did not say)."""
    return item.confidence.get("threat", CERTAIN)


def is_possible_threat(item: FlaggedItem, min_confidence: float) -> bool:
    """A threat below the alert threshold: the digest asks SLT to check it."""
    return "threat" in item.categories and threat_confidence(item) < min_confidence


def is_confident_critical(item: FlaggedItem, min_confidence: float) -> bool:
    """Critical, and not a threat too uncertain to alert."""
    return item.severity == "critical" and not is_possible_threat(item, min_confidence)


def needs_alert(item: FlaggedItem, min_confidence: float) -> bool:
    """True when the item goes to `alert_to` during the run: a critical item sure enough to
    alert, or a safeguarding matter (whatever the confidence: the DSL must see those)."""
    return is_confident_critical(item, min_confidence) or is_safeguarding(item)
