"""Values the warehouse returns beyond the shared models, and the row → model conversions."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import overload

from schoolwatch.models import CaseAction, Evidence, FlaggedItem, Span

SEVERITY_RANK = {"none": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


@dataclass(frozen=True, slots=True)
class StoreSummary:
    """What one `store_run` added."""

    new_posts: int = 0
    new_versions: int = 0  # versions 2, 3, … of posts already stored
    new_assessments: int = 0
    new_flagged: int = 0  # posts flagged now that were not flagged before
    cases_opened: int = 0
    fetches: int = 0
    purged: int = 0  # unflagged mentions past retention, deleted in the same transaction


@dataclass(frozen=True, slots=True)
class Case:
    """A case: the flagged posts of one poster (site + author) while it is open."""

    case_id: str
    school_id: str
    site: str
    author: str
    status: str
    opened_at: datetime
    respond_by: datetime
    closed_at: datetime | None
    posts: int
    severity: str  # the highest current severity of its posts
    rung: int  # the highest rung currently recommended for its posts
    last_action_rung: int | None
    last_action_at: datetime | None
    post_ids: tuple[str, ...] = ()  # oldest first

    @property
    def recommended_rung(self) -> int:
        """The ladder's next rung for this case: the highest its posts now call for (one up
        from SLT's last action when the poster carried on, to the categories' ceiling)."""
        return self.rung

    def as_json(self) -> dict:
        """The case for scripts (`schoolwatch cases list --format json`); times in ISO 8601."""
        return {
            "case_id": self.case_id,
            "school_id": self.school_id,
            "site": self.site,
            "author": self.author,
            "status": self.status,
            "recommended_rung": self.recommended_rung,
            "last_action_rung": self.last_action_rung,
            "respond_by": _iso(self.respond_by),
            "post_ids": list(self.post_ids),
            "severity": self.severity,
            "opened_at": _iso(self.opened_at),
            "closed_at": _iso(self.closed_at),
            "last_action_at": _iso(self.last_action_at),
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class CaseDetail:
    """A case with its posts (as flagged items), every stored version and the actions taken."""

    case: Case
    items: tuple[FlaggedItem, ...]
    actions: tuple[CaseAction, ...]
    close_note: str | None = None
    closed_by: str | None = None

    def as_json(self) -> dict:
        """The case, its posts and actions for scripts (`schoolwatch cases show --format
        json`): the `Case.as_json` fields plus `posts`, `actions`, `closed_by`, `close_note`."""
        return {
            **self.case.as_json(),
            "closed_by": self.closed_by,
            "close_note": self.close_note,
            "posts": [
                {
                    "post_id": i.post_id,
                    "source_id": i.source_id,
                    "url": i.url,
                    "author": i.author,
                    "title": i.title,
                    "text": i.text,
                    "published_at": _iso(i.published_at),
                    "first_seen_at": _iso(i.first_seen_at),
                    "categories": list(i.categories),
                    "confidence": i.confidence,
                    "severity": i.severity,
                    "rung": i.rung,
                    "evidence": [e.as_dict() for e in i.evidence],
                }
                for i in self.items
            ],
            "actions": [
                {"rung": a.rung, "note": a.note, "by": a.by, "recorded_at": _iso(a.recorded_at)}
                for a in self.actions
            ],
        }


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: None) -> None: ...
def utc(value: datetime | None) -> datetime | None:
    """DuckDB hands back pytz-aware datetimes; normalise to `datetime.UTC`."""
    return None if value is None else value.astimezone(UTC)


# The stored JSON of evidence and spans is the text `json.dumps([x.as_dict() ...],
# ensure_ascii=False)` writes; a run writes two lists per post, so they are formatted here field
# by field with json's own string escaping rather than through a dict per item (a test holds
# the two to the same text, character for character).
_string = encode_basestring  # json's escaping when ensure_ascii=False
_int = int.__repr__  # how json writes an int; refuses a float or a string instead of misprinting
_float = float.__repr__  # how json writes a finite float; refuses an int or a bool
_ascii = encode_basestring_ascii  # json's escaping with its default ensure_ascii=True


def evidence_json(evidence: tuple[Evidence, ...]) -> str:
    if not evidence:
        return "[]"
    items = [
        f'{{"category": {_string(e.category)}, "field": {_string(e.field)}, '
        f'"start": {_int(e.start)}, "end": {_int(e.end)}, "text": {_string(e.text)}, '
        f'"reason": {_string(e.reason)}}}'
        for e in evidence
    ]
    return f"[{', '.join(items)}]"


def spans_json(spans: tuple[Span, ...]) -> str:
    if not spans:
        return "[]"
    items = [
        f'{{"field": {_string(s.field)}, "start": {_int(s.start)}, "end": {_int(s.end)}, '
        f'"text": {_string(s.text)}}}'
        for s in spans
    ]
    return f"[{', '.join(items)}]"


def evidence_from_json(text: str | None) -> tuple[Evidence, ...]:
    return tuple(Evidence(**e) for e in json.loads(text or "[]"))


def confidence_json(confidence: dict[str, float]) -> str:
    """`json.dumps(confidence)`: written directly when every value is a finite float."""
    if not confidence:
        return "{}"  # most mentions flag nothing
    try:
        if all(map(math.isfinite, confidence.values())):
            items = [f"{_ascii(k)}: {_float(v)}" for k, v in confidence.items()]
            return f"{{{', '.join(items)}}}"
    except TypeError:  # an int, a bool or a key that is not text: json writes those its own way
        pass
    return json.dumps(confidence)


def confidence_from_json(text: str | None) -> dict[str, float]:
    """The stored confidences; empty for an assessment made before they were recorded."""
    return {str(k): float(v) for k, v in json.loads(text or "{}").items()}


# the columns `flagged_item` expects, in order, over `mentions` m, assessments a, cases c
FLAGGED_ITEM_COLUMNS = """
    m.school_id, m.post_id, m.source_id, m.url, m.author, m.title, m.text, m.published_at,
    m.first_seen_at, m.sentiment, m.categories, m.severity, m.rung, a.evidence, a.confidence,
    c.case_id, c.status, c.respond_by,
    (SELECT d.sent_at FROM deliveries d WHERE d.school_id = m.school_id
        AND d.post_id = m.post_id AND d.kind = 'alert') AS alerted_at,
    (SELECT d.sent_at FROM deliveries d WHERE d.school_id = m.school_id
        AND d.post_id = m.post_id AND d.kind = 'digest') AS digested_at
