"""MIME building and delivery against real aiosmtpd servers on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme

from digest.render import RenderedEmail, render_digest
from digest.send import build_message, clean_header, deliver
from schoolwatch.config import EmailConfig
from schoolwatch.errors import DeliveryError
from tests.digest.conftest import PASSWORD, USER, free_port, parse_message

SENDER = "schoolwatch@school.example"
TO = ["head@school.example", "dsl@school.example"]


def simple() -> RenderedEmail:
    return RenderedEmail(
        "St Aldric's: nothing needs action — Mon 23 Nov", "plain body\n", "<p>html body</p>"
    )


def test_message_has_text_html_and_a_related_inline_chart(data, school):
    msg = build_message(render_digest(data, school), SENDER, TO)
    back = parse_message(msg.as_bytes())
    assert back.get_content_type() == "multipart/alternative"
    text, related = back.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.iter_parts()
    assert html_part.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png"
    cid = image["Content-ID"].strip("<>")
    assert f"cid:{cid}" in html_part.get_content()
    assert image.get_content().startswith(b"\x89PNG")
    assert back["To"] == "head@school.example, dsl@school.example"
    assert back["From"] == SENDER
    assert back["Subject"].startswith("St Aldric's: 1 critical")
    assert "«nicking stuff from the kids' pegs»" in text.get_content()


def test_nothing_from_the_subject_can_add_a_header():
    rendered = RenderedEmail("Hello\r\nBcc: victim@example.org\nX-Evil: 1", "t", "<p>h</p>")
    back = parse_message(build_message(rendered, SENDER, TO).as_bytes())
    assert back["Bcc"] is None and back["X-Evil"] is None
    assert back["Subject"] == "Hello Bcc: victim@example.org X-Evil: 1"
    assert clean_header("a\u2028b\x00c") == "a b c"


@pytest.mark.parametrize(
    "bad", ["head@school.example\r\nBcc: x@y.z", "", "no-at-sign", "a@b.c, d@e.f"]
)
def test_bad_addresses_are_refused(bad):
    with pytest.raises(DeliveryError):
        build_message(simple(), SENDER, [bad])


def test_no_recipients_is_a_delivery_error():
    with pytest.raises(DeliveryError, match="no recipients"):
        build_message(simple(), SENDER, [])


def test_plain_smtp(smtp):
    where = deliver(build_message(simple(), SENDER, TO), smtp.config())
    assert where == f"SMTP 127.0.0.1:{smtp.port} (none)"
    (env,) = smtp.handler.received
    assert env.rcpt_tos == TO
    assert parse_message(env.original_content)["Subject"] == simple().subject


def test_starttls_with_a_trusted_self_signed_certificate(smtp_starttls):
    cfg = smtp_starttls.config(security="starttls")
    deliver(build_message(simple(), SENDER, TO), cfg, ssl_context=smtp_starttls.client_context())
    assert len(smtp_starttls.handler.received) == 1


def test_starttls_refuses_an_untrusted_certificate(smtp_starttls):
    cfg = smtp_starttls.config(security="starttls")
    with pytest.raises(DeliveryError, match="certificate not trusted"):
        deliver(build_message(simple(), SENDER, TO), cfg)  # system CAs do not know trustme's
    assert smtp_starttls.handler.received == []


def test_implicit_tls(smtp_ssl):
    cfg = smtp_ssl.config(security="ssl")
    deliver(build_message(simple(), SENDER, TO), cfg, ssl_context=smtp_ssl.client_context())
    assert len(smtp_ssl.handler.received) == 1


def test_auth_from_the_environment(smtp_auth):
    cfg = smtp_auth.config(
        security="starttls", username_env="SW_TEST_USER", password_env="SW_TEST_PASS"
    )
    env = {"SW_TEST_USER": USER, "SW_TEST_PASS": PASSWORD}
    deliver(
        build_message(simple(), SENDER, TO), cfg, env=env, ssl_context=smtp_auth.client_context()
    )
    assert len(smtp_auth.handler.received) == 1


def test_wrong_password_is_one_clear_line(smtp_auth):
    cfg = smtp_auth.config(security="starttls", username_env="U", password_env="P")
    with pytest.raises(DeliveryError) as err:
        deliver(
            build_message(simple(), SENDER, TO),
            cfg,
            env={"U": USER, "P": "wrong"},
            ssl_context=smtp_auth.client_context(),
        )
    line = str(err.value)
    assert line.startswith(f"SMTP 127.0.0.1:{smtp_auth.port} (starttls): server replied 535")
    assert "\n" not in line
    assert smtp_auth.handler.received == []


def test_missing_credentials_on_a_server_that_requires_auth(smtp_auth):
    cfg = smtp_auth.config(security="starttls", username_env="U", password_env="P")
    with pytest.raises(DeliveryError, match="530"):
        deliver(
            build_message(simple(), SENDER, TO), cfg, env={}, ssl_context=smtp_auth.client_context()
        )


def test_password_is_never_sent_in_clear_to_another_host():
    cfg = EmailConfig.model_validate({"smtp_host": "mail.school.example", "security": "none"})
    env = {cfg.username_env: USER, cfg.password_env: PASSWORD}
    with pytest.raises(DeliveryError, match="refusing to send the SMTP password unencrypted"):
        deliver(build_message(simple(), SENDER, TO), cfg, env=env)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_auth_on_a_plain_loopback_relay(smtp_auth_plain):
    cfg = smtp_auth_plain.config(username_env="U", password_env="P")
    deliver(build_message(simple(), SENDER, TO), cfg, env={"U": USER, "P": PASSWORD})
    assert len(smtp_auth_plain.handler.received) == 1


def test_server_refusing_the_message(smtp):
    smtp.handler.mode = "refuse"
    with pytest.raises(DeliveryError, match=r"server replied 554 5\.7\.1 Message refused"):
        deliver(build_message(simple(), SENDER, TO), smtp.config())


def test_server_dropping_the_connection_mid_data(smtp):
    smtp.handler.mode = "drop"
    with pytest.raises(DeliveryError, match="closed the connection"):
        deliver(build_message(simple(), SENDER, TO), smtp.config())
    assert smtp.handler.received == []


def test_nothing_listening():
    port = free_port()
    cfg = EmailConfig.model_validate({"smtp_host": "127.0.0.1", "smtp_port": port, "timeout_s": 2})
    with pytest.raises(DeliveryError) as err:
        deliver(build_message(simple(), SENDER, TO), cfg)
    assert str(err.value) == f"SMTP 127.0.0.1:{port} (none): connection refused"


def test_no_smtp_host_writes_an_eml_to_the_outbox(tmp_path: Path, data, school):
    cfg = EmailConfig.model_validate({"outbox": str(tmp_path / "outbox")})
    path = Path(deliver(build_message(render_digest(data, school), SENDER, TO), cfg))
    assert path.parent == tmp_path / "outbox"
    assert path.name.endswith(
        "Z-st-aldric-s-1-critical-2-safeguarding-2-need-action-1-overdue-2-complaints-mon-23-nov.eml"
    )
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    back = parse_message(path.read_bytes())
    assert back.get_content_type() == "multipart/alternative"


def test_outbox_that_cannot_be_written(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cfg = EmailConfig.model_validate({"outbox": str(blocker / "outbox")})
    with pytest.raises(DeliveryError, match="cannot write message"):
        deliver(build_message(simple(), SENDER, TO), cfg)


def test_trustme_is_the_ca_in_use(ca):
    assert isinstance(ca, trustme.CA)
