"""The one view-model behind every email: what the reader sees, decided here, laid out elsewhere.

`digest_view` and `alert_view` turn plain values into plain values: which section each case
goes in, its respond-by label, the counts, the excerpts with their marks, the words. The
Jinja2 templates in `digest/templates/` only lay these out, as HTML (autoescaped: text from the
web stays text) and as plain text, so both parts of an email always say the same thing.

A digest lists cases, not posts: a case (one poster's flagged posts) is in exactly one section,
under its most serious post, with its other new posts folded under it on one line each.
"""

from __future__ import annotations

import re
import shlex
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from digest.chart import spike
from digest.excerpt import Segment, clean, excerpt, shorten
from digest.policy import ALERT_TO, ALERT_TO_SHORT, RungText, categories_text, rung_text
from digest.safeguarding import is_safeguarding
from digest.urgency import is_confident_critical, is_possible_threat, threat_confidence
from schoolwatch.models import DaySentiment, DigestData, FlaggedItem, SourceHealth

if TYPE_CHECKING:  # built by digest.still_online, which uses this module's helpers
    from digest.still_online import StillOnlineSection

LONDON = ZoneInfo("Europe/London")
CHART_CID = "sentiment-chart"
NOT_MONITORED = (
    "Not monitored: closed groups, private messages and chats, and any site not listed in "
    "the configuration."
)
COLOURS = {
    "critical": "#b00020",
    "possible_threat": "#c2410c",
    "safeguarding": "#6a1b9a",
    "action": "#b45309",
    "overdue": "#7c2d12",
    "complaints": "#1d4ed8",
    "record": "#6b7280",
    "ok": "#2e7d32",
}
_SCHOOL_WORDS = re.compile(
    r"\s+(?:C of E|CE|C\.E\.|Church of England|RC|Catholic|Primary|Secondary|Infant|Junior|"
    r"Nursery|High|Academy|School|College)\b.*$",
    re.IGNORECASE,
)
_SEVERITY_RANK = {"none": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
_CARD = {"context": 90, "limit": 320}  # excerpt of a case's main post
_LINE = {"context": 40, "limit": 100}  # excerpt on a one-line entry ...
_LINE_CHARS = 100  # ... cut to this length
_SHORT_TITLE = 30  # a title this short goes in front of a one-line excerpt


# ---- values the templates show --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostView:
    """One post as shown. `withheld`: a safeguarding post, shown without its words or author."""

    meta: str  # "Gaz1985 on parents-forum · Fri 4 Dec 21:58"
    source: str  # the configured source id
    when: str
    title: tuple[Segment, ...]
    body: tuple[Segment, ...]
    short: tuple[Segment, ...]  # the title or a short stretch around the evidence, for one line
    categories: str  # "Hate, harassment"
    link: str | None  # an http(s) URL that may become a link; None otherwise
    link_label: str  # "Open the post (forum.example)" or why there is no link
    notes: tuple[str, ...]  # "Alert sent Sun 6 Dec 04:56", "The classifier is 42 % sure ..."
    withheld: bool = False


@dataclass(frozen=True, slots=True)
class CaseView:
    """One case in one section: its main post in full, its other new posts folded."""

    case_id: str
    respond: str  # "Respond now", "Respond today by 17:00", "Overdue by 3 h", ...
    urgent: bool
    rung: RungText
    lead: PostView
    others: tuple[PostView, ...] = ()
    board: str | None = None  # the case's page on the case board, when one is configured


@dataclass(frozen=True, slots=True)
class SectionView:
    key: str  # "critical", "possible_threat", "safeguarding", "rung-6" .. "rung-2", ...
    title: str
    colour: str
    notes: tuple[str, ...]
    cases: tuple[CaseView, ...]
    style: str = "card"  # "card": the post in full; "line": one line per case
    respond: str = ""  # the respond-by every case of a "line" section shares, said once


@dataclass(frozen=True, slots=True)
class DigestView:
    subject: str
    title: str  # "<school> · <day>"
    banner: str
    banner_colour: str
    counts: str
    sections: tuple[SectionView, ...]
    summary: tuple[str, ...]
    spike: str | None
    chart_cid: str | None
    sources: str
    failing: tuple[str, ...]
    not_monitored: str
    record_hint: str
    footer: str
    still_online: StillOnlineSection | None = None


@dataclass(frozen=True, slots=True)
class AlertView:
    subject: str
    banner: str
    colour: str
    intro: str
    note: str | None
    case: CaseView
    next_step: RungText
    record: str  # the command that records an action on the case ("" with a case board)
    footer: str


# ---- small formatting helpers ------------------------------------------------------------------


def london(when: datetime) -> datetime:
    """`when` in UK time; a naive datetime is taken as UTC (the warehouse stores UTC)."""
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(LONDON)


def when_text(when: datetime | None) -> str:
    if when is None:
        return "time unknown"
    local = london(when)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def day_text(when: datetime) -> str:
    local = london(when)
    return f"{local:%a} {local.day} {local:%b}"


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _duration(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours < 1:
        return f"{max(1, int(delta.total_seconds() // 60))} min"
    return f"{hours // 24} d {hours % 24} h" if hours >= 24 else f"{hours} h"


def respond_label(
    due: datetime | None, now: datetime, *, immediate: bool = False
) -> tuple[str, bool]:
    """What the reader must do by when, and whether it is urgent (now, overdue or today)."""
    if immediate:
        return "Respond now", True
    if due is None:
        return "No deadline yet", False
    if due <= now:
        return f"Overdue by {_duration(now - due)}", True
    if london(due).date() == london(now).date():
        return f"Respond today by {london(due):%H:%M}", True
    return f"Respond by {when_text(due)}", False


def record_command(case_id: str | None, rung: int | str, config_hint: str) -> str:
    """The exact command SLT run to record an action on a case."""
    case = shlex.quote(case_id or "CASE_ID")
    return (
        f'schoolwatch cases action {case} --rung {rung} --note "..." --by "..." '
        f"--config {shlex.quote(config_hint)}"
    )


def board_link(board_url: str | None, case_id: str | None) -> str | None:
    """The case's page on the case board ("{base_url}/cases/C-000011"), or None without one."""
    if not board_url or not case_id:
        return None
    return f"{board_url.rstrip('/')}/cases/{quote(case_id, safe='')}"


def _on_board(parts: tuple[SectionView, ...], board_url: str | None) -> tuple[SectionView, ...]:
    """The sections with each case linked to its page on the case board."""
    if not board_url:
        return parts
    return tuple(
        replace(s, cases=tuple(replace(c, board=board_link(board_url, c.case_id)) for c in s.cases))
        for s in parts
    )


def safe_url(url: str) -> bool:
    """Only absolute http(s) URLs without spaces or control characters become links."""
    if not url or url != url.strip() or any(ord(c) < 32 or c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


# ---- posts and cases ---------------------------------------------------------------------------


def _says_something(title: str, author: str) -> bool:
    """A title worth showing: not empty, and not a feed's "Post by <author>"."""
    return bool(title.strip()) and not (author.strip() and author.strip() in title)


def _short(item: FlaggedItem) -> tuple[Segment, ...]:
    """A line's worth of the post: the stretch around its first evidence, after a short title."""
    text_marked = any(e.field == "text" for e in item.evidence)
    title_marked = any(e.field == "title" for e in item.evidence)
    if (title_marked and not text_marked) or not item.text.strip():
        return tuple(shorten(excerpt(item.title, item.evidence, "title", **_LINE), _LINE_CHARS))
    body = excerpt(item.text, item.evidence, "text", **_LINE)
    title = clean(item.title)
    if _says_something(title, item.author) and len(title) <= _SHORT_TITLE:
        body = [(title, False), (": ", False), *body]
    return tuple(shorten(body, _LINE_CHARS))


def post_view(
    item: FlaggedItem,
    *,
    min_confidence: float,
    withheld: bool = False,
    full: bool = False,
) -> PostView:
    """One post for the templates; `full` keeps up to 600 characters (an alert's single item)."""
    size = {"context": 120, "limit": 600} if full else _CARD
    author = clean(item.author, limit=80) or "unknown author"
    source = clean(item.source_id, limit=60)
    when = when_text(item.published_at or item.first_seen_at)
    notes = []
    if is_possible_threat(item, min_confidence):
        sure = round(threat_confidence(item) * 100)
        notes.append(f"The classifier is {sure} % sure this is a threat: no alert was sent.")
    if item.alerted_at is not None:
        notes.append(f"Alert sent {when_text(item.alerted_at)}.")
    elif withheld:
        notes.append(f"The alert to {ALERT_TO_SHORT} is not confirmed sent yet.")
    if withheld:
        return PostView(
            meta=f"on {source} · {when}",
            source=source,
            when=when,
            title=(),
            body=(),
            short=(),
            categories=categories_text(item.categories),
            link=None,
            link_label="",
            notes=tuple(notes),
            withheld=True,
        )
    if safe_url(item.url):
        link, label = item.url, f"Open the post ({urlsplit(item.url).netloc})"
    else:
        link, label = None, f"Link not shown (not http/https): {clean(item.url, limit=80)}"
    return PostView(
        meta=f"{author} on {source} · {when}",
        source=source,
        when=when,
        title=tuple(excerpt(item.title, item.evidence, "title", context=120, limit=300))
        if _says_something(item.title, item.author) or full
        else (),
        body=tuple(excerpt(item.text, item.evidence, "text", **size)),
        short=_short(item),
        categories=categories_text(item.categories),
        link=link,
        link_label=label,
        notes=tuple(notes),
    )


def _arrived(item: FlaggedItem) -> datetime:
    return london(item.published_at or item.first_seen_at)


def _lead(group: Sequence[FlaggedItem], key: Callable[[FlaggedItem], bool]) -> FlaggedItem:
    """The case's main post: of those that put it in its section, the most serious, newest."""
    candidates = [i for i in group if key(i)] or list(group)
    return max(candidates, key=lambda i: (_SEVERITY_RANK[i.severity], i.rung, _arrived(i)))


def _section_of(group: Sequence[FlaggedItem], min_confidence: float) -> tuple[str, Callable]:
    """Which section a case goes in, and which of its posts put it there."""

    def rung_at_least(n: int) -> Callable[[FlaggedItem], bool]:
        return lambda i: i.rung >= n

    checks: list[tuple[str, Callable[[FlaggedItem], bool]]] = [
        ("critical", lambda i: is_confident_critical(i, min_confidence)),
        ("possible_threat", lambda i: i.severity == "critical"),
        ("safeguarding", is_safeguarding),
    ]
    for key, check in checks:
        if any(check(i) for i in group):
            return key, check
    top = max(i.rung for i in group)
    if top >= 2:
        return f"rung-{top}", rung_at_least(top)
    return ("complaints" if top == 1 else "record"), rung_at_least(top)


def _group_by_case(items: Iterable[FlaggedItem]) -> list[list[FlaggedItem]]:
    groups: dict[str, list[FlaggedItem]] = {}
    for item in items:
        groups.setdefault(item.case_id or f"post:{item.post_id}", []).append(item)
    return list(groups.values())


def case_view(
    group: Sequence[FlaggedItem],
    lead: FlaggedItem,
    now: datetime,
    *,
    min_confidence: float,
    immediate: bool = False,
    full: bool = False,
) -> CaseView:
    """A case: its main post, then the others (newest first); safeguarding posts withheld."""
    respond, urgent = respond_label(lead.respond_by, now, immediate=immediate)
    others = sorted((i for i in group if i is not lead), key=_arrived, reverse=True)
    return CaseView(
        case_id=lead.case_id or "no case yet",
        respond=respond,
        urgent=urgent,
        rung=rung_text(max(i.rung for i in group)),
        lead=post_view(
            lead,
            min_confidence=min_confidence,
            withheld=is_safeguarding(lead) and not full,
            full=full,
        ),
        others=tuple(
            post_view(i, min_confidence=min_confidence, withheld=is_safeguarding(i)) for i in others
        ),
    )


# ---- sections ----------------------------------------------------------------------------------

_ORDER = ["critical", "possible_threat", "safeguarding"] + [f"rung-{r}" for r in range(6, 1, -1)]
_ORDER += ["overdue", "complaints", "record"]


def _section_words(key: str, min_confidence: float) -> tuple[str, str, tuple[str, ...]]:
    """(title, colour, notes) of a section."""
    police = rung_text(6)
    if key == "critical":
        notes = ("Call 999 if anyone is in danger now.", police.words)
        return "Critical: threats", COLOURS["critical"], notes
    if key == "possible_threat":
        threshold = f"{round(min_confidence * 100)} %"
        return (
            "Possible threat: please check",
            COLOURS["possible_threat"],
            (
                f"The classifier is less than {threshold} sure these are threats, so no alert "
                "was sent. Read each one now: if it is a threat, contact the police as for a "
                "critical item; if it is not, record that on the case (rung 0).",
            ),
        )
    if key == "safeguarding":
        return (
            "Safeguarding: with the DSL",
            COLOURS["safeguarding"],
            (
                f"The details went only to {ALERT_TO}: an allegation that staff harmed a child, "
                "or a pupil's or staff member's personal data.",
            ),
        )
    if key == "overdue":
        return "Overdue cases", COLOURS["overdue"], ("The time to respond has passed.",)
    if key == "complaints":
        return "Complaints to answer", COLOURS["complaints"], (rung_text(1).words,)
    if key == "record":
        return "Flagged for the record", COLOURS["record"], (rung_text(0).words,)
    text = rung_text(int(key.removeprefix("rung-")))
    return f"{text.title} (rung {text.rung})", COLOURS["action"], (text.words,)


def sections(data: DigestData, min_confidence: float) -> tuple[SectionView, ...]:
    """Every case of the digest in exactly one section, most urgent section and case first."""
    now = data.generated_at
    placed: dict[str, list[tuple[tuple, CaseView]]] = {k: [] for k in _ORDER}
    new_cases = set()
    for group in _group_by_case(data.items):
        key, check = _section_of(group, min_confidence)
        lead = _lead(group, check)
        new_cases.add(lead.case_id)
        view = case_view(
            group,
            lead,
            now,
            min_confidence=min_confidence,
            immediate=key in ("critical", "possible_threat"),
        )
        order = (lead.respond_by or datetime.max.replace(tzinfo=UTC), -_arrived(lead).timestamp())
        placed[key].append((order, view))
    for item in data.overdue:
        if item.case_id in new_cases:
            continue  # a case is shown once: where its new posts put it
        view = case_view([item], item, now, min_confidence=min_confidence)
        placed["overdue"].append(((item.respond_by or now, 0.0), view))
    out = []
    for key in _ORDER:
        if not placed[key]:
            continue
        title, colour, notes = _section_words(key, min_confidence)
        if key == "rung-6" and placed["critical"]:
            notes = ("The same step as for the threats above: contact the police.",)
        cases = tuple(v for _, v in sorted(placed[key], key=lambda pair: pair[0]))
        style = "line" if key in ("overdue", "complaints", "record") else "card"
        shared = {c.respond for c in cases}
        respond = shared.pop() if style == "line" and len(shared) == 1 and len(cases) > 1 else ""
        out.append(SectionView(key, title, colour, notes, cases, style, respond))
    return tuple(out)


def _counts(parts: Sequence[SectionView]) -> list[str]:
    by = {s.key: len(s.cases) for s in parts}
    action = sum(n for k, n in by.items() if k.startswith("rung-"))
    counts = [
        (by.get("critical", 0), "critical", "critical"),
        (by.get("possible_threat", 0), "possible threat", "possible threats"),
        (by.get("safeguarding", 0), "safeguarding", "safeguarding"),
        (action, "needs action", "need action"),
        (by.get("overdue", 0), "overdue", "overdue"),
        (by.get("complaints", 0), "complaint", "complaints"),
        (by.get("record", 0), "for the record", "for the record"),
    ]
    return [plural(n, one, many) for n, one, many in counts if n]


def short_school_name(name: str, school_id: str) -> str:
    """The name a head reads in a subject line: "St Aldric's" for "St Aldric's C of E …"."""
    full = name.split(",")[0].strip()
    short = _SCHOOL_WORDS.sub("", full).strip()
    return short or full or school_id


def subject(data: DigestData, parts: Sequence[SectionView], short_name: str) -> str:
    """`St Aldric's: 1 critical, 3 need action, 2 complaints — Mon 23 Nov` (no zero counts)."""
    return _subject(data, _counts(parts), short_name)


def _subject(data: DigestData, counts: Sequence[str], short_name: str) -> str:
    said = ", ".join(counts) or "nothing needs action"
    return f"{short_name}: {said} — {day_text(data.generated_at)}"


def _banner(parts: Sequence[SectionView]) -> tuple[str, str]:
    keys = {s.key for s in parts}
    if "critical" in keys:
        n = len(next(s for s in parts if s.key == "critical").cases)
        return f"Act now: {plural(n, 'threat', 'threats')}", COLOURS["critical"]
    if "possible_threat" in keys:
        return "Check now: a possible threat", COLOURS["possible_threat"]
    if any(c.urgent for s in parts for c in s.cases):
        return "Action needed today", COLOURS["action"]
    if parts:
        return "Action needed", COLOURS["action"]
    return "Nothing needs action today", COLOURS["ok"]


# ---- the summary -------------------------------------------------------------------------------


def _signed(value: float) -> str:
    return f"{value:+.2f}".replace("-", "−")


def _mean_weighted(days: Sequence[DaySentiment]) -> float | None:
    known = [(d.mean_sentiment, d.mentions) for d in days if d.mean_sentiment is not None]
    total = sum(n for _, n in known)
    if total:
        return sum(s * n for s, n in known) / total
    return statistics.fmean(s for s, _ in known) if known else None


def _trend(history: Sequence[DaySentiment]) -> str | None:
    """Mentions and mood by the day they were posted: the last 7 days against the last 30."""
    if not history or not any(d.mentions for d in history):
        return None
    week = history[-7:]
    in_week = sum(d.mentions for d in week)
    per_week = sum(d.mentions for d in history) / len(history) * 7
    line = f"Posted in the last 7 days: {plural(in_week, 'mention', 'mentions')}"
    mood = _mean_weighted(week)
    if mood is not None:
        line += f", mean sentiment {_signed(mood)}"
    line += f". {len(history)}-day average: {per_week:.1f} a week"
    month = _mean_weighted(history)
    if month is not None:
        line += f", {_signed(month)}"
    return line + "."


def _summary(data: DigestData) -> tuple[str, ...]:
    lines = [f"{plural(data.new_mentions, 'new mention', 'new mentions')} since the last digest."]
    if data.items:
        cases = len(_group_by_case(data.items))
        lines[0] += (
            f" Flagged and listed above: {plural(len(data.items), 'post', 'posts')} in "
            f"{plural(cases, 'case', 'cases')}."
        )
    trend = _trend(data.history)
    if trend:
        lines.append(trend)
    return tuple(lines)


def _failing(sources: Sequence[SourceHealth]) -> tuple[str, ...]:
    return tuple(
        f"{clean(s.source_id, limit=60)}: {clean(s.last_error or 'failed', limit=200)} "
        f"({plural(s.consecutive_failures, 'failure', 'failures')} in a row, last tried "
        f"{when_text(s.last_run_at)})"
        for s in sources
        if s.last_status == "failed"
    )


def _sources_line(sources: Sequence[SourceHealth], failing: int) -> str:
    if not sources:
        return "No sources have run yet."
    if not failing:
        return f"All {plural(len(sources), 'source', 'sources')} working."
    return f"{len(sources) - failing} of {plural(len(sources), 'source', 'sources')} working."


# ---- public ------------------------------------------------------------------------------------


def digest_view(
    data: DigestData,
    school_name: str,
    short_name: str,
    *,
    min_confidence: float,
    config_hint: str,
    chart: bool,
    still_online: StillOnlineSection | None = None,
    board_url: str | None = None,
) -> DigestView:
    """Everything one school's digest shows, in order; `still_online` is the list of reported
    posts still online (`digest.still_online`), after the cases. With `board_url` (the case
    board's address) each case links to its page there, and no command line is shown."""
    parts = _on_board(sections(data, min_confidence), board_url)
    failing = _failing(data.sources)
    banner, colour = _banner(parts)
    counts = _counts(parts)
    if still_online is not None:
        counts.append(f"{len(still_online.lines)} still online after report")
        if not parts:
            banner, colour = "Action needed", COLOURS["action"]
    return DigestView(
        subject=_subject(data, counts, short_name),
        title=f"{school_name} · {day_text(data.generated_at)}",
        banner=banner,
        banner_colour=colour,
        counts=" · ".join(counts),
        sections=parts,
        summary=_summary(data),
        spike=spike(data.history),
        chart_cid=CHART_CID if chart else None,
        sources=_sources_line(data.sources, len(failing)),
        failing=failing,
        not_monitored=NOT_MONITORED,
        record_hint=_record_hint(bool(parts), config_hint, board_url),
        footer=f"schoolwatch · {school_name} · generated {when_text(data.generated_at)} (UK time)",
        still_online=still_online,
    )


def _record_hint(any_cases: bool, config_hint: str, board_url: str | None) -> str:
    if not any_cases:
        return ""
    if board_url:
        return "To record what you did, open the case on the case board."
    return "To record what you did: " + record_command("CASE_ID", "RUNG", config_hint)


def alert_view(
    item: FlaggedItem,
    *,
    subject: str,
    banner: str,
    colour: str,
    intro: str,
    note: str | None,
    min_confidence: float,
    config_hint: str,
    board_url: str | None = None,
) -> AlertView:
    """An email about one item, in full (for the DSL, or a critical item for `alert_to`).

    With `board_url` the case links to its page on the case board instead of showing the
    command that records an action."""
    now = item.first_seen_at
    case = case_view(
        [item],
        item,
        now,
        min_confidence=min_confidence,
        immediate=item.severity == "critical",
        full=True,
    )
    board = board_link(board_url, item.case_id)
    return AlertView(
        subject=subject,
        banner=banner,
        colour=COLOURS[colour],
        intro=intro,
        note=note,
        case=replace(case, board=board),
        next_step=rung_text(item.rung),
        record="" if board else record_command(item.case_id, item.rung, config_hint),
        footer=f"schoolwatch · found {when_text(item.first_seen_at)} (UK time)",
    )


__all__ = [
    "CHART_CID",
    "AlertView",
    "CaseView",
    "DigestView",
    "PostView",
    "SectionView",
    "alert_view",
    "board_link",
    "digest_view",
    "record_command",
    "respond_label",
    "safe_url",
    "sections",
]
