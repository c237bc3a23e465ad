"""Immediate alerts and the `send-digest` flow.

Delivery is at-least-attempted, exactly-once-marked: the warehouse marks an item alerted or
digested only after the SMTP server (or the outbox) accepted the message, so a failed send
leaves it for the next run. Each digest message is recorded (Message-ID, posts, bytes) before it
is sent, so a run stopped between sending and marking is finished by the next run, not repeated.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

import digest
from schoolwatch.config import Config, SchoolConfig, load_config
from schoolwatch.errors import DeliveryError
from warehouse import Warehouse
from warehouse.outgoing import Outgoing


def send_alerts_for(
    cfg: Config, warehouse: Warehouse, school: SchoolConfig, config_hint: str = "schoolwatch.toml"
) -> tuple[int, list[str]]:
    """Send critical and safeguarding items to `alert_to` now, once each.

    Returns how many were sent, and one line per alert that was not (to be tried next run).

    Threats the classifier is less sure of than `alerts.min_confidence` are not alerted: the
    digest lists them as possible threats to check.
    """
    logger = get_run_logger()
    items = warehouse.pending_alerts(school.id)
    if not items:
        return 0, []
    threshold = cfg.alerts.min_confidence
    outcome = digest.send_alerts(
        items,
        school,
        cfg.email,
        min_confidence=threshold,
        config_hint=config_hint,
        board_url=cfg.web.base_url,
    )
    held = [i.post_id for i in items if digest.is_possible_threat(i, threshold)]
    if held:
        logger.warning(
            "%s: %d possible threat(s) below the alert threshold %.2f, for the digest: %s",
            school.id,
            len(held),
            threshold,
            ", ".join(held),
        )
    if outcome.delivered:
        recipients = school.alert_to or school.digest_to
        warehouse.mark_alerted(school.id, list(outcome.delivered), recipients, datetime.now(UTC))
    failed = []
    for post_id, error in outcome.failed:
        logger.error("alert for %s post %s not delivered: %s", school.id, post_id, error)
        failed.append(f"alert for {school.id} post {post_id}: {error}")
    return len(outcome.delivered), failed


class _Journal:
    """Digest messages recorded in the warehouse just before they are sent."""

    def __init__(self, warehouse: Warehouse, school: SchoolConfig) -> None:
        self.warehouse, self.school = warehouse, school

    def record(self, message: EmailMessage, post_ids: tuple[str, ...]) -> None:
        self.warehouse.record_outgoing(
            Outgoing(
                message_id=str(message["Message-ID"]),
                school_id=self.school.id,
                kind="digest",
                post_ids=post_ids,
                recipients=tuple(self.school.digest_to),
                message=message.as_bytes(),
            )
        )

    def drop(self, message_id: str) -> None:
        self.warehouse.forget_outgoing([message_id])


def finish_stopped_digests(cfg: Config, warehouse: Warehouse, school: SchoolConfig) -> list[str]:
    """Finish digest messages a stopped run sent but did not mark; returns what still failed.

    A message the outbox already holds is only marked. Over SMTP there is no asking the server
    what it accepted, so the recorded bytes are sent again, with the same Message-ID: mail
    clients show a message with a Message-ID they already have once.
    """
    logger = get_run_logger()
    failed = []
    for message in warehouse.pending_outgoing(school.id, "digest"):
        where = (
            None
            if cfg.email.smtp_host
            else digest.find_in_outbox(message.message_id, cfg.email.outbox)
        )
        try:
            where = where or digest.deliver(digest.message_from(message.message), cfg.email)
        except DeliveryError as e:
            logger.error("digest for %s not delivered again: %s", school.id, e)
            failed.append(f"digest for {school.id} (a message a stopped run sent): {e}")
            continue
        warehouse.mark_digested(
            school.id,
            list(message.post_ids),
            datetime.now(UTC),
            message.recipients,
            [message.message_id],
        )
        logger.warning(
            "digest message %s for %s was sent by a run that stopped before marking it; "
            "now marked (%d posts): %s",
            message.message_id,
            school.id,
            len(message.post_ids),
            where,
        )
    return failed


@flow(name="send-digest", log_prints=True)
def send_digest(
    config_path: str = "schoolwatch.toml", dry_run: bool = False, school_id: str | None = None
) -> dict[str, list[str]]:
    """Email each school's digest of what has not been sent yet; mark what was accepted sent.

    Returns `{"delivered": [where each digest went], "failed": [one line per school whose
    digest, or part of it, was not delivered]}`. What was not delivered stays unmarked, so the
    next run sends it.
    """
    logger = get_run_logger()
    cfg = load_config(config_path)
    warehouse = Warehouse.from_config(cfg.warehouse, on_wait=logger.warning)
    schools = [cfg.school(school_id)] if school_id else cfg.schools
    delivered_to: list[str] = []
    failed: list[str] = []
    for school in schools:
        if not dry_run:
            unfinished = finish_stopped_digests(cfg, warehouse, school)
            if unfinished:  # its posts wait for that message: a new digest would repeat them
                failed.extend(unfinished)
                continue
        now = datetime.now(UTC)
        data = warehouse.digest_data(school.id, school.name, now)
        outcome = digest.send_school_digest(
            data,
            school,
            cfg.email,
            min_confidence=cfg.alerts.min_confidence,
            dry_run=dry_run,
            config_hint=config_path,
            journal=_Journal(warehouse, school),
            board_url=cfg.web.base_url,
        )
        # a split digest may fail part-way: the parts accepted are marked all the same
        if outcome.status == "sent" or outcome.post_ids:
            warehouse.mark_digested(
                school.id, list(outcome.post_ids), now, school.digest_to, outcome.message_ids
            )
        if outcome.status == "failed":
            logger.error("digest for %s not delivered: %s", school.id, outcome.error)
            failed.append(f"digest for {school.id}: {outcome.error}")
            continue
        if outcome.status != "sent":
            logger.info("digest for %s: %s", school.id, outcome.status.replace("_", " "))
            continue
        create_markdown_artifact(
            key=f"digest-{school.id}",
            markdown=outcome.markdown or f"## {outcome.subject}",
            description=outcome.subject,
        )
        logger.info("digest for %s: %s", school.id, outcome.where)
        delivered_to.append(outcome.where)
    return {"delivered": delivered_to, "failed": failed}
