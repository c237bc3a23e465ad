"""The digest and alert emails, rendered from plain values: subject, plain text, HTML, images.

Pure: no network, no disk. Everything that came from the web (author, title, text, URL) goes
through `_esc` before it reaches HTML, and only http(s) URLs become links. Headers are not made
here: `send.build_message` makes them from config values and the subject, which holds no text
from a post.

Order of a digest (DESIGN.md §8): critical items; safeguarding matters (sent to the DSL, shown
only by case id); cases needing action grouped by rung with the policy's words; overdue cases;
complaints to answer within 24 h; then the summary (mentions and sentiment against the 30-day
average, the chart, a spike warning, failing sources, what is not monitored).
"""

from __future__ import annotations

import base64
import html
import re
import shlex
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from digest.chart import sentiment_chart, spike
from digest.excerpt import Segment, clean, excerpt
from digest.policy import rung_text
from digest.safeguarding import alleges_staff_harmed_child, is_safeguarding
from schoolwatch.config import SchoolConfig
from schoolwatch.models import DigestData, FlaggedItem, SourceHealth

__all__ = [
    "RenderedEmail",
    "digest_markdown",
    "html_for_browser",
    "is_safeguarding",
    "render_alert",
    "render_digest",
    "render_safeguarding",
    "safe_url",
    "short_name",
]

