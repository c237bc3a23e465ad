"""send_school_digest / send_alerts: which posts count as delivered, against a real server."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from digest.dispatch import send_alerts, send_school_digest
from schoolwatch.config import EmailConfig
from tests.digest.conftest import NOW, body_text, item


def test_digest_delivered_returns_every_new_post(smtp, data, school):
    outcome = send_school_digest(data, school, smtp.config(), min_confidence=0.5)
    assert outcome.status == "sent"
    assert outcome.post_ids == tuple(i.post_id for i in data.items)
    assert (
        "| Critical: threats | case-p-threat | Respond now | Police (rung 6) | Threat | "
        "brackenford-parents-forum |" in outcome.markdown
    )
    assert "slapped" not in outcome.markdown and "torch" not in outcome.markdown
    assert "p-old" not in outcome.post_ids  # overdue cases were digested before
    (msg,) = smtp.handler.messages()
    assert msg["To"] == "head@school.example, deputy@school.example"
    assert msg["Subject"] == outcome.subject


def test_failed_send_marks_nothing_and_the_next_run_sends(smtp, data, school, caplog):
    for mode in ("refuse", "drop"):
        smtp.handler.mode = mode
        failed = send_school_digest(data, school, smtp.config(), min_confidence=0.5)
        assert failed.status == "failed" and failed.post_ids == ()
        assert f"127.0.0.1:{smtp.port}" in (failed.error or "")
        assert "not sent" in caplog.text
    assert smtp.handler.received == []
    smtp.handler.mode = "accept"  # the next run: the same undigested items
    again = send_school_digest(data, school, smtp.config(), min_confidence=0.5)
    assert again.status == "sent" and len(again.post_ids) == len(data.items)
    assert len(smtp.handler.received) == 1


def test_send_empty_false_sends_nothing_when_nothing_is_new(smtp, empty_data, school):
    quiet = school.model_copy(update={"send_empty": False})
    assert (
        send_school_digest(empty_data, quiet, smtp.config(), min_confidence=0.5).status == "skipped"
    )
    assert smtp.handler.received == []


def test_send_empty_true_proves_the_monitor_ran(smtp, empty_data, school):
    outcome = send_school_digest(empty_data, school, smtp.config(), min_confidence=0.5)
    assert outcome.status == "sent" and outcome.post_ids == ()
    (msg,) = smtp.handler.messages()
    assert msg["Subject"] == "St Aldric's: nothing needs action — Mon 23 Nov"
    assert "Nothing needs action today" in body_text(msg)


def test_empty_digest_goes_at_most_once_a_day(smtp, empty_data, school):
    """A second run on the same (London) day with nothing new sends nothing."""
    sent_today = replace(empty_data, last_digest_at=NOW - timedelta(hours=2))
    assert (
        send_school_digest(sent_today, school, smtp.config(), min_confidence=0.5).status
        == "skipped"
    )
    sent_yesterday = replace(empty_data, last_digest_at=NOW - timedelta(days=1))
    assert (
        send_school_digest(sent_yesterday, school, smtp.config(), min_confidence=0.5).status
        == "sent"
    )
    assert len(smtp.handler.received) == 1


def test_overdue_cases_are_sent_even_with_send_empty_false(smtp, data, school):
    quiet = school.model_copy(update={"send_empty": False})
    outcome = send_school_digest(replace(data, items=()), quiet, smtp.config(), min_confidence=0.5)
    assert outcome.status == "sent" and outcome.post_ids == ()


def test_dry_run_prints_and_marks_nothing(smtp, data, school):
    out = io.StringIO()
    outcome = send_school_digest(
        data, school, smtp.config(), min_confidence=0.5, dry_run=True, out=out
    )
    assert outcome.status == "dry_run" and outcome.post_ids == ()
    assert "Subject: St Aldric's: 1 critical" in out.getvalue()
    assert "(multipart/alternative: text, HTML" in out.getvalue()
    assert "«nicking stuff from the kids' pegs»" in out.getvalue()
    assert smtp.handler.received == []


def test_no_smtp_host_goes_to_the_outbox(tmp_path: Path, data, school):
    cfg = EmailConfig.model_validate({"outbox": str(tmp_path)})
    outcome = send_school_digest(data, school, cfg, min_confidence=0.5)
    assert outcome.status == "sent"
    assert outcome.where is not None and Path(outcome.where).read_bytes().startswith(b"Subject")


def test_alerts_go_once_each_to_alert_to(smtp, items, school):
    outcome = send_alerts(items, school, smtp.config(), min_confidence=0.5)
    # critical threat, and the two safeguarding items; the rest wait for the digest
    assert outcome.delivered == ("p-threat", "p-abuse", "p-address")
    assert set(outcome.skipped) == {"p-theft", "p-pileon", "p-c1", "p-c2"}
    msgs = smtp.handler.messages()
    assert [m["To"] for m in msgs] == ["dsl@school.example"] * 3
    assert msgs[0]["Subject"].startswith("CRITICAL — St Aldric's: threat")
    assert msgs[1]["Subject"].startswith("SAFEGUARDING — St Aldric's: allegation against staff")
    assert "LADO" in body_text(msgs[1])
    already = [replace(i, alerted_at=NOW) for i in items]
    assert send_alerts(already, school, smtp.config(), min_confidence=0.5).delivered == ()
    assert len(smtp.handler.received) == 3


def test_a_failed_alert_is_recorded_and_retried_next_run(smtp, items, school):
    smtp.handler.mode = "refuse"
    outcome = send_alerts(items[:1], school, smtp.config(), min_confidence=0.5)
    assert outcome.delivered == () and outcome.failed[0][0] == "p-threat"
    assert outcome.errors[0].startswith(f"p-threat: SMTP 127.0.0.1:{smtp.port} (none): server")
    assert "554" in outcome.failed[0][1]
    smtp.handler.mode = "accept"
    assert send_alerts(items[:1], school, smtp.config(), min_confidence=0.5).delivered == (
        "p-threat",
    )


def test_safeguarding_details_never_fall_back_to_the_digest_list(smtp, items, school):
    no_dsl = school.model_copy(update={"alert_to": []})
    outcome = send_alerts(items, no_dsl, smtp.config(), min_confidence=0.5)
    assert outcome.delivered == ("p-threat",)  # critical falls back to digest_to
    assert {p for p, _ in outcome.failed} == {"p-abuse", "p-address"}
    assert [m["To"] for m in smtp.handler.messages()] == [
        "head@school.example, deputy@school.example"
    ]


def test_hostile_post_cannot_add_headers_to_an_alert(smtp, school):
    evil = item(
        "p-evil",
        "Watch your back <script>x</script>",
        ("threat",),
        "critical",
        6,
        ("Watch your back",),
        author="x\r\nBcc: victim@example.org",
        title="t\r\nX-Evil: 1",
        source_id="forum\r\nX-Src: 1",
    )
    send_alerts([evil], school, smtp.config(), min_confidence=0.5)
    (env,) = smtp.handler.received
    assert env.rcpt_tos == ["dsl@school.example"]
    (msg,) = smtp.handler.messages()
    assert msg["Bcc"] is None and msg["X-Evil"] is None and msg["X-Src"] is None
    html = body_text(msg, "html")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_a_threat_below_min_confidence_is_not_alerted_but_listed(smtp, data, items, school):
    unsure = replace(items[0], confidence={"threat": 0.2})
    outcome = send_alerts([unsure], school, smtp.config(), min_confidence=0.5)
    assert (outcome.delivered, outcome.skipped) == ((), ("p-threat",))
    assert smtp.handler.received == []
    digest = send_school_digest(
        replace(data, items=(unsure,), overdue=()), school, smtp.config(), min_confidence=0.5
    )
    assert digest.post_ids == ("p-threat",)
    (msg,) = smtp.handler.messages()
    assert msg["Subject"] == "St Aldric's: 1 possible threat — Mon 23 Nov"
    body = body_text(msg)
    assert "POSSIBLE THREAT: PLEASE CHECK" in body and "«Watch your back»" in body


def test_overdue_cases_alone_are_sent_at_most_once_a_day(smtp, data, school):
    reminder = replace(data, items=(), last_digest_at=NOW - timedelta(hours=1))
    assert send_school_digest(reminder, school, smtp.config(), min_confidence=0.5).status == (
        "skipped"
    )
    yesterday = replace(reminder, last_digest_at=NOW - timedelta(days=1))
    outcome = send_school_digest(yesterday, school, smtp.config(), min_confidence=0.5)
    assert outcome.status == "sent" and "1 overdue" in outcome.subject
