"""Whole runs against a real SMTP server on 127.0.0.1: immediate alerts, exactly-once digests."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator

import duckdb
import pytest
from pytest_httpserver import HTTPServer

from tests.digest.conftest import Recorder, Server, _run
from tests.flows.conftest import serve_site, write_config


def _smtp(port: int) -> str:
    return f'smtp_host = "127.0.0.1"\nsmtp_port = {port}\ntimeout_s = 5'


def _subjects(recorder: Recorder) -> list[str]:
    msgs = [
        email.message_from_bytes(e.content, policy=email.policy.default) for e in recorder.received
    ]
    return [" ".join(str(m["Subject"]).split()) for m in msgs]


@pytest.fixture
def smtp_server() -> Iterator[Server]:
    yield from _run(Recorder(mode="refuse"))


def test_refused_digest_is_sent_by_the_next_run(
    prefect_harness, httpserver: HTTPServer, smtp_server: Server, tmp_path
):
    from flows.daily import daily_monitor

    base = serve_site(httpserver)
    server, recorder = smtp_server, smtp_server.handler
    config = write_config(tmp_path, base, smtp=_smtp(server.port))

    first = daily_monitor(config_path=str(config))  # SMTP refuses everything: the run completes
    db = tmp_path / "wh" / "schoolwatch.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM flagged WHERE digested_at IS NOT NULL").fetchone() == (
        0,
    )
    assert con.execute("SELECT count(*) FROM flagged").fetchone()[0] >= 2
    con.close()
    assert first["alerts_sent"] == 0 and first["digests"] == []

    recorder.mode = "accept"
    second = daily_monitor(config_path=str(config))
    subjects = _subjects(recorder)
    assert second["alerts_sent"] == 1  # the threat, now, once
    assert any(s.startswith("CRITICAL") for s in subjects)
    assert any("1 critical" in s for s in subjects), subjects

    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM flagged WHERE digested_at IS NULL").fetchone() == (0,)
    con.close()

    third = daily_monitor(config_path=str(config))  # nothing new: nothing sent again today
    assert third["alerts_sent"] == 0 and third["digests"] == []
    assert len(recorder.received) == len(subjects)
