"""The digest's "Still online 48 hours after you reported them" list, as plain values.

One line per post SLT reported (an action at rung 2 or higher) more than 48 hours ago that a
later check still found online: the case, the post in a line (or only that it exists, for a
safeguarding post), when it was reported and when it was last seen, and whether the latest
check failed. It repeats in each digest until a check finds the post removed or the case is
closed. Laid out by `templates/_still_online.*.j2`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from digest.excerpt import Segment
from digest.policy import rung_text
from digest.safeguarding import is_safeguarding
from digest.view import COLOURS, post_view, when_text
from schoolwatch.models import StillOnline

TITLE = "Still online 48 hours after you reported them"
NOTE = (
    "You asked the site to remove these (an action at rung 2 or higher) and a check since then "
    "found them still there. Report them again; if the site does not act, ask its host to "
    "remove them ({title}, rung {rung})."
)


@dataclass(frozen=True, slots=True)
class StillOnlineLine:
    case_id: str
    short: tuple[Segment, ...]  # a line of the post; empty when withheld
    meta: str  # "Gaz1985 on parents-forum · Fri 4 Dec 21:58"
    link: str | None
    link_label: str
    reported: str  # "Reported Mon 7 Dec 09:10 (rung 2, Report and hide)"
    seen: str  # "still online Thu 10 Dec 06:00"
    check_note: str  # "" or "the latest check (Fri 11 Dec 06:00) could not tell: ..."
    withheld: bool


@dataclass(frozen=True, slots=True)
class StillOnlineSection:
    title: str
    colour: str
    note: str
    lines: tuple[StillOnlineLine, ...]


def still_online_section(
    posts: Sequence[StillOnline], *, min_confidence: float
) -> StillOnlineSection | None:
    """The section, or None when no reported post is still online."""
    if not posts:
        return None
    host = rung_text(4)  # the rung that contacts the site's host to ask for removal
    return StillOnlineSection(
        title=TITLE,
        colour=COLOURS["overdue"],
        note=NOTE.format(title=host.title, rung=host.rung),
        lines=tuple(_line(p, min_confidence) for p in posts),
    )


def _line(post: StillOnline, min_confidence: float) -> StillOnlineLine:
    withheld = is_safeguarding(post.item)
    view = post_view(post.item, min_confidence=min_confidence, withheld=withheld)
    rung = rung_text(post.reported_rung)
    check_note = ""
    if post.status != "still_online":
        checked = when_text(post.checked_at)
        check_note = f"The latest check ({checked}) could not tell: {post.reason}"
    return StillOnlineLine(
        case_id=post.item.case_id or "no case",
        short=view.short,
        meta=view.meta,
        link=view.link,
        link_label=view.link_label,
        reported=f"Reported {when_text(post.reported_at)} (rung {rung.rung}, {rung.title})",
        seen=f"still online {when_text(post.seen_online_at)}",
        check_note=check_note,
        withheld=withheld,
    )
