"""Turning a rendered email into a MIME message and handing it to SMTP (or the outbox).

The only place schoolwatch talks SMTP. Headers are built from config values and the rendered
subject only, with CR/LF and other control characters removed, so nothing from a post can add
a header. Every failure becomes one `DeliveryError` line naming host, port and what went wrong.
"""

from __future__ import annotations

import ipaddress
import os
import re
import smtplib
import socket
import ssl
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path

from digest.render import RenderedEmail
from schoolwatch.config import EmailConfig
from schoolwatch.errors import DeliveryError

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def clean_header(value: str, *, limit: int = 200) -> str:
    """A header value on one line: control characters (CR, LF, …) replaced by a space."""
    out = re.sub(r" {2,}", " ", _CONTROL.sub(" ", value)).strip()
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _address(addr: str) -> str:
    if not addr or _CONTROL.search(addr) or "@" not in addr or any(c in addr for c in "<>,; "):
        raise DeliveryError(f"not a usable email address: {addr!r}")
    return addr


def build_message(rendered: RenderedEmail, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """multipart/alternative: the text, and the HTML with its inline images (multipart/related).

    `sender` and `recipients` come from the config; the subject is cleaned of CR/LF.
    """
    if not recipients:
        raise DeliveryError("no recipients configured for this message")
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = clean_header(rendered.subject)
    msg["From"] = _address(sender)
    msg["To"] = ", ".join(_address(r) for r in recipients)
    msg["Date"] = format_datetime(datetime.now(UTC))
    domain = sender.rpartition("@")[2] or "schoolwatch.invalid"
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    if rendered.images:
        _text_part, html_part = msg.iter_parts()
        for cid, png in rendered.images:
            html_part.add_related(
                png, maintype="image", subtype="png", cid=f"<{cid}>", filename=f"{cid}.png"
            )
    return msg


def _slug(subject: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", subject.lower()).strip("-")
    if len(slug) > 90:  # cut at a word boundary: "…-1-overdue", not "…-1-overdu"
        slug = slug[:91].rsplit("-", 1)[0]
    return slug or "message"


def _write_outbox(msg: EmailMessage, outbox: Path) -> str:
    """Write `<outbox>/<timestamp>-<slug>.eml` atomically: a temporary file, then a rename."""
    try:
        outbox.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = outbox / f"{stamp}-{_slug(str(msg['Subject'] or ''))}.eml"
        fd, tmp = tempfile.mkstemp(dir=outbox, prefix=".", suffix=".eml.tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(msg.as_bytes())
        os.replace(tmp, target)
    except OSError as e:
        raise DeliveryError(f"outbox {outbox}: cannot write message: {e}") from None
    return str(target)


def find_in_outbox(message_id: str, outbox: Path) -> str | None:
    """The outbox file holding the message with this Message-ID header, if there is one."""
    if not outbox.is_dir():
        return None
    for path in sorted(outbox.glob("*.eml")):
        try:
            with path.open("rb") as fh:
                headers = BytesHeaderParser(policy=SMTP).parse(fh)
        except OSError:
            continue
        if str(headers.get("Message-ID", "")).strip() == message_id:
            return str(path)
    return None


def message_from(raw: bytes) -> EmailMessage:
    """A message as recorded (its bytes), to send again unchanged: same Message-ID."""
    msg = BytesParser(_class=EmailMessage, policy=SMTP).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _connect(cfg: EmailConfig, context: ssl.SSLContext) -> smtplib.SMTP:
    host = cfg.smtp_host or "localhost"
    if cfg.security == "ssl":
        return smtplib.SMTP_SSL(host, cfg.smtp_port, timeout=cfg.timeout_s, context=context)
    smtp = smtplib.SMTP(host, cfg.smtp_port, timeout=cfg.timeout_s)
    if cfg.security == "starttls":
        smtp.starttls(context=context)
    return smtp


def _what(e: BaseException) -> str:
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(
            f"{a} ({c} {m.decode(errors='replace')})" for a, (c, m) in e.recipients.items()
        )
        return f"all recipients refused: {refused}"
    if isinstance(e, smtplib.SMTPResponseException):
        said = e.smtp_error
        if isinstance(said, bytes):
            said = said.decode(errors="replace")
        return f"server replied {e.smtp_code} {said}"
    if isinstance(e, smtplib.SMTPServerDisconnected):
        return f"server closed the connection ({e or 'no reason given'})"
    if isinstance(e, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {e.verify_message}"
    if isinstance(e, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(e, ConnectionRefusedError):
        return "connection refused"
    return f"{type(e).__name__}: {e}"


def deliver(
    msg: EmailMessage,
    cfg: EmailConfig,
    *,
    env: Mapping[str, str] = os.environ,
    ssl_context: ssl.SSLContext | None = None,
) -> str:
    """Send `msg`; return where it went (`smtp host:port` or the .eml path).

    No `smtp_host`: the message is written to `cfg.outbox`. `security` is none, starttls or
    ssl; AUTH happens when the variables named by `username_env` and `password_env` are both
    set in `env`. Returning means the server accepted the message for at least one recipient;
    any failure raises `DeliveryError`.
    """
    if not cfg.smtp_host:
        return _write_outbox(msg, cfg.outbox)
    where = f"SMTP {cfg.smtp_host}:{cfg.smtp_port} ({cfg.security})"
    user, password = env.get(cfg.username_env), env.get(cfg.password_env)
    if user and password and cfg.security == "none" and not _loopback(cfg.smtp_host):
        raise DeliveryError(
            f"{where}: refusing to send the SMTP password unencrypted; "
            'set security = "starttls" or "ssl"'
        )
    context = ssl_context or ssl.create_default_context()
    try:
        with _connect(cfg, context) as smtp:
            if user and password:
                smtp.login(user, password)
            refused = smtp.send_message(msg)
    except (smtplib.SMTPException, OSError) as e:
        raise DeliveryError(f"{where}: {_what(e)}") from None
    if refused:
        return f"{where}; refused: {', '.join(sorted(refused))}"
    return where
