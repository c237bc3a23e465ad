"""Sign-in links over real SMTP (aiosmtpd on 127.0.0.1), and the limits on asking for them,
on a board of its own with the default limits: 3 links per address and 10 requests per
client in any quarter hour."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.digest.conftest import Recorder, body_text
from tests.web.conftest import Seeded, seed
from tests.web.support import (
    DSL,
    HEAD,
    LINK,
    board_process,
    free_port,
    request_link,
    use_link,
    wait_for,
)


@pytest.fixture(scope="module")
def smtp() -> Iterator[Recorder]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    recorder.port = controller.port  # type: ignore[attr-defined]
    try:
        yield recorder
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def mailing_board(smtp: Recorder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    email = f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\ntimeout_s = 5'  # type: ignore[attr-defined]
    seeded = seed(tmp_path_factory.mktemp("mailing"), email=email)
    with board_process(seeded.config) as process:
        seeded.url = process.wait()
        yield seeded


def _sent_to(smtp: Recorder, address: str) -> list[EmailMessage]:
    return [m for m in smtp.messages() if address in str(m["To"])]


def test_the_link_goes_by_smtp_and_signs_in(smtp: Recorder, mailing_board: Seeded):
    with httpx.Client(base_url=mailing_board.url) as client:
        assert request_link(client, mailing_board.url, HEAD).status_code == 200
        wait_for(lambda: _sent_to(smtp, HEAD))
        (msg,) = _sent_to(smtp, HEAD)
        assert msg["Subject"] == "Your sign-in link for the schoolwatch case board"
        text = body_text(msg)
        assert "works once, within 15 minutes" in text
        found = LINK.search(text)
        assert found is not None
        assert use_link(client, mailing_board.url, found.group(1)).status_code == 303
        assert client.get("/cases").status_code == 200
    assert not (mailing_board.outbox).exists()  # SMTP configured: nothing in an outbox


def test_asking_is_limited_per_address_and_per_client(smtp: Recorder, mailing_board: Seeded):
    # a client address of its own (all of 127.0.0.0/8 is this machine), so that the count does
    # not depend on which other tests of this module ran on this worker before it
    own = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=mailing_board.url, transport=own) as client:
        answers = [request_link(client, mailing_board.url, DSL) for _ in range(4)]
        assert [a.status_code for a in answers] == [200] * 4
        assert answers[3].text == answers[0].text  # the same answer, but no fourth mail
        wait_for(lambda: len(_sent_to(smtp, DSL)) >= 3)
        stranger = [
            request_link(client, mailing_board.url, "x@elsewhere.example") for _ in range(6)
        ]
        # 4 + 6 = 10 requests from this client: the next one must wait
        assert [a.status_code for a in stranger] == [200] * 6
        refused = request_link(client, mailing_board.url, HEAD)
        assert refused.status_code == 429 and "try again in 15 minutes" in refused.text
    assert len(_sent_to(smtp, DSL)) == 3
    assert _sent_to(smtp, "x@elsewhere.example") == []
