"""A run stopped between sending the digest and marking it sent: the next run finishes it.

The stop is simulated by making the warehouse's `mark_digested` raise, once, as a kill at that
moment would leave things: the message delivered (outbox file written, SMTP server said 250),
its posts unmarked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.digest.conftest import Recorder, Server, _run
from tests.flows.conftest import write_config
from tests.warehouse.builders import flagged, make_post, store
from warehouse import Warehouse

SCHOOL = "fernhill-abbey"


class Killed(Exception):
    """The process stopping between sending and marking."""


def _warehouse(tmp_path: Path, n: int = 3) -> Warehouse:
    wh = Warehouse(tmp_path / "wh" / "schoolwatch.duckdb")
    posts = [
        make_post(i, school_id=SCHOOL, text=f"Fernhill Abbey Primary: Mr Ashdown is a thief ({i})")
        for i in range(1, n + 1)
    ]
    store(wh, [(p, flagged(p)) for p in posts])
    return wh


def _kill_before_marking(monkeypatch: pytest.MonkeyPatch) -> None:
    def killed(self, *args, **kwargs):
        raise Killed("stopped between sending and marking")

    monkeypatch.setattr(Warehouse, "mark_digested", killed)


def _undigested(wh: Warehouse) -> int:
    return wh.query("SELECT count(*) FROM flagged WHERE digested_at IS NULL")[1][0][0]


def _recorded(wh: Warehouse) -> int:
    return wh.query("SELECT count(*) FROM outgoing")[1][0][0]


def _stopped_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: Server | None = None):
    """A digest run stopped between sending and marking; returns the config and warehouse."""
    from flows.delivery import send_digest

    settings = f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\ntimeout_s = 5' if smtp else ""
    config = write_config(tmp_path, "http://127.0.0.1:9", smtp=settings)  # no smtp: the outbox
    wh = _warehouse(tmp_path)
    _kill_before_marking(monkeypatch)
    with pytest.raises(Killed):
        send_digest(config_path=str(config))
    monkeypatch.undo()
    return config, wh


@pytest.fixture
def smtp() -> Iterator[Server]:
    yield from _run(Recorder())


def test_outbox_message_sent_before_a_stop_is_not_written_again(
    prefect_harness, tmp_path, monkeypatch
):
    from flows.delivery import send_digest

    config, wh = _stopped_run(tmp_path, monkeypatch)
    [written] = list(tmp_path.rglob("*.eml"))
    assert _undigested(wh) == 3 and _recorded(wh) == 1

    second = send_digest(config_path=str(config))

    assert list(tmp_path.rglob("*.eml")) == [written], "nothing new in the outbox"
    assert _undigested(wh) == 0 and _recorded(wh) == 0
    assert second == {"delivered": [], "failed": []}
    send_digest(config_path=str(config))  # and the run after that sends nothing either
    assert list(tmp_path.rglob("*.eml")) == [written]


def test_a_recorded_message_missing_from_the_outbox_is_written_then(
    prefect_harness, tmp_path, monkeypatch
):
    from flows.delivery import send_digest

    config, wh = _stopped_run(tmp_path, monkeypatch)
    [lost] = list(tmp_path.rglob("*.eml"))
    message_id = wh.query("SELECT message_id FROM outgoing")[1][0][0]
    lost.unlink()  # as if the stop came before the file was renamed into place

    send_digest(config_path=str(config))

    [again] = list(tmp_path.rglob("*.eml"))
    assert message_id in again.read_text()
    assert _undigested(wh) == 0 and _recorded(wh) == 0


def test_smtp_message_sent_before_a_stop_is_sent_again_with_the_same_message_id(
    prefect_harness, tmp_path, monkeypatch, smtp: Server
):
    from flows.delivery import send_digest

    config, wh = _stopped_run(tmp_path, monkeypatch, smtp)
    [first] = smtp.handler.messages()

    second = send_digest(config_path=str(config))

    msgs = smtp.handler.messages()
    assert len(msgs) == 2, "the recorded message again, and no new digest"
    assert msgs[1]["Message-ID"] == first["Message-ID"]
    assert msgs[1]["Subject"] == first["Subject"]
    assert _undigested(wh) == 0 and _recorded(wh) == 0
    assert second == {"delivered": [], "failed": []}
    send_digest(config_path=str(config))
    assert len(smtp.handler.messages()) == 2


def test_a_recorded_message_the_server_still_refuses_holds_back_a_new_digest(
    prefect_harness, tmp_path, monkeypatch, smtp: Server
):
    from flows.delivery import send_digest

    config, wh = _stopped_run(tmp_path, monkeypatch, smtp)
    smtp.handler.mode = "refuse"

    result = send_digest(config_path=str(config))

    assert result["delivered"] == []
    [line] = result["failed"]
    assert "a message a stopped run sent" in line and "554" in line
    assert _undigested(wh) == 3 and _recorded(wh) == 1
    assert len(smtp.handler.received) == 1


def test_erasing_the_author_removes_their_text_from_recorded_messages(
    prefect_harness, tmp_path, monkeypatch
):
    _config, wh = _stopped_run(tmp_path, monkeypatch)
    assert _recorded(wh) == 1
    for (case_id,) in wh.query("SELECT case_id FROM cases")[1]:
        wh.close_case(case_id, "resolved with the parent", "Head")

    erased = wh.forget_author("ParentOfTwo")

    assert len(erased.erased) == 3
    assert _recorded(wh) == 0
