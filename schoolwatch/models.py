"""The plain values passed between stages. Small, frozen, no behaviour beyond derivations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

FetchStatus = Literal["ok", "not_modified", "failed"]
Severity = Literal["none", "low", "medium", "high", "critical"]

CATEGORIES = ("threat", "hate", "obscene", "defamation", "harassment", "personal_data", "complaint")
SEVERITIES = ("none", "low", "medium", "high", "critical")
RUNG_NAMES = (
    "monitor",
    "respond",
    "report_and_hide",
    "head_meeting",
    "written_warning",
    "legal",
    "police",
)


@dataclass(frozen=True, slots=True)
class Post:
    """One item as a source published it, before analysis.

    `post_id` is stable across fetches: derived from the canonical URL (tracking parameters
    removed) plus the feed's guid, so the same post fetched twice is stored once.
    `raw` is the item exactly as fetched (the RSS/Atom entry XML or the HTML fragment): evidence.
    """

    post_id: str
    source_id: str
    school_id: str
    url: str
    guid: str
    title: str
    text: str
    author: str
    published_at: datetime | None
    fetched_at: datetime
    raw: bytes
    local: bool = False


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What fetching one source produced: its posts, or why it failed."""

    school_id: str
    source_id: str
    url: str
    status: FetchStatus
    fetched_at: datetime
    posts: tuple[Post, ...] = ()
    error: str | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    http_date: str | None = None  # the response's Date header as sent (the server's clock)


@dataclass(frozen=True, slots=True)
class Span:
    """A span of a post's `field` ("title" or "text"), [start, end) in characters."""

    field: Literal["title", "text"]
    start: int
    end: int
    text: str

    def as_dict(self) -> dict[str, object]:
        """The span as JSON-ready values (field by field: `asdict` deep-copies, and is slow)."""
        return {"field": self.field, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a category was given: the exact span of text that led to it."""

    category: str
    field: Literal["title", "text"]
    start: int
    end: int
    text: str
    reason: str = ""

    def as_dict(self) -> dict[str, object]:
        """The evidence as JSON-ready values (the `classify` output and the stored form)."""
        return {
            "category": self.category,
            "field": self.field,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Assessment:
    """The analysis of one post for one school."""

    school_id: str
    post_id: str
    mentions: bool
    matched: tuple[Span, ...]
    categories: tuple[str, ...]
    severity: Severity
    rung: int
    sentiment: float
    evidence: tuple[Evidence, ...]
    classifier_version: str
    # where the rung came from: "first" (category's first rung) or "repeat" (escalated case)
    rung_reason: str = "first"
    # category -> calibrated probability (0..1) that the category is right; one per category
    confidence: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CaseAction:
    """An action SLT recorded on a case."""

    case_id: str
    rung: int
    note: str
    by: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class FlaggedItem:
    """A flagged mention ready for the digest or an alert: post, assessment and case together."""

    school_id: str
    post_id: str
    source_id: str
    url: str
    author: str
    title: str
    text: str
    published_at: datetime | None
    first_seen_at: datetime
    sentiment: float
    categories: tuple[str, ...]
    severity: Severity
    rung: int
    evidence: tuple[Evidence, ...]
    case_id: str | None
    case_status: str | None
    respond_by: datetime | None
    alerted_at: datetime | None = None
    digested_at: datetime | None = None
    # category -> calibrated probability (0..1); empty for assessments made before it existed
    confidence: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    school_id: str
    source_id: str
    last_run_at: datetime
    last_status: FetchStatus
    last_error: str | None
    consecutive_failures: int
    items_last_run: int


@dataclass(frozen=True, slots=True)
class DaySentiment:
    day: str  # ISO date
    mentions: int
    mean_sentiment: float | None
    negative_share: float | None
    flagged: int


@dataclass(frozen=True, slots=True)
class DigestData:
    """Everything one school's digest shows, read from the warehouse in one go."""

    school_id: str
    school_name: str
    generated_at: datetime
    items: tuple[FlaggedItem, ...]  # not yet digested
    overdue: tuple[FlaggedItem, ...] = ()  # open cases whose respond_by has passed
    history: tuple[DaySentiment, ...] = ()  # last 30 days, oldest first
    sources: tuple[SourceHealth, ...] = ()
    new_mentions: int = 0
    last_digest_at: datetime | None = None  # the last digest sent, empty or not
    extra: dict[str, object] = field(default_factory=dict)
    still_online: tuple[StillOnline, ...] = ()  # reported over 48 h ago, still online


# ---- removal tracking: is a reported post still online? --------------------------------------

RemovalStatus = Literal["still_online", "removed", "unknown"]


@dataclass(frozen=True, slots=True)
class RemovalTarget:
    """A post to re-check: on an open case with an action at rung 2 or higher, not yet removed.

    `etag` / `last_modified` come from the post's last check when it found the post online, for
    a conditional GET (a 304 then means it is still there)."""

    school_id: str
    post_id: str
    case_id: str
    source_id: str
    url: str
    title: str
    text: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class RemovalCheck:
    """One re-check of one post: `still_online`, `removed` (HTTP 404/410, or gone from the page)
    or `unknown` (the check itself failed or could not tell; `reason` says why)."""

    school_id: str
    post_id: str
    case_id: str
    url: str  # the address fetched (the post's URL without its #fragment)
    checked_at: datetime
    status: RemovalStatus
    reason: str
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class StillOnline:
    """A reported post still online: SLT asked for its removal (an action at rung 2 or higher)
    more than 48 hours before a check found it still there. `checked_at`, `status` and
    `reason` are of the latest check, which may have failed since (`unknown`)."""

    item: FlaggedItem
    reported_at: datetime  # the first action at rung >= 2 after the post joined its case
    reported_rung: int
    seen_online_at: datetime  # the latest check that found it online
    checked_at: datetime
    status: RemovalStatus
    reason: str


@dataclass(frozen=True, slots=True)
class PostRemoval:
    """A post of a reported case and what the latest re-check found (`last_status` None: not
    checked yet). `reported_at` is None for a post that joined the case after the report."""

    school_id: str
    post_id: str
    case_id: str
    url: str
    reported_at: datetime | None
    reported_rung: int | None
    last_checked_at: datetime | None
    last_status: RemovalStatus | None
    last_reason: str | None
    last_http_status: int | None
    seen_online_at: datetime | None
    removed_at: datetime | None
