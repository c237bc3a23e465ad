"""The digest's "Still online 48 hours after you reported them" section."""

from __future__ import annotations

import html
import io
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from digest.dispatch import send_school_digest
from digest.render import digest_markdown, html_for_browser, render_digest
from schoolwatch.config import EmailConfig
from schoolwatch.models import DigestData, StillOnline
from tests.digest.conftest import ABUSE, NOW, THEFT, item
from tests.digest.test_browser import CHROMIUM, HARNESS, PHONE_WIDTH, chromium

TITLE = "Still online 48 hours after you reported them"
HOSTILE = "Mr Haddon <script>alert(1)</script> nicks from the kids' pegs & lies"


def still_online(post_id: str, text: str, category: str = "defamation", **kw) -> StillOnline:
    spans = ("nicks from the kids' pegs",) if "nicks" in text else ()
    posted = NOW - timedelta(days=4)
    values: dict = dict(
        item=item(
            post_id,
            text,
            (category,),
            "high",
            2,
            spans,
            published_at=posted,
            first_seen_at=posted + timedelta(hours=1),
        ),
        reported_at=NOW - timedelta(days=3, hours=2),
        reported_rung=2,
        seen_online_at=NOW - timedelta(hours=1),
        checked_at=NOW - timedelta(hours=1),
        status="still_online",
        reason="still on the page",
    )
    values.update(kw)
    return StillOnline(**values)


@pytest.fixture
def reported() -> tuple[StillOnline, ...]:
    return (
        still_online("p-hostile", HOSTILE),
        still_online("p-theft", THEFT, status="unknown", reason="HTTP 503 Service Unavailable"),
        still_online("p-abuse", ABUSE),  # alleges staff harmed a child: for the DSL only
    )


def test_the_section_lists_each_reported_post_with_its_report_and_last_sighting(
    data: DigestData, school, reported
):
    rendered = render_digest(replace(data, still_online=reported), school)
    for part in (rendered.text, rendered.html):
        assert f"{TITLE} (3)" in part or f"{TITLE.upper()} (3)" in part
        assert "Reported Fri 20 Nov 04:30 (rung 2, Report and hide)" in part
        assert "still online Mon 23 Nov 05:30" in part
        assert "could not tell: HTTP 503 Service Unavailable" in part
    assert "3 still online after report" in rendered.subject
    # after the cases, before the summary
    html = rendered.html
    assert html.index("Overdue cases") < html.index(TITLE) < html.index(">Summary<")
    # web text stays text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<a href="https://forum.example/t/brackenford/p-hostile"' in html


def test_a_safeguarding_post_still_online_is_shown_only_by_its_case(
    data: DigestData, school, reported
):
    rendered = render_digest(replace(data, still_online=reported), school)
    for part in (rendered.text, rendered.html):
        assert "slapped" not in part  # not in the section, nor anywhere in the SLT digest
    assert rendered.text.count("case-p-abuse") >= 1
    section = rendered.text[rendered.text.index(TITLE.upper()) :]
    assert "* case-p-abuse · safeguarding matter on brackenford-parents-forum" in section


def test_no_section_when_nothing_is_still_online(data: DigestData, school):
    rendered = render_digest(data, school)
    assert TITLE not in rendered.html and TITLE.upper() not in rendered.text
    assert "still online" not in rendered.subject


def test_a_post_still_online_sends_a_digest_on_a_day_with_nothing_new(
    empty_data: DigestData, school, tmp_path
):
    quiet = school.model_copy(update={"send_empty": False})
    email = EmailConfig.model_validate({"from": "sw@school.example", "outbox": str(tmp_path)})
    skipped = send_school_digest(empty_data, quiet, email, min_confidence=0.5, dry_run=True)
    assert skipped.status == "skipped"

    one = (still_online("p-hostile", HOSTILE),)
    out = io.StringIO()
    listed = replace(empty_data, still_online=one)
    outcome = send_school_digest(listed, quiet, email, min_confidence=0.5, dry_run=True, out=out)
    assert outcome.status == "dry_run"
    assert outcome.subject.startswith("St Aldric's: 1 still online after report — ")
    assert "Action needed" in out.getvalue()
    assert TITLE.upper() in out.getvalue()
    assert "Nothing needs action" not in out.getvalue()


def test_the_markdown_summary_counts_them(data: DigestData, school, reported):
    md = digest_markdown(replace(data, still_online=reported), school)
    assert "Still online 48 hours after the report: 3." in md
    assert "slapped" not in md and "Haddon" not in md  # no web text in the summary


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed")
def test_the_section_fits_a_phone(tmp_path: Path, data: DigestData, school, reported):
    long_one = still_online(
        "p-long",
        "Supercalifragilistic" * 8 + " nicks from the kids' pegs",
        status="unknown",
        reason="timed out after 20.0s fetching https://forum.example/t/" + "very-long-path-" * 20,
    )
    long_one = replace(
        long_one, item=replace(long_one.item, url="https://forum.example/" + "x" * 300)
    )
    rendered = render_digest(replace(data, still_online=(*reported, long_one)), school)
    page = html.escape(html_for_browser(rendered), quote=True)
    harness = tmp_path / "harness.html"
    harness.write_text(HARNESS.format(width=PHONE_WIDTH, page=page), encoding="utf-8")
    dom = chromium(tmp_path, "--window-size=800,1000", "--dump-dom", harness.as_uri()).stdout
    found = re.search(r'data-measure="(\d+)x(\d+)x\d+"', dom)
    assert found, "the measuring script did not run"
    scroll_width, inner_width = map(int, found.groups())
    assert inner_width == PHONE_WIDTH
    assert scroll_width <= PHONE_WIDTH, f"page is {scroll_width}px wide on a {PHONE_WIDTH}px phone"