"""

FLAGGED_ITEM_FROM = """
    FROM mentions m
    JOIN current_assessments a USING (school_id, post_id)
    LEFT JOIN case_posts cp USING (school_id, post_id)
    LEFT JOIN cases c ON c.case_id = cp.case_id
"""

# A case is answered when SLT recorded an action at or after its latest post joined it.
ANSWERED_SQL = (
    "coalesce((SELECT max(x.recorded_at) FROM case_actions x WHERE x.case_id = {case}) >= "
    "(SELECT max(cp.added_at) FROM case_posts cp WHERE cp.case_id = {case}), false)"
)


SEVERITY_ORDER_SQL = (
    "CASE m.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 "
    "WHEN 'low' THEN 1 ELSE 0 END"
)


def flagged_item(row: tuple) -> FlaggedItem:
    """A row selected with `FLAGGED_ITEM_COLUMNS` as a `FlaggedItem`."""
    (
        school_id,
        post_id,
        source_id,
        url,
        author,
        title,
        text,
        published_at,
        first_seen_at,
        sentiment,
        categories,
        severity,
        rung,
        evidence,
        confidence,
        case_id,
        case_status,
        respond_by,
        alerted_at,
        digested_at,
    ) = row
    return FlaggedItem(
        school_id=school_id,
        post_id=post_id,
        source_id=source_id,
        url=url,
        author=author,
        title=title,
        text=text,
        published_at=utc(published_at),
        first_seen_at=utc(first_seen_at),
        sentiment=sentiment,
        categories=tuple(categories),
        severity=severity,
        rung=rung,
        evidence=evidence_from_json(evidence),
        case_id=case_id,
        case_status=case_status,
        respond_by=utc(respond_by),
        alerted_at=utc(alerted_at),
        digested_at=utc(digested_at),
        confidence=confidence_from_json(confidence),
    )