LONDON = ZoneInfo("Europe/London")
CHART_CID = "sentiment-chart"
NOT_MONITORED = (
    "Not monitored: closed groups, private messages and chats, and any site not listed in "
    "the configuration."
)
_COLOURS = {
    "critical": "#b00020",
    "safeguarding": "#6a1b9a",
    "action": "#b45309",
    "overdue": "#7c2d12",
    "complaint": "#1d4ed8",
    "record": "#6b7280",
    "ok": "#2e7d32",
}
_SCHOOL_WORDS = re.compile(
    r"\s+(?:C of E|CE|C\.E\.|Church of England|RC|Catholic|Primary|Secondary|Infant|Junior|"
    r"Nursery|High|Academy|School|College)\b.*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """One email's content. `images` are (content id, PNG bytes), referenced as `cid:<id>`."""

    subject: str
    text: str
    html: str
    images: tuple[tuple[str, bytes], ...] = ()


# ---- small helpers -------------------------------------------------------------------------


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def short_name(school: SchoolConfig) -> str:
    """The name a head reads in a subject line: "St Aldric's" for "St Aldric's C of E Primary …"."""
    full = school.name.split(",")[0].strip()
    short = _SCHOOL_WORDS.sub("", full).strip()
    return short or full or school.id


def safe_url(url: str) -> bool:
    """Only absolute http(s) URLs without spaces or control characters become links."""
    if not url or url != url.strip() or any(ord(c) < 32 or c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _local(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    if when.tzinfo is None:  # the warehouse stores UTC
        when = when.replace(tzinfo=UTC)
    return when.astimezone(LONDON)


def _when(when: datetime | None) -> str:
    local = _local(when)
    return "time unknown" if local is None else f"{local:%a} {local.day} {local:%b %H:%M}"


def _day(when: datetime) -> str:
    local = _local(when)
    assert local is not None
    return f"{local:%a} {local.day} {local:%b}"


def _iso_day(day: str) -> str:
    try:
        d = date.fromisoformat(day)
    except ValueError:
        return clean(day, limit=20)
    return f"{d:%a} {d.day} {d:%b}"


def _overdue_by(respond_by: datetime | None, now: datetime) -> str:
    if respond_by is None:
        return ""
    due, current = _local(respond_by), _local(now)
    assert due is not None and current is not None
    hours = int((current - due).total_seconds() // 3600)
    if hours < 1:
        return "overdue"
    return f"overdue by {hours // 24} d {hours % 24} h" if hours >= 24 else f"overdue by {hours} h"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def record_command(item: FlaggedItem, config_hint: str) -> str:
    """The exact command SLT run to record an action on the item's case."""
    case = shlex.quote(item.case_id or "CASE_ID")
    return (
        f'schoolwatch cases action {case} --rung {item.rung} --note "..." --by "..." '
        f"--config {shlex.quote(config_hint)}"
    )


def _marked_html(segments: Sequence[Segment]) -> str:
    return "".join(
        f'<mark style="background:#ffe58a;color:#000;">{_esc(t)}</mark>' if m else _esc(t)
        for t, m in segments
    )


def _marked_text(segments: Sequence[Segment]) -> str:
    return "".join(f"«{t}»" if m else t for t, m in segments).strip()


# ---- grouping --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Groups:
    critical: tuple[FlaggedItem, ...]
    safeguarding: tuple[FlaggedItem, ...]  # not critical
    action: tuple[FlaggedItem, ...]  # rung >= 2, highest rung first
    complaints: tuple[FlaggedItem, ...]  # rung 1
    record: tuple[FlaggedItem, ...]  # flagged but rung 0
    overdue: tuple[FlaggedItem, ...]


def _group(data: DigestData) -> _Groups:
    def when(i: FlaggedItem) -> datetime:
        return _local(i.published_at or i.first_seen_at) or datetime.min.replace(tzinfo=UTC)

    items = sorted(data.items, key=when, reverse=True)
    critical = tuple(i for i in items if i.severity == "critical")
    rest = [i for i in items if i.severity != "critical"]
    safeguarding = tuple(i for i in rest if is_safeguarding(i))
    rest = [i for i in rest if not is_safeguarding(i)]
    action = tuple(sorted((i for i in rest if i.rung >= 2), key=lambda i: -i.rung))
    new_ids = {i.post_id for i in data.items}
    return _Groups(
        critical=critical,
        safeguarding=safeguarding,
        action=action,
        complaints=tuple(i for i in rest if i.rung == 1),
        record=tuple(i for i in rest if i.rung <= 0),
        overdue=tuple(i for i in data.overdue if i.post_id not in new_ids),
    )


def digest_subject(data: DigestData, school: SchoolConfig) -> str:
    """`St Aldric's: 1 critical, 3 need action, 2 complaints — Mon 23 Nov`."""
    g = _group(data)
    parts = [f"{len(g.critical)} critical"]
    if g.safeguarding:
        parts.append(f"{len(g.safeguarding)} safeguarding")
    parts.append(f"{len(g.action)} {'needs' if len(g.action) == 1 else 'need'} action")
    if g.overdue:
        parts.append(f"{len(g.overdue)} overdue")
    parts.append(_plural(len(g.complaints), "complaint", "complaints"))
    counts = ", ".join(parts)
    if not (g.critical or g.safeguarding or g.action or g.overdue or g.complaints):
        counts = "nothing needs action"
    return f"{short_name(school)}: {counts} — {_day(data.generated_at)}"


# ---- one item, in HTML and in text -----------------------------------------------------------

_SMALL = "font-size:13px;color:#4b5563;margin:2px 0;"
_CODE = (
    "display:block;font-family:Menlo,Consolas,monospace;font-size:12px;background:#f3f4f6;"
    "padding:6px 8px;margin:4px 0 0;white-space:pre-wrap;word-break:break-all;"
)


def _link_html(url: str) -> str:
    if safe_url(url):
        host = urlsplit(url).netloc
        return f'<a href="{_esc(url)}" style="color:#1d4ed8;">Open the post ({_esc(host)})</a>'
    shown = _esc(clean(url, limit=80))
    return f'<span style="{_SMALL}">Link not shown (not http/https): {shown}</span>'


def _link_text(url: str) -> str:
    shown = clean(url, limit=300)
    return f"Link: {shown}" if safe_url(url) else f"Link (not http/https, not a link): {shown}"


def _meta(item: FlaggedItem) -> str:
    author = clean(item.author, limit=80) or "unknown author"
    seen = _when(item.published_at or item.first_seen_at)
    return f"{clean(item.source_id, limit=60)} · {author} · {seen}"


def _facts(item: FlaggedItem) -> list[str]:
    rung = rung_text(item.rung)
    facts = [
        f"Categories: {', '.join(item.categories) or 'none'} ({item.severity})",
        f"Recommended: rung {item.rung} ({rung.name})",
        f"Case: {item.case_id or 'none yet'}",
    ]
    if item.respond_by is not None:
        facts.append(f"Respond by: {_when(item.respond_by)}")
    if item.alerted_at is not None:
        facts.append(f"Alert sent: {_when(item.alerted_at)}")
    return facts


def _item_html(item: FlaggedItem, colour: str, config_hint: str, *, words: bool) -> str:
    title = excerpt(item.title, item.evidence, "title", limit=300)
    body = excerpt(item.text, item.evidence, "text")
    rung = rung_text(item.rung)
    parts = [
        f'<div style="border-left:4px solid {colour};background:#fafafa;padding:8px 10px;'
        'margin:10px 0;">',
        f'<p style="{_SMALL}">{_esc(_meta(item))}</p>',
    ]
    if title:
        parts.append(f'<p style="margin:4px 0;font-weight:bold;">{_marked_html(title)}</p>')
    parts.append(f'<p style="margin:4px 0;">{_marked_html(body)}</p>')
    parts.extend(f'<p style="{_SMALL}">{_esc(f)}</p>' for f in _facts(item))
    if words:
        parts.append(
            f'<p style="margin:6px 0;"><b>Next step (rung {rung.rung}, {_esc(rung.name)}):</b> '
            f"{_esc(rung.words)}</p>"
        )
    parts.append(f'<p style="margin:4px 0;">{_link_html(item.url)}</p>')
    parts.append(f'<p style="{_SMALL}">Record an action:</p>')
    parts.append(f'<code style="{_CODE}">{_esc(record_command(item, config_hint))}</code>')
    parts.append("</div>")
    return "\n".join(parts)


def _item_text(item: FlaggedItem, config_hint: str, *, words: bool) -> str:
    title = _marked_text(excerpt(item.title, item.evidence, "title", limit=300))
    body = _marked_text(excerpt(item.text, item.evidence, "text"))
    rung = rung_text(item.rung)
    lines = [f"* {_meta(item)}"]
    if title:
        lines.append(f"  {title}")
    lines.append(f"  {body}")
    lines.extend(f"  {f}" for f in _facts(item))
    if words:
        lines.append(f"  Next step (rung {rung.rung}, {rung.name}): {rung.words}")
    lines.append(f"  {_link_text(item.url)}")
    lines.append(f"  Record an action: {record_command(item, config_hint)}")
    return "\n".join(lines)


def _stub_facts(item: FlaggedItem) -> str:
    seen = _when(item.published_at or item.first_seen_at)
    sent = (
        f"; DSL alerted {_when(item.alerted_at)}"
        if item.alerted_at is not None
        else "; for the DSL (alert not yet confirmed sent)"
    )
    return (
        f"Case {item.case_id or '(no case yet)'} · {clean(item.source_id, limit=60)} · {seen} · "
        f"{item.severity}{sent}. Details are withheld from this digest."
    )


def _stub_html(item: FlaggedItem) -> str:
    return (
        f'<div style="border-left:4px solid {_COLOURS["safeguarding"]};background:#faf5ff;'
        f'padding:8px 10px;margin:10px 0;"><p style="margin:0;">Safeguarding matter. '
        f"{_esc(_stub_facts(item))}</p></div>"
    )


def _stub_text(item: FlaggedItem) -> str:
    return f"* Safeguarding matter. {_stub_facts(item)}"


def _overdue_html(item: FlaggedItem, now: datetime, config_hint: str) -> str:
    return (
        f'<div style="border-left:4px solid {_COLOURS["overdue"]};background:#fafafa;'
        f'padding:8px 10px;margin:10px 0;"><p style="margin:0;font-weight:bold;">'
        f"Case {_esc(item.case_id or '(none)')}: {_esc(_overdue_by(item.respond_by, now))}</p>"
        f'<p style="{_SMALL}">{_esc(_meta(item))}</p>'
        f'<p style="{_SMALL}">Respond by was {_esc(_when(item.respond_by))} · rung {item.rung} '
        f"({_esc(rung_text(item.rung).name)}) · {_esc(', '.join(item.categories))}</p>"
        f'<code style="{_CODE}">{_esc(record_command(item, config_hint))}</code></div>'
    )


def _overdue_text(item: FlaggedItem, now: datetime, config_hint: str) -> str:
    return (
        f"* Case {item.case_id or '(none)'}: {_overdue_by(item.respond_by, now)} "
        f"(respond by was {_when(item.respond_by)}); {_meta(item)}; rung {item.rung} "
        f"({rung_text(item.rung).name})\n  Record an action: {record_command(item, config_hint)}"
    )


# ---- sections ------------------------------------------------------------------------------


@dataclass
class _Doc:
    """Collects the HTML and the text of an email side by side, section by section."""

    html: list[str]
    text: list[str]

    def heading(self, title: str, colour: str, note: str = "") -> None:
        self.html.append(
            f'<h2 style="font-size:18px;color:{colour};margin:18px 0 4px;">{_esc(title)}</h2>'
        )
        self.text.append(f"\n{title.upper()}\n{'=' * len(title)}")
        if note:
            self.html.append(f'<p style="margin:2px 0 6px;">{_esc(note)}</p>')
            self.text.append(note)

    def para(self, value: str, style: str = "margin:6px 0;") -> None:
        self.html.append(f'<p style="{style}">{_esc(value)}</p>')
        self.text.append(value)


def _banner(doc: _Doc, g: _Groups, school_name: str, day: str) -> None:
    if g.critical:
        colour, line = _COLOURS["critical"], "Act now: there are critical items."
    elif g.safeguarding or g.action or g.overdue or g.complaints:
        colour, line = _COLOURS["action"], "Action needed today."
    else:
        colour, line = _COLOURS["ok"], "Nothing needs action today."
    counts = (
        f"{len(g.critical)} critical · {len(g.safeguarding)} safeguarding · "
        f"{len(g.action)} need action · {len(g.overdue)} overdue · "
        f"{_plural(len(g.complaints), 'complaint', 'complaints')}"
    )
    doc.html.append(
        f'<div style="background:{colour};color:#fff;padding:10px 12px;border-radius:4px;">'
        f'<div style="font-size:13px;">{_esc(school_name)} · {_esc(day)}</div>'
        f'<div style="font-size:20px;font-weight:bold;margin:2px 0;">{_esc(line)}</div>'
        f'<div style="font-size:14px;">{_esc(counts)}</div></div>'
    )
    doc.text.append(f"{school_name} · {day}\n{line}\n{counts}")


def _items(doc: _Doc, items: Iterable[FlaggedItem], colour: str, hint: str, words: bool) -> None:
    for item in items:
        if is_safeguarding(item):
            doc.html.append(_stub_html(item))
            doc.text.append(_stub_text(item))
        else:
            doc.html.append(_item_html(item, colour, hint, words=words))
            doc.text.append(_item_text(item, hint, words=words))


def _action_sections(doc: _Doc, g: _Groups, hint: str) -> None:
    if g.critical:
        doc.heading(
            "Critical",
            _COLOURS["critical"],
            "Critical items are also emailed to alert_to as soon as they are found.",
        )
        _items(doc, g.critical, _COLOURS["critical"], hint, words=True)
    if g.safeguarding:
        doc.heading(
            "Safeguarding (sent to the DSL)",
            _COLOURS["safeguarding"],
            "An allegation that staff harmed a child, or a pupil's or staff member's personal "
            "data. The DSL has the details and the LADO route; only the case is shown here.",
        )
        _items(doc, g.safeguarding, _COLOURS["safeguarding"], hint, words=False)
    for rung in sorted({i.rung for i in g.action}, reverse=True):
        text = rung_text(rung)
        doc.heading(f"Needs action: rung {rung}, {text.name}", _COLOURS["action"], text.words)
        _items(doc, (i for i in g.action if i.rung == rung), _COLOURS["action"], hint, False)


def _follow_up_sections(doc: _Doc, data: DigestData, g: _Groups, hint: str) -> None:
    if g.overdue:
        doc.heading("Overdue cases", _COLOURS["overdue"], "The time to respond has passed.")
        for item in g.overdue:
            doc.html.append(_overdue_html(item, data.generated_at, hint))
            doc.text.append(_overdue_text(item, data.generated_at, hint))
    if g.complaints:
        doc.heading("Complaints to answer within 24 h", _COLOURS["complaint"], rung_text(1).words)
        _items(doc, g.complaints, _COLOURS["complaint"], hint, words=False)
    if g.record:
        doc.heading("Flagged for the record (no action)", _COLOURS["record"], rung_text(0).words)
        _items(doc, g.record, _COLOURS["record"], hint, words=False)


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.fmean(known) if known else None


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def _trend_lines(data: DigestData) -> list[str]:
    history = data.history
    lines = [f"New mentions since the last digest: {data.new_mentions}."]
    if history:
        today = history[-1]
        avg_mentions = statistics.fmean(d.mentions for d in history)
        # weighted by mentions: a day with one post should not count as much as a busy one
        weighted = [(d.mean_sentiment, d.mentions) for d in history if d.mean_sentiment is not None]
        total = sum(n for _, n in weighted)
        avg_senti = (
            sum(s * n for s, n in weighted) / total if total else _mean(s for s, _ in weighted)
        )
        lines.append(
            f"Today ({_iso_day(today.day)}): {today.mentions} mentions, mean sentiment "
            f"{_fmt(today.mean_sentiment)}. {len(history)}-day average: {avg_mentions:.1f} "
            f"mentions a day, mean sentiment {_fmt(avg_senti)}."
        )
    return lines


def _failing(sources: Sequence[SourceHealth]) -> list[str]:
    return [
        f"{clean(s.source_id, limit=60)}: {clean(s.last_error or 'failed', limit=200)} "
        f"({_plural(s.consecutive_failures, 'failure', 'failures')} in a row, last tried "
        f"{_when(s.last_run_at)})"
        for s in sources
        if s.last_status == "failed"
    ]


def _summary(doc: _Doc, data: DigestData, *, chart: bool) -> list[tuple[str, bytes]]:
    doc.heading("Summary", "#111827")
    for line in _trend_lines(data):
        doc.para(line)
    warning = spike(data.history)
    if warning:
        doc.para(
            warning,
            f"margin:6px 0;padding:6px 8px;background:#fef3c7;border-left:4px solid "
            f"{_COLOURS['action']};font-weight:bold;",
        )
    images: list[tuple[str, bytes]] = []
    if chart and data.history:
        images.append((CHART_CID, sentiment_chart(data.history)))
        doc.html.append(
            f'<img src="cid:{CHART_CID}" alt="Mentions and mean sentiment, last 30 days" '
            'width="600" style="display:block;width:100%;max-width:600px;height:auto;'
            'margin:8px 0;">'
        )
        doc.text.append("(The HTML version has a 30-day chart of mentions and sentiment.)")
    failing = _failing(data.sources)
    ok = len(data.sources) - len(failing)
    doc.para(f"Sources: {ok} of {len(data.sources)} working.")
    if failing:
        doc.html.append('<ul style="margin:4px 0 4px 18px;padding:0;">')
        doc.html.extend(f"<li>Failing: {_esc(f)}</li>" for f in failing)
        doc.html.append("</ul>")
        doc.text.extend(f"- Failing: {f}" for f in failing)
    doc.para(NOT_MONITORED, _SMALL)
    return images


def _page(title: str, body: list[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_esc(title)}</title></head>\n"
        '<body style="margin:0;padding:0;background:#f3f4f6;">\n'
        '<div style="box-sizing:border-box;max-width:640px;margin:0 auto;padding:12px;'
        "background:#fff;color:#111827;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,"
        "Arial,sans-serif;font-size:16px;line-height:1.45;overflow-wrap:anywhere;"
        'word-wrap:break-word;">\n' + "\n".join(body) + "\n</div></body></html>\n"
    )


def _footer(doc: _Doc, school: SchoolConfig, when: datetime) -> None:
    line = f"schoolwatch · {school.name} · generated {_when(when)} (UK time)"
    doc.para(line, "font-size:12px;color:#6b7280;margin:16px 0 0;")


# ---- public ----------------------------------------------------------------------------------


def render_digest(
    data: DigestData, school: SchoolConfig, *, config_hint: str = "schoolwatch.toml"
) -> RenderedEmail:
    """The daily digest for one school: what needs action first, then the summary.

    With no new items and nothing overdue it is the short "nothing needs action" message that
    proves the monitor ran (still with the summary and failing sources, without the chart).
    """
    g = _group(data)
    subject = digest_subject(data, school)
    doc = _Doc([], [])
    _banner(doc, g, school.name, _day(data.generated_at))
    _action_sections(doc, g, config_hint)
    _follow_up_sections(doc, data, g, config_hint)
    quiet = not (data.items or g.overdue)
    images = _summary(doc, data, chart=not quiet)
    _footer(doc, school, data.generated_at)
    return RenderedEmail(
        subject, "\n".join(doc.text) + "\n", _page(subject, doc.html), tuple(images)
    )


def render_alert(
    item: FlaggedItem, school: SchoolConfig, *, config_hint: str = "schoolwatch.toml"
) -> RenderedEmail:
    """The immediate alert for one critical item, to `alert_to`."""
    cats = ", ".join(item.categories) or item.severity
    subject = (
        f"CRITICAL — {short_name(school)}: {cats} on {clean(item.source_id, limit=40)}, "
        f"case {item.case_id or 'new'}"
    )
    intro = f"{school.name}. This item will also be listed in the next digest."
    banner = "Critical: act now"
    return _one_item_email(item, school, subject, "critical", banner, intro, config_hint)


def _one_item_email(
    item: FlaggedItem,
    school: SchoolConfig,
    subject: str,
    colour: str,
    banner: str,
    intro: str,
    config_hint: str,
    note: str | None = None,
) -> RenderedEmail:
    """An email about one item: a coloured banner, an intro, an optional note, the item."""
    doc = _Doc([], [])
    doc.html.append(
        f'<div style="background:{_COLOURS[colour]};color:#fff;padding:10px 12px;'
        f'border-radius:4px;font-size:20px;font-weight:bold;">{banner}</div>'
    )
    doc.text.append(banner.upper())
    doc.para(intro)
    if note:
        doc.para(
            note,
            "margin:8px 0;padding:8px;background:#faf5ff;border-left:4px solid "
            f"{_COLOURS[colour]};",
        )
    doc.html.append(_item_html(item, _COLOURS[colour], config_hint, words=True))
    doc.text.append(_item_text(item, config_hint, words=True))
    _footer(doc, school, item.first_seen_at)
    return RenderedEmail(subject, "\n".join(doc.text) + "\n", _page(subject, doc.html))


_LADO_NOTE = (
    "This post alleges that a member of staff harmed a child. Allegations against staff follow "
    "the LADO route: the DSL tells the headteacher (or the chair of governors if it concerns "
    "the headteacher) and consults the Local Authority Designated Officer (LADO) within one "
    "working day, before any investigation. Do not contact the poster or the member of staff "
    "about the allegation until the LADO has advised. The evidence is saved with the case."
)
_DATA_NOTE = (
    "This post discloses personal data about a pupil or member of staff. Ask the site to remove "
    "it, tell the school's Data Protection Officer, and record whether it must be reported to "
    "the ICO (within 72 hours of becoming aware). If it reveals a risk to a child, follow the "
    "safeguarding procedure; if it is about staff harming a child, the LADO route applies."
)


def render_safeguarding(
    item: FlaggedItem, school: SchoolConfig, *, config_hint: str = "schoolwatch.toml"
) -> RenderedEmail:
    """The full item for the DSL (`alert_to`), with the LADO / data-protection note.

    The SLT digest shows only that it exists and its case id.
    """
    personal = "personal_data" in item.categories
    kind = "personal data disclosed" if personal else "allegation against staff"
    subject = f"SAFEGUARDING — {short_name(school)}: {kind}, case {item.case_id or 'new'}"
    intro = f"{school.name}. The SLT digest shows only this case's id, not its details."
    note = _DATA_NOTE if personal and not alleges_staff_harmed_child(item) else _LADO_NOTE
    return _one_item_email(
        item, school, subject, "safeguarding", "Safeguarding: for the DSL", intro, config_hint, note
    )


def html_for_browser(rendered: RenderedEmail) -> str:
    """The HTML with its `cid:` images inlined as data: URIs, to open in a browser (previews)."""
    page = rendered.html
    for cid, png in rendered.images:
        data = base64.b64encode(png).decode("ascii")
        page = page.replace(f'src="cid:{cid}"', f'src="data:image/png;base64,{data}"')
    return page


def _md(value: str) -> str:
    # config ids and case ids only, but a stray pipe or backtick must not break the table
    return clean(value, limit=80).replace("|", "\\|").replace("`", "'")


def digest_markdown(data: DigestData, school: SchoolConfig) -> str:
    """A Markdown summary of a digest (subject, each case by section, failing sources).

    No author, title, text or URL from the web: it is safe to show in any dashboard.
    """
    g = _group(data)
    lines = [f"### {_md(digest_subject(data, school))}", ""]
    sections = [
        ("critical", g.critical),
        ("safeguarding (DSL)", g.safeguarding),
        ("needs action", g.action),
        ("overdue", g.overdue),
        ("complaint", g.complaints),
        ("for the record", g.record),
    ]
    rows = [(name, i) for name, items in sections for i in items]
    if rows:
        lines += ["| section | case | rung | categories | source |", "|---|---|---|---|---|"]
        lines += [
            f"| {name} | {_md(i.case_id or '-')} | {i.rung} {rung_text(i.rung).name} | "
            f"{_md(', '.join(i.categories))} | {_md(i.source_id)} |"
            for name, i in rows
        ]
    else:
        lines.append("Nothing needs action.")
    lines += ["", f"Failing sources: {len(_failing(data.sources))} of {len(data.sources)}."]
    return "\n".join(lines) + "\n"
