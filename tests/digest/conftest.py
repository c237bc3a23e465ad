"""Digest fixtures: plain `DigestData` values and real aiosmtpd servers on 127.0.0.1.

Everything is fictional: St Aldric's, Brackenford and its staff come from shared/eval.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

from analysis.ladder import respond_by
from schoolwatch.config import EmailConfig, SchoolConfig
from schoolwatch.models import DaySentiment, DigestData, Evidence, FlaggedItem, SourceHealth

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # Mon 23 Nov, 06:30 in London (GMT)


def ev(category: str, text: str, whole: str, reason: str = "") -> Evidence:
    start = whole.index(text)
    return Evidence(category, "text", start, start + len(text), text, reason)


def item(
    post_id: str,
    text: str,
    categories: tuple[str, ...],
    severity: str,
    rung: int,
    spans: tuple[str, ...] = (),
    **kw: object,
) -> FlaggedItem:
    values: dict[str, object] = dict(
        school_id="st-aldrics-brackenford",
        post_id=post_id,
        source_id="brackenford-parents-forum",
        url=f"https://forum.example/t/brackenford/{post_id}",
        author="brackenford_mum",
        title="",
        text=text,
        published_at=NOW - timedelta(hours=9),
        first_seen_at=NOW - timedelta(hours=8),
        sentiment=-0.6,
        categories=categories,
        severity=severity,
        rung=rung,
        evidence=tuple(ev(categories[0], s, text) for s in spans),
        case_id=f"case-{post_id}",
        case_status="open",
    )
    values.update(kw)
    if "respond_by" not in values:  # the ladder's rule, as the warehouse stores it
        seen = values["first_seen_at"]
        values["respond_by"] = respond_by(seen, severity=severity, rung=rung)  # type: ignore[arg-type]
    return FlaggedItem(**values)  # type: ignore[arg-type]


THREAT = "Someone should torch St Aldric's. Watch your back Mr Pemberton, I know your car."
THEFT = "Mr Haddon's been nicking stuff from the kids' pegs. Join the dots."
PILE_ON = "Everyone flood Mrs Shah's page and tell her what a lying snake she is."
COMPLAINT_1 = "Pickup at St Aldric's Brackenford is chaos again, nobody on the gate."
COMPLAINT_2 = "Still no reply from the office about the trip refund. Poor communication."
ABUSE = "Mrs Okafor slapped my son across the face on Thursday and they are hiding it."
ADDRESS = "Mrs Okafor lives at 9 Mill Street, go and tell her what you think."


def make_school() -> SchoolConfig:
    return SchoolConfig(
        id="st-aldrics-brackenford",
        name="St Aldric's C of E Primary School, Brackenford",
        digest_to=["head@school.example", "deputy@school.example"],
        alert_to=["dsl@school.example"],
    )


def make_items() -> tuple[FlaggedItem, ...]:
    return (
        item(
            "p-threat", THREAT, ("threat",), "critical", 6, ("torch St Aldric's", "Watch your back")
        ),
        item("p-theft", THEFT, ("defamation",), "high", 2, ("nicking stuff from the kids' pegs",)),
        item("p-pileon", PILE_ON, ("harassment",), "medium", 3, ("lying snake",)),
        item("p-c1", COMPLAINT_1, ("complaint",), "low", 1, ("chaos",)),
        item("p-c2", COMPLAINT_2, ("complaint",), "low", 1, ("Poor communication",)),
        item("p-abuse", ABUSE, ("defamation",), "high", 2, ("slapped my son",)),
        item("p-address", ADDRESS, ("personal_data",), "medium", 2, ("9 Mill Street",)),
    )


def history(days: int = 30, today_mentions: int = 3) -> tuple[DaySentiment, ...]:
    start = date(2026, 11, 23) - timedelta(days=days - 1)
    out = []
    for i in range(days):
        n = today_mentions if i == days - 1 else 2 + (i % 3)
        out.append(
            DaySentiment(
                (start + timedelta(days=i)).isoformat(), n, 0.1 - 0.02 * (i % 5), 0.2, i % 2
            )
        )
    return tuple(out)


def make_data(items: tuple[FlaggedItem, ...]) -> DigestData:
    overdue = item(
        "p-old",
        COMPLAINT_1,
        ("complaint",),
        "low",
        1,
        ("chaos",),
        respond_by=NOW - timedelta(hours=30),
        digested_at=NOW - timedelta(days=2),
    )
    return DigestData(
        school_id="st-aldrics-brackenford",
        school_name="St Aldric's C of E Primary School, Brackenford",
        generated_at=NOW,
        items=items,
        overdue=(overdue,),
        history=history(),
        sources=(
            SourceHealth("st-aldrics-brackenford", "news-search", NOW, "ok", None, 0, 4),
            SourceHealth(
                "st-aldrics-brackenford",
                "brackenford-parents-forum",
                NOW,
                "failed",
                "HTTP 503 from forum.example",
                3,
                0,
            ),
        ),
        new_mentions=len(items),
    )


@pytest.fixture
def school() -> SchoolConfig:
    return make_school()


@pytest.fixture
def items() -> tuple[FlaggedItem, ...]:
    return make_items()


@pytest.fixture
def data(items: tuple[FlaggedItem, ...]) -> DigestData:
    return make_data(items)


@pytest.fixture
def empty_data() -> DigestData:
    return DigestData(
        school_id="st-aldrics-brackenford",
        school_name="St Aldric's C of E Primary School, Brackenford",
        generated_at=NOW,
        items=(),
        history=history(),
        sources=(SourceHealth("st-aldrics-brackenford", "news-search", NOW, "ok", None, 0, 0),),
    )


# ---- SMTP ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps what it accepted (or refuses, or hangs up, on request)."""

    mode: str = "accept"  # "accept" | "refuse" | "drop"
    received: list[Envelope] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        if self.mode == "refuse":
            return "554 5.7.1 Message refused by policy"
        if self.mode == "drop":
            # the whole message was sent, but the server hangs up before saying 250
            server.transport.close()
            return "421 closing"
        self.received.append(envelope)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        """What was accepted, as a mail client reads it."""
        return [parse_message(e.original_content) for e in self.received]


