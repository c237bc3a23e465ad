"""View-models for the board's pages: plain values built from the warehouse's records by pure
functions; the templates only lay them out (and escape everything)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from analysis import ladder
from digest.excerpt import Segment, clean, excerpt
from digest.policy import RungText, categories_text, rung_text
from digest.safeguarding import is_safeguarding
from digest.view import respond_label, safe_url, when_text
from schoolwatch.models import FlaggedItem, PostRemoval, StillOnline
from warehouse import Case, CaseDetail
from warehouse.board import PostVersion

RUNGS = range(7)


def restricted(detail: CaseDetail) -> bool:
    """A case holding a safeguarding item: its details are for the DSL only."""
    return any(is_safeguarding(i) for i in detail.items)


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One line of the case list."""

    case_id: str
    school_id: str
    who: str  # "angrydad77 on forum.example", or why it is not shown
    respond: str
    urgent: bool
    overdue: bool
    severity: str
    rung: RungText
    posts: int
    last_action: str
    restricted: bool
    status: str


def _who(case: Case) -> str:
    author = clean(case.author, limit=60) or "unknown author"
    return f"{author} on {clean(case.site, limit=60) or 'unknown site'}"


def _last_action(case: Case) -> str:
    if case.last_action_rung is None or case.last_action_at is None:
        return "No action recorded yet"
    title = rung_text(case.last_action_rung).title
    return f"Last action: rung {case.last_action_rung} ({title}), {when_text(case.last_action_at)}"


def case_row(detail: CaseDetail, role: str, now: datetime) -> CaseRow:
    """A list line; a safeguarding case shows only that it exists to anyone but the DSL."""
    case = detail.case
    hidden = restricted(detail) and role != "dsl"
    open_ = case.status == "open"
    respond, urgent = respond_label(case.respond_by, now) if open_ else ("Closed", False)
    return CaseRow(
        case_id=case.case_id,
        school_id=case.school_id,
        who="Safeguarding: details for the DSL only" if hidden else _who(case),
        respond=respond,
        urgent=urgent and open_,
        overdue=open_ and case.respond_by <= now,
        severity=case.severity,
        rung=rung_text(case.rung),
        posts=case.posts,
        last_action="" if hidden else _last_action(case),
        restricted=restricted(detail),
        status=case.status,
    )


@dataclass(frozen=True, slots=True)
class OnlineRow:
    """A reported post still online 48 hours after the report, for the case list."""

    case_id: str
    where: str  # its address, or why it is not shown
    reported: str
    checked: str


def online_row(s: StillOnline, role: str) -> OnlineRow:
    hidden = is_safeguarding(s.item) and role != "dsl"
    where = "Safeguarding: details for the DSL only" if hidden else clean(s.item.url, limit=120)
    return OnlineRow(
        case_id=s.item.case_id or "no case",
        where=where,
        reported=f"reported {when_text(s.reported_at)} (rung {s.reported_rung})",
        checked=f"still online {when_text(s.seen_online_at)}",
    )


@dataclass(frozen=True, slots=True)
class LabelView:
    category: str
    confidence: str  # "93 %", or "" when not recorded


@dataclass(frozen=True, slots=True)
class EvidenceView:
    category: str
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class VersionView:
    version: int
    fetched: str
    fetched_iso: str
    url: str
    sha256: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class ItemView:
    """One post of a case, in full, with the evidence marked."""

    post_id: str
    author: str
    source: str
    link: str | None
    link_label: str
    when: str
    first_seen: str
    labels: tuple[LabelView, ...]
    severity: str
    rung: RungText
    title: tuple[Segment, ...]
    body: tuple[Segment, ...]
    evidence: tuple[EvidenceView, ...]
    versions: tuple[VersionView, ...]
    safeguarding: bool
    removal: str = ""  # after the report: whether the post is still online
    still_online: bool = False  # still online 48 hours after the report


def _labels(item: FlaggedItem) -> tuple[LabelView, ...]:
    out = []
    for c in item.categories:
        p = item.confidence.get(c)
        out.append(LabelView(categories_text([c]), "" if p is None else f"{round(p * 100)} %"))
    return tuple(out)


def _version(v: PostVersion) -> VersionView:
    return VersionView(
        version=v.version,
        fetched=when_text(v.fetched_at),
        fetched_iso=v.fetched_at.isoformat(timespec="seconds"),
        url=v.url,
        sha256=v.sha256,
        title=v.title,
        text=v.text,
    )


STILL_ONLINE_AFTER = timedelta(hours=48)


