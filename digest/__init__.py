"""Digest emails, immediate alerts and their delivery (docs/contract.md §8).

render_digest / render_alert / render_safeguarding  ->  RenderedEmail  (pure)
build_message(rendered, sender, recipients)         ->  EmailMessage
deliver(msg, email_cfg)                             ->  where it went, or DeliveryError
find_in_outbox / message_from                       ->  finishing a digest a stopped run sent
send_school_digest / send_alerts                    ->  which post ids were delivered
"""

from digest.chart import sentiment_chart, spike
from digest.dispatch import (
    AlertOutcome,
    DigestOutcome,
    Journal,
    send_alerts,
    send_school_digest,
)
from digest.render import (
    RenderedEmail,
    digest_markdown,
    html_for_browser,
    record_command,
    render_alert,
    render_digest,
    render_safeguarding,
)
from digest.safeguarding import is_safeguarding
from digest.send import build_message, deliver, find_in_outbox, message_from
from digest.urgency import is_possible_threat, needs_alert

__all__ = [
    "AlertOutcome",
    "DigestOutcome",
    "Journal",
    "RenderedEmail",
    "build_message",
    "deliver",
    "digest_markdown",
    "find_in_outbox",
    "html_for_browser",
    "is_possible_threat",
    "is_safeguarding",
    "message_from",
    "needs_alert",
    "record_command",
    "render_alert",
    "render_digest",
    "render_safeguarding",
    "send_alerts",
    "send_school_digest",
    "sentiment_chart",
    "spike",
]
