"""A notice of complaint to a website operator about a defamatory post, pre-filled from a case.

Section 5 of the Defamation Act 2013 gives a website operator a defence when it follows the
Defamation (Operators of Websites) Regulations 2013 on receiving a notice of complaint. The
notice counts only if it has everything section 5(6) and regulation 2 ask for:

- the complainant's name, and an email address where they can be contacted;
- the statement complained of, and where on the website it was posted;
- the meaning the complainant attributes to it (why it is defamatory of them);
- which parts they believe are factually inaccurate, or opinions not supported by fact;
- confirmation that they do not have enough information about the poster to bring
  proceedings against that person;
- whether they consent to the operator giving the poster their name and email address.

`defamation_notice(detail, school_name)` fills in what the case knows (the statement, its
address and site, when it was first seen, the poster's display name) and leaves blanks for
SLT to complete. Pure: no I/O; the text and HTML come from one view through Jinja2 templates
(the HTML autoescaped, so a post's words stay text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import jinja2

from schoolwatch.models import FlaggedItem
from warehouse.records import CaseDetail

LONDON = ZoneInfo("Europe/London")
BLANK = "________________________________"

CLOCK = (
    "The operator's clock: once the operator receives a notice that contains all of the above, "
    "it has 48 hours to pass it to the poster (or, if it cannot contact the poster, to remove "
    "the statement) to keep its defence under section 5 of the Defamation Act 2013; the "
    "Regulations leave weekends and bank holidays out of the 48 hours. Record when you sent "
    "this notice, and check the page again after that time."
)


@dataclass(frozen=True, slots=True)
class Statement:
    """One post complained of."""

    url: str
    site: str
    first_seen: str
    title: str
    text: str
    quoted: tuple[str, ...]  # the words the classifier found defamatory


@dataclass(frozen=True, slots=True)
class Notice:
    """The notice as plain text and as an HTML page."""

    text: str
    html: str


@dataclass(frozen=True, slots=True)
class NoticeView:
    case_id: str
    school_name: str
    site: str
    poster: str
    statements: tuple[Statement, ...]
    blank: str
    clock: str


def _uk(when: datetime) -> str:
    local = when.astimezone(LONDON)
    return f"{local:%A} {local.day} {local:%B %Y at %H:%M} (UK time)"


def _statement(item: FlaggedItem, site: str) -> Statement:
    quoted = tuple(e.text for e in item.evidence if e.category == "defamation")
    return Statement(
        url=item.url,
        site=site,
        first_seen=_uk(item.first_seen_at),
        title=item.title,
        text=item.text,
        quoted=quoted,
    )


def is_defamation_case(detail: CaseDetail) -> bool:
    """Whether any of the case's posts is flagged as defamation."""
    return any("defamation" in item.categories for item in detail.items)


def notice_view(detail: CaseDetail, school_name: str = "") -> NoticeView:
    """What the notice says, from the case (its defamation posts; all posts if none is)."""
    case = detail.case
    items = [i for i in detail.items if "defamation" in i.categories] or list(detail.items)
    return NoticeView(
        case_id=case.case_id,
        school_name=school_name or case.school_id,
        site=case.site,
        poster=case.author or "(no name shown)",
        statements=tuple(_statement(i, case.site) for i in items),
        blank=BLANK,
        clock=CLOCK,
    )


def _env(html: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("warehouse", "templates"),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def defamation_notice(detail: CaseDetail, school_name: str = "") -> Notice:
    """The pre-filled notice of complaint for a case, as text and HTML, for SLT to complete."""
    view = notice_view(detail, school_name)
    return Notice(
        text=_env(False).get_template("notice.txt.j2").render(v=view),
        html=_env(True).get_template("notice.html.j2").render(v=view),
    )
