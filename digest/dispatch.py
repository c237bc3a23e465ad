"""Render, build and deliver a school's digest or alerts; report which posts went out.

This is where a delivery failure becomes a recorded error instead of a crashed run: the flow
marks only the returned post ids as digested/alerted, so anything not delivered is sent by the
next run. No warehouse or Prefect imports: the flow passes plain values in and marks rows after.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from typing import Protocol, TextIO
from zoneinfo import ZoneInfo

from digest.render import (
    RenderedEmail,
    digest_markdown,
    render_alert,
    render_digest,
    render_safeguarding,
)
from digest.safeguarding import is_safeguarding
from digest.send import build_message, deliver
from digest.split import split_digest
from digest.urgency import needs_alert
from schoolwatch.config import EmailConfig, SchoolConfig
from schoolwatch.errors import DeliveryError
from schoolwatch.models import DigestData, FlaggedItem

log = logging.getLogger(__name__)
LONDON = ZoneInfo("Europe/London")


class Journal(Protocol):
    """Where a digest message is recorded just before it is sent, with the posts it carries,
    so that a run stopped between sending and marking can be finished by the next one."""

    def record(self, message: EmailMessage, post_ids: tuple[str, ...]) -> None: ...

    def drop(self, message_id: str) -> None:
        """The message was not accepted: forget it (its posts go in the next digest)."""


@dataclass(frozen=True, slots=True)
class DigestOutcome:
    """What happened to one school's digest.

    `post_ids` are the items to mark digested: those in messages the server accepted (none on a
    dry run or a skip; on a failure, those of the parts of a split digest sent before it).
    """

    school_id: str
    status: str  # "sent" | "skipped" (nothing new, send_empty false) | "dry_run" | "failed"
    subject: str = ""
    where: str = ""  # where it went ("smtp://…", an outbox file); "" unless delivered or printed
    post_ids: tuple[str, ...] = ()
    error: str | None = None
    markdown: str = ""  # a summary without any text from the web, e.g. for a Prefect artifact
    message_ids: tuple[str, ...] = ()  # the Message-IDs of the messages accepted


@dataclass(frozen=True, slots=True)
class AlertOutcome:
    """What happened to a run's alerts: delivered post ids (to mark alerted) and failures."""

    school_id: str
    delivered: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()  # (post_id, error line)
    skipped: tuple[str, ...] = ()  # not to alert (see `needs_alert`), or already alerted
    where: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[str, ...]:
        """One line per failed alert: `<post_id>: <why>`."""
        return tuple(f"{post_id}: {why}" for post_id, why in self.failed)


def send_school_digest(
    data: DigestData,
    school: SchoolConfig,
    email_cfg: EmailConfig,
    *,
    min_confidence: float,
    dry_run: bool = False,
    out: TextIO | None = None,
    config_hint: str = "schoolwatch.toml",
    journal: Journal | None = None,
    board_url: str | None = None,
) -> DigestOutcome:
    """Render and send one school's digest to `digest_to`; never raises `DeliveryError`.

    With nothing new, a digest goes at most once a day: the overdue cases and the reported posts
    still online, or (unless
    `send_empty = false`) a "nothing needs action" message. `dry_run`
    prints its headers and text to `out` (default stdout) and marks nothing. Threats below
    `min_confidence` are listed as possible threats to check. Each message is recorded in
    `journal` before it is sent, and dropped from it if it was not accepted. With
    `board_url` each case links to its page on the case board.
    """
    if not data.items and not _reminder_due(data, school):
        return DigestOutcome(school.id, "skipped")
    rendered = render_digest(
        data, school, config_hint=config_hint, min_confidence=min_confidence, board_url=board_url
    )
    summary = digest_markdown(data, school, min_confidence=min_confidence)
    try:
        if dry_run:
            msg = build_message(rendered, email_cfg.from_, school.digest_to)
            _print(msg, rendered, out or sys.stdout)
            return DigestOutcome(
                school.id, "dry_run", rendered.subject, "printed (dry run)", markdown=summary
            )

        def build(part: DigestData) -> EmailMessage:
            if part is data:
                return build_message(rendered, email_cfg.from_, school.digest_to)
            again = render_digest(
                part,
                school,
                config_hint=config_hint,
                min_confidence=min_confidence,
                board_url=board_url,
            )
            return build_message(again, email_cfg.from_, school.digest_to)

        parts = split_digest(data, build, email_cfg.max_message_bytes)
    except DeliveryError as e:
        log.warning("digest for %s not sent: %s", school.id, e)
        return DigestOutcome(school.id, "failed", rendered.subject, error=str(e), markdown=summary)
    sent: list[str] = []
    wheres: list[str] = []
    message_ids: list[str] = []
    for n, part in enumerate(parts, start=1):
        message_id = str(part.message["Message-ID"])
        if journal is not None:
            journal.record(part.message, part.post_ids)
        try:
            wheres.append(deliver(part.message, email_cfg))
        except DeliveryError as e:
            if journal is not None:
                journal.drop(message_id)
            which = f" (message {n} of {len(parts)})" if len(parts) > 1 else ""
            log.warning("digest for %s not sent%s: %s", school.id, which, e)
            return DigestOutcome(
                school.id,
                "failed",
                rendered.subject,
                "; ".join(wheres),
                tuple(sent),
                error=f"{e}{which}",
                markdown=summary,
                message_ids=tuple(message_ids),
            )
        sent.extend(part.post_ids)
        message_ids.append(message_id)
    log.info("digest for %s sent via %s (%d items)", school.id, wheres[0], len(sent))
    where = wheres[0] if len(wheres) == 1 else f"{wheres[0]} (+{len(wheres) - 1} more)"
    return DigestOutcome(
        school.id,
        "sent",
        rendered.subject,
        where,
        tuple(sent),
        markdown=summary,
        message_ids=tuple(message_ids),
    )


