"""The sign-in email: a one-time link, sent through the configured SMTP server (or written to
the outbox when none is configured, as in the demo)."""

from __future__ import annotations

import sys

from digest.render import RenderedEmail
from digest.send import build_message, deliver
from schoolwatch.config import EmailConfig
from schoolwatch.errors import DeliveryError
from web.pages import render

LINK_MINUTES = 15


def sign_in_email(link: str) -> RenderedEmail:
    """Subject, text and HTML of the message carrying `link`."""
    values = {"link": link, "minutes": LINK_MINUTES}
    return RenderedEmail(
        subject="Your sign-in link for the schoolwatch case board",
        text=render("mail/sign_in.txt", values, html=False),
        html=render("mail/sign_in.html", values),
    )


def send_sign_in(cfg: EmailConfig, to: str, link: str) -> None:
    """Send the link; a failure is one line on stderr (the page already gave its answer).

    With no SMTP server configured (the demo) the message goes to the outbox, and the board's
    console shows the link too: whoever sees that console can read the outbox anyway."""
    try:
        where = deliver(build_message(sign_in_email(link), cfg.from_, [to]), cfg)
    except DeliveryError as e:
        print(f"schoolwatch web: sign-in link for {to} not sent: {e}", file=sys.stderr, flush=True)
        return
    if not cfg.smtp_host:
        print(
            f"schoolwatch web: no SMTP server: sign-in link for {to}: {link} (in {where})",
            flush=True,
        )
