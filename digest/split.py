"""Splitting a digest too big for one email into several, each under `email.max_message_bytes`.

A server with a size limit refuses an oversized message on every run, forever; so a digest that
would pass the limit goes as "Digest 1 of 3", "Digest 2 of 3", … with every new item in exactly
one of them (the overdue list, the reported posts still online and the summary in the first
only). An item too big for a message
on its own is summarised: its title, a note of how long the post is, and where the full text is
kept (`schoolwatch cases show <case id>`). Pure functions apart from rendering.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from email.message import EmailMessage

from digest.excerpt import clean
from schoolwatch.models import DigestData, FlaggedItem

# Headers added after measuring (the "Digest n of m" subject) and SMTP's own framing.
HEADROOM = 1024


@dataclass(frozen=True, slots=True)
class DigestPart:
    """One message of a digest and the new items it carries (to mark digested once accepted)."""

    message: EmailMessage
    post_ids: tuple[str, ...]


Build = Callable[[DigestData], EmailMessage]


def size(msg: EmailMessage) -> int:
    """The message's size as sent over SMTP, in bytes."""
    return len(msg.as_bytes())


def summarised(item: FlaggedItem) -> FlaggedItem:
    """The item with its text replaced by a pointer to where the full text is kept."""
    where = (
        f"schoolwatch cases show {item.case_id}"
        if item.case_id
        else f"schoolwatch sql \"SELECT text FROM flagged WHERE post_id = '{item.post_id}'\""
    )
    note = (
        f"This post is too long to include in an email ({len(item.text):,} characters). "
        f"The full text is kept in the warehouse: {where}, or open {clean(item.url, limit=300)}"
    )
    return replace(item, title=clean(item.title, limit=200), text=note, evidence=())


def split_digest(data: DigestData, build: Build, limit: int) -> list[DigestPart]:
    """The digest as one message if it fits in `limit` bytes, else as several that each fit.

    `build` renders a `DigestData` into a message. Items keep their order; each new item is in
    exactly one part. The subjects of several parts end "— Digest i of n".
    """
    whole = build(data)
    if size(whole) <= limit - HEADROOM or not data.items:
        return [DigestPart(whole, tuple(i.post_id for i in data.items))]
    groups = _groups(data, list(data.items), build, limit - HEADROOM, first=True)
    parts = []
    for n, (group, msg) in enumerate(groups, start=1):
        if len(groups) > 1:
            subject = str(msg["Subject"])
            del msg["Subject"]
            msg["Subject"] = f"{subject} — Digest {n} of {len(groups)}"
        parts.append(DigestPart(msg, tuple(i.post_id for i in group)))
    return parts


def _part(data: DigestData, items: Sequence[FlaggedItem], *, first: bool) -> DigestData:
    return replace(
        data,
        items=tuple(items),
        overdue=data.overdue if first else (),
        still_online=data.still_online if first else (),
    )


def _groups(
    data: DigestData, items: list[FlaggedItem], build: Build, limit: int, *, first: bool
) -> list[tuple[list[FlaggedItem], EmailMessage]]:
    """Halve until each group's message fits; an item alone that does not fit is summarised."""
    msg = build(_part(data, items, first=first))
    if size(msg) <= limit:
        return [(items, msg)]
    if len(items) == 1:
        alone = [summarised(items[0])]
        return [(alone, build(_part(data, alone, first=first)))]
    half = len(items) // 2
    return _groups(data, items[:half], build, limit, first=first) + _groups(
        data, items[half:], build, limit, first=False
    )
