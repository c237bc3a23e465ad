"""The digest and alert emails: subject, plain text and HTML from one view-model each.

Pure: no network, no disk. `digest.view` decides what the reader sees; the Jinja2 templates in
`digest/templates/` lay it out, the HTML ones with autoescape on, so everything taken from the
web (author, title, text, URL) is escaped, and only http(s) URLs become links. Headers are not
made here: `send.build_message` makes them from config values and the subject, which holds no
text from a post.

Order of a digest: critical threats; possible threats to check; safeguarding matters (sent to
the DSL, shown only by case id); cases needing action by rung with the policy's words; overdue
cases; complaints to answer, one line each; then the summary (mentions, the 30-day chart, a
spike warning, failing sources, what is not monitored).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache

import jinja2

from digest.chart import sentiment_chart
from digest.excerpt import clean
from digest.policy import categories_text
from digest.safeguarding import alleges_staff_harmed_child, is_safeguarding
from digest.still_online import still_online_section
from digest.view import (
    CHART_CID,
    alert_view,
    digest_view,
    record_command,
    safe_url,
    short_school_name,
)
from schoolwatch.config import DEFAULT_MIN_CONFIDENCE, SchoolConfig
from schoolwatch.models import DigestData, FlaggedItem

__all__ = [
    "RenderedEmail",
    "digest_markdown",
    "html_for_browser",
    "is_safeguarding",
    "record_command",
    "render_alert",
    "render_digest",
    "render_safeguarding",
    "safe_url",
    "short_name",
]


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """One email's content. `images` are (content id, PNG bytes), referenced as `cid:<id>`."""

    subject: str
    text: str
    html: str
    images: tuple[tuple[str, bytes], ...] = ()


@cache
def _templates(kind: str) -> jinja2.Environment:
    """The template environment for "html" (autoescaped) or "text" (the text/plain part)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("digest", "templates"),
        autoescape=kind == "html",
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _render(name: str, view: object) -> tuple[str, str]:
    """(text, HTML) of the template pair `name`.txt.j2 / `name`.html.j2 for one view."""
    text = _templates("text").get_template(f"{name}.txt.j2").render(v=view)
    page = _templates("html").get_template(f"{name}.html.j2").render(v=view)
    return text, page


def short_name(school: SchoolConfig) -> str:
    """The name a head reads in a subject line: "St Aldric's" for "St Aldric's C of E Primary …"."""
    return short_school_name(school.name, school.id)


def render_digest(
    data: DigestData,
    school: SchoolConfig,
    *,
    config_hint: str = "schoolwatch.toml",
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    board_url: str | None = None,
) -> RenderedEmail:
    """The daily digest for one school: what needs action first, then the summary.

    Reported posts still online 48 hours after the report follow the cases.
    With no new items and nothing overdue it is the short "nothing needs action" message that
    proves the monitor ran (still with the summary and failing sources, without the chart).
    """
    chart = bool((data.items or data.overdue or data.still_online) and data.history)
    view = digest_view(
        data,
        school.name,
        short_name(school),
        min_confidence=min_confidence,
        config_hint=config_hint,
        chart=chart,
        still_online=still_online_section(data.still_online, min_confidence=min_confidence),
        board_url=board_url,
    )
    text, page = _render("digest", view)
    images = ((CHART_CID, sentiment_chart(data.history)),) if chart else ()
    return RenderedEmail(view.subject, text, page, images)


def render_alert(
    item: FlaggedItem,
    school: SchoolConfig,
    *,
    config_hint: str = "schoolwatch.toml",
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    board_url: str | None = None,
) -> RenderedEmail:
    """The immediate alert for one critical item, to `alert_to`."""
    cats = categories_text(item.categories).lower() or item.severity
    subject = (
        f"CRITICAL — {short_name(school)}: {cats} on {clean(item.source_id, limit=40)}, "
        f"case {item.case_id or 'new'}"
    )
    view = alert_view(
        item,
        subject=subject,
        banner="Critical: act now",
        colour="critical",
        intro=f"{school.name}. This item will also be listed in the next digest.",
        note="Call 999 if anyone is in danger now." if "threat" in item.categories else None,
        min_confidence=min_confidence,
        config_hint=config_hint,
        board_url=board_url,
    )
    text, page = _render("alert", view)
    return RenderedEmail(subject, text, page)


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
    item: FlaggedItem,
    school: SchoolConfig,
    *,
    config_hint: str = "schoolwatch.toml",
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    board_url: str | None = None,
) -> RenderedEmail:
    """The full item for the DSL (`alert_to`), with the LADO / data-protection note.

    The SLT digest shows only that it exists and its case id.
    """
    personal = "personal_data" in item.categories
    kind = "personal data disclosed" if personal else "allegation against staff"
    subject = f"SAFEGUARDING — {short_name(school)}: {kind}, case {item.case_id or 'new'}"
    view = alert_view(
        item,
        subject=subject,
        banner="Safeguarding: for the DSL",
        colour="safeguarding",
        intro=f"{school.name}. The SLT digest shows only this case's id, not its details.",
        note=_DATA_NOTE if personal and not alleges_staff_harmed_child(item) else _LADO_NOTE,
        min_confidence=min_confidence,
        config_hint=config_hint,
        board_url=board_url,
    )
    text, page = _render("alert", view)
    return RenderedEmail(subject, text, page)


def html_for_browser(rendered: RenderedEmail) -> str:
    """The HTML with its `cid:` images inlined as data: URIs, to open in a browser (previews)."""
    page = rendered.html
    for cid, png in rendered.images:
        data = base64.b64encode(png).decode("ascii")
        page = page.replace(f'src="cid:{cid}"', f'src="data:image/png;base64,{data}"')
    return page


def _md(value: str) -> str:
    # config ids, case ids and our own words only, but a stray pipe or backtick must not break
    # the table
    return clean(value, limit=80).replace("|", "\\|").replace("`", "'")


def digest_markdown(
    data: DigestData, school: SchoolConfig, *, min_confidence: float = DEFAULT_MIN_CONFIDENCE
) -> str:
    """A Markdown summary of a digest (subject, each case with its respond-by, failing sources).

    No author, title, text or URL from the web: it is safe to show in any dashboard.
    """
    view = digest_view(
        data,
        school.name,
        short_name(school),
        min_confidence=min_confidence,
        config_hint="",
        chart=False,
    )
    lines = [f"### {_md(view.subject)}", ""]
    rows = [(s, c) for s in view.sections for c in s.cases]
    if rows:
        lines += [
            "| section | case | respond by | next step | categories | source |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {_md(s.title)} | {_md(c.case_id)} | {_md(c.respond)} | "
            f"{_md(f'{c.rung.title} (rung {c.rung.rung})')} | {_md(c.lead.categories)} | "
            f"{_md(c.lead.source)} |"
            for s, c in rows
        ]
    else:
        lines.append("Nothing needs action.")
    if data.still_online:
        lines += ["", f"Still online 48 hours after the report: {len(data.still_online)}."]
    lines += ["", f"Failing sources: {len(view.failing)} of {len(data.sources)}."]
    return "\n".join(lines) + "\n"