def parse_message(raw: bytes | None) -> EmailMessage:
    """A message parsed with the modern policy (so `get_body` and `iter_parts` work)."""
    assert raw is not None, "no message content"
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def body_text(msg: EmailMessage, subtype: str = "plain") -> str:
    """The message's text/`subtype` body."""
    part = msg.get_body((subtype,))
    assert part is not None, f"no text/{subtype} body"
    return part.get_content()


@dataclass
class Server:
    handler: Recorder
    port: int
    ca: trustme.CA | None = None

    def config(self, **kw: object) -> EmailConfig:
        values: dict[str, object] = {
            "from": "schoolwatch@school.example",
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "timeout_s": 5,
        }
        values.update(kw)
        return EmailConfig.model_validate(values)

    def client_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        assert self.ca is not None
        self.ca.configure_trust(ctx)
        return ctx


def _run(handler: Recorder, **kw: Any) -> Iterator[Server]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kw)
    controller.start()
    try:
        yield Server(handler, port)
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[Server]:
    yield from _run(Recorder())


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


def _server_context(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    return ctx


@pytest.fixture
def smtp_starttls(ca: trustme.CA) -> Iterator[Server]:
    for server in _run(Recorder(), tls_context=_server_context(ca), require_starttls=True):
        server.ca = ca
        yield server


@pytest.fixture
def smtp_ssl(ca: trustme.CA) -> Iterator[Server]:
    for server in _run(Recorder(), ssl_context=_server_context(ca)):
        server.ca = ca
        yield server


USER, PASSWORD = "digest-bot", "correct horse battery staple"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and (auth_data.password == PASSWORD.encode())
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd replies 535


@pytest.fixture
def smtp_auth(ca: trustme.CA) -> Iterator[Server]:
    for server in _run(
        Recorder(),
        tls_context=_server_context(ca),
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
    ):
        server.ca = ca
        yield server


@pytest.fixture
def smtp_auth_plain() -> Iterator[Server]:
    """A local relay that takes AUTH without TLS (only on loopback would deliver allow it)."""
    yield from _run(
        Recorder(), authenticator=_authenticator, auth_required=True, auth_require_tls=False
    )