def removal_text(r: PostRemoval | None, now: datetime) -> tuple[str, bool]:
    """What re-checking a reported post found, and whether it is still online 48 h after the
    report (the board and the digest list those)."""
    if r is None or r.reported_at is None:
        return "", False
    reported = f"Reported {when_text(r.reported_at)} (rung {r.reported_rung})"
    if r.last_status == "removed":
        return f"{reported}; removed (seen gone {when_text(r.removed_at)}).", False
    if r.last_status == "still_online":
        late = now - r.reported_at >= STILL_ONLINE_AFTER
        lead = "Still online 48 hours after the report" if late else "Still online"
        return f"{reported}. {lead}: checked {when_text(r.last_checked_at)}.", late
    if r.last_status == "unknown":
        why = f" ({r.last_reason})" if r.last_reason else ""
        return f"{reported}; the last check could not tell{why}.", False
    return f"{reported}; not re-checked yet (the next run checks it).", False


def item_view(
    item: FlaggedItem,
    versions: Sequence[PostVersion],
    removal: PostRemoval | None = None,
    now: datetime | None = None,
) -> ItemView:
    if safe_url(item.url):
        link, label = item.url, f"Open the post ({urlsplit(item.url).netloc})"
    else:
        link, label = None, f"Link not shown (not http/https): {clean(item.url, limit=80)}"
    whole = {"context": 10_000, "limit": 100_000}
    gone, late = removal_text(removal, now or datetime.now(UTC))
    return ItemView(
        post_id=item.post_id,
        author=clean(item.author, limit=80) or "unknown author",
        source=clean(item.source_id, limit=60),
        link=link,
        link_label=label,
        when=when_text(item.published_at),
        first_seen=when_text(item.first_seen_at),
        labels=_labels(item),
        severity=item.severity,
        rung=rung_text(item.rung),
        title=tuple(excerpt(item.title, item.evidence, "title", **whole)),
        body=tuple(excerpt(item.text, item.evidence, "text", **whole)),
        evidence=tuple(
            EvidenceView(categories_text([e.category]), e.text, e.reason) for e in item.evidence
        ),
        versions=tuple(_version(v) for v in versions),
        safeguarding=is_safeguarding(item),
        removal=gone,
        still_online=late,
    )


@dataclass(frozen=True, slots=True)
class StepView:
    """A rung of the ladder, as the case page lists it."""

    rung: RungText
    recommended: bool
    done: bool  # an action at this rung is recorded


@dataclass(frozen=True, slots=True)
class ActionView:
    when: str
    rung: RungText
    by: str
    note: str


@dataclass(frozen=True, slots=True)
class LinkView:
    """A link shown under the case's heading (removal status, a defamation notice, …)."""

    href: str
    label: str


@dataclass(frozen=True, slots=True)
class CasePage:
    row: CaseRow
    opened: str
    recommended: RungText
    why: str
    ladder: tuple[StepView, ...]
    items: tuple[ItemView, ...]
    actions: tuple[ActionView, ...]
    closed: str  # "Closed Tue 2 Dec 09:10 by head@…: note", or "" while open
    links: tuple[LinkView, ...] = ()


def why_recommended(detail: CaseDetail) -> str:
    """Why the case's recommended rung is what it is, in the ladder's terms."""
    case = detail.case
    if not detail.items:
        return "No flagged post is left in this case."
    lead = max(detail.items, key=lambda i: i.rung)
    cats = categories_text(lead.categories).lower()
    first = ladder.first_rung(lead.categories)
    if lead.rung > first:
        last = case.last_action_rung
        done = f" (an action at rung {last} is on record)" if last is not None else ""
        return (
            f"The same poster posted again after SLT had acted{done}: "
            "'if inappropriate use continues', the ladder goes one rung up, "
            f"up to rung {ladder.ceiling(lead.categories)} for {cats}."
        )
    text = f"On the school's ladder, {cats} starts at rung {first}."
    if case.last_action_rung is not None and case.last_action_rung >= case.rung:
        text += (
            f" An action at rung {case.last_action_rung} is recorded; if this poster posts "
            "another flagged item, the next run recommends the rung above."
        )
    return text


def case_page(
    detail: CaseDetail,
    versions: dict[str, list[PostVersion]],
    role: str,
    now: datetime,
    links: Sequence[LinkView] = (),
    removals: Mapping[str, PostRemoval] | None = None,
) -> CasePage:
    """The case page for someone allowed to see its details."""
    case = detail.case
    done = {a.rung for a in detail.actions}
    closed = ""
    if case.closed_at is not None:
        note = f": {detail.close_note}" if detail.close_note else ""
        closed = f"Closed {when_text(case.closed_at)} by {detail.closed_by or 'unknown'}{note}"
    return CasePage(
        row=case_row(detail, role, now),
        opened=when_text(case.opened_at),
        recommended=rung_text(case.rung),
        why=why_recommended(detail),
        ladder=tuple(StepView(rung_text(r), r == case.rung, r in done) for r in RUNGS),
        items=tuple(
            item_view(i, versions.get(i.post_id, []), (removals or {}).get(i.post_id), now)
            for i in detail.items
        ),
        actions=tuple(
            ActionView(when_text(a.recorded_at), rung_text(a.rung), a.by, a.note)
            for a in detail.actions
        ),
        closed=closed,
        links=tuple(links),
    )