def _reminder_due(data: DigestData, school: SchoolConfig) -> bool:
    """Whether a digest with nothing new goes out: at most one a day (London time), listing
    the overdue cases and reported posts still online, or saying "nothing needs action" to
    prove the monitor ran."""
    if not (data.overdue or data.still_online or school.send_empty):
        return False
    if data.last_digest_at is None:
        return True
    return _london_day(data.last_digest_at) != _london_day(data.generated_at)


def _london_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def _print(msg: EmailMessage, rendered: RenderedEmail, out: TextIO) -> None:
    """What a dry run shows: the headers and the text part, not kilobytes of base64."""
    for name in ("From", "To", "Subject"):
        out.write(f"{name}: {msg[name]}\n")
    out.write(
        f"({msg.get_content_type()}: text, HTML {len(rendered.html) // 1024} kB, "
        f"{len(rendered.images)} inline image(s))\n\n"
    )
    out.write(rendered.text)
    out.write("\n")


def _alert_one(
    item: FlaggedItem,
    school: SchoolConfig,
    email_cfg: EmailConfig,
    config_hint: str,
    min_confidence: float,
    board_url: str | None = None,
) -> str:
    if is_safeguarding(item):
        # Details go only to the DSL: never fall back to the wider digest list.
        render, recipients = render_safeguarding, school.alert_to
    else:
        render, recipients = render_alert, school.alert_to or school.digest_to
    rendered = render(
        item, school, config_hint=config_hint, min_confidence=min_confidence, board_url=board_url
    )
    if not recipients:
        raise DeliveryError(f"school {school.id}: no alert_to configured")
    return deliver(build_message(rendered, email_cfg.from_, recipients), email_cfg)


def send_alerts(
    items: tuple[FlaggedItem, ...] | list[FlaggedItem],
    school: SchoolConfig,
    email_cfg: EmailConfig,
    *,
    min_confidence: float,
    config_hint: str = "schoolwatch.toml",
    board_url: str | None = None,
) -> AlertOutcome:
    """Send one immediate alert per critical or safeguarding item not yet alerted.

    Critical items go to `alert_to` (or `digest_to` when no `alert_to` is set), except threats
    the classifier is less than `min_confidence` sure of: those wait for the digest, as
    possible threats to check. Safeguarding items, with their full details and the LADO note,
    go only to `alert_to`. A failed alert is recorded and the others are still tried; the flow
    marks only `delivered` as alerted.
    """
    delivered: list[str] = []
    failed: list[tuple[str, str]] = []
    skipped: list[str] = []
    where: list[str] = []
    for item in items:
        if item.alerted_at is not None or not needs_alert(item, min_confidence):
            skipped.append(item.post_id)
            continue
        try:
            where.append(
                _alert_one(item, school, email_cfg, config_hint, min_confidence, board_url)
            )
        except DeliveryError as e:
            log.warning("alert for %s (%s) not sent: %s", item.post_id, school.id, e)
            failed.append((item.post_id, str(e)))
            continue
        delivered.append(item.post_id)
    return AlertOutcome(school.id, tuple(delivered), tuple(failed), tuple(skipped), tuple(where))
