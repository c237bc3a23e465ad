"""The demo's own digest, built stage by stage without Prefect, checked at a phone's width.

With SCHOOLWATCH_WRITE_DOCS=1 the screenshot becomes docs/digest.png (the README's picture).
"""

from __future__ import annotations

import html
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

import sources
from analysis.assess import assess_posts
from digest.render import html_for_browser, render_digest
from digest.urgency import needs_alert
from flows.demo import serve_site, write_config
from schoolwatch.config import load_config
from sources.http import HttpClient
from tests.digest.test_browser import CHROMIUM, HARNESS, PHONE_WIDTH, chromium
from warehouse import Warehouse

DOCS_PNG = Path(__file__).resolve().parents[2] / "docs" / "digest.png"


@pytest.fixture(scope="module")
def demo_digest(tmp_path_factory):
    """The demo's data through sources -> analysis -> warehouse -> digest, as plain calls."""
    directory = tmp_path_factory.mktemp("demo")
    with serve_site() as host:
        cfg = load_config(write_config(directory, host))
        (school,) = cfg.schools
        with HttpClient(cfg.http) as client:
            results = [sources.fetch(school.id, s, client) for s in school.sources]
    posts = [p for r in results for p in r.posts]
    assessments = assess_posts(posts, {school.id: school})
    wh = Warehouse(cfg.warehouse.path)
    wh.store_run("demo", datetime.now(UTC), results, assessments, posts=posts)
    threshold = cfg.alerts.min_confidence
    alerted = [i.post_id for i in wh.pending_alerts(school.id) if needs_alert(i, threshold)]
    wh.mark_alerted(school.id, alerted, school.alert_to, datetime.now(UTC))  # as the run does
    data = wh.digest_data(school.id, school.name, datetime.now(UTC))
    return render_digest(data, school, min_confidence=threshold), data


def test_demo_digest_has_every_section_the_sample_data_calls_for(demo_digest):
    rendered, data = demo_digest
    text = rendered.text
    severities = {i.severity for i in data.items}
    assert "critical" in severities, "the sample forum has a threat against the head"
    for heading in ("CRITICAL", "SAFEGUARDING", "POLICE (RUNG 6)", "COMPLAINTS TO ANSWER"):
        assert heading in text, heading
    assert re.search(r"\d+ critical", rendered.subject)
    assert rendered.images and 'src="cid:' in rendered.html, "the 30-day chart is inline"
    assert "not monitored" in text.lower() or "cannot see" in text.lower()
    # the post about the other St Osric's (Catholic Academy, Dunmere) is not in the digest
    assert "Catholic Academy" not in text


def test_demo_digest_reads_right(demo_digest):
    """What a head reading the demo digest on a phone found wrong, each checked."""
    rendered, data = demo_digest
    text = rendered.text
    for body in (text, rendered.html, rendered.subject):
        for raw in ("report_and_hide", "head_meeting", "alert_to", "personal_data"):
            assert raw not in body, raw
        assert not re.search(r"\b0 (critical|safeguarding|need|overdue|complaints)", body)
    # the threat is to be acted on now, the others by their own times
    assert "Respond now" in text.split("SAFEGUARDING")[0]
    labels = set(
        re.findall(r"Respond (?:now|today by \d\d:\d\d|by \w{3} \d+ \w{3} \d\d:\d\d)", text)
    )
    assert len(labels) >= 3, labels
    # highlights on word boundaries
    assert "£19.«" not in text and "week»end" not in text
    # each case once, and no "Today: 0 mentions" beside the new mentions
    cases = {i.case_id for i in data.items}
    for case_id in cases:
        assert len(re.findall(rf"\b{case_id}\b", text)) == 1, case_id
    assert "Today" not in text
    assert f"{data.new_mentions} new mentions since the last digest" in text
    assert f"{len(data.items)} posts in {len(cases)} cases" in text


@pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (apt-get install chromium)"
)
def test_demo_digest_fits_a_phone(demo_digest, tmp_path):
    rendered, _ = demo_digest
    harness = tmp_path / "harness.html"
    page = html.escape(html_for_browser(rendered), quote=True)
    harness.write_text(HARNESS.format(width=PHONE_WIDTH, page=page), encoding="utf-8")
    dom = chromium(tmp_path, "--window-size=800,1000", "--dump-dom", harness.as_uri()).stdout
    found = re.search(r'data-measure="(\d+)x(\d+)x(\d+)"', dom)
    assert found, "the measuring script did not run"
    scroll_width, inner_width, height = map(int, found.groups())
    assert inner_width == PHONE_WIDTH
    assert scroll_width <= PHONE_WIDTH, (
        f"digest is {scroll_width}px wide on a {PHONE_WIDTH}px phone"
    )
    # about three screens of a 390 x 844 phone (it was over seven)
    assert height <= 3000, f"digest is {height}px long on a phone ({height / 844:.1f} screens)"

    page_file = tmp_path / "digest.html"
    page_file.write_text(html_for_browser(rendered), encoding="utf-8")
    shot = tmp_path / "digest.png"
    chromium(
        tmp_path,
        f"--window-size={PHONE_WIDTH},{height}",
        f"--screenshot={shot}",
        page_file.as_uri(),
    )
    assert shot.read_bytes().startswith(b"\x89PNG")
    if os.environ.get("SCHOOLWATCH_WRITE_DOCS") == "1":
        DOCS_PNG.write_bytes(shot.read_bytes())
