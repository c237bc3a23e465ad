"""The digest and alert content: order, counts, highlighting, safeguarding, escaping."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.policy import rung_text
from digest.render import render_alert, render_digest, render_safeguarding, safe_url, short_name
from digest.safeguarding import is_safeguarding, needs_alert
from tests.digest.conftest import ABUSE, ADDRESS, NOW, THEFT, ev, history, item, make_school


def test_subject_carries_counts_and_date(data, school):
    rendered = render_digest(data, school)
    # critical: threat; safeguarding: abuse + address; action: theft (2) and pile-on (3);
    # overdue: p-old; complaints: c1, c2
    assert rendered.subject == (
        "St Aldric's: 1 critical, 2 safeguarding, 2 need action, 1 overdue, 2 complaints"
        " — Mon 23 Nov"
    )


def test_quiet_day_subject_and_message(empty_data, school):
    rendered = render_digest(empty_data, school)
    assert rendered.subject == "St Aldric's: nothing needs action — Mon 23 Nov"
    assert "Nothing needs action today." in rendered.text
    assert "Sources: 1 of 1 working." in rendered.text
    assert rendered.images == ()  # the short message proves the run; no chart needed


def test_sections_come_in_policy_order(data, school):
    text = render_digest(data, school).text
    order = [
        "CRITICAL",
        "SAFEGUARDING",
        "NEEDS ACTION: RUNG 3",
        "NEEDS ACTION: RUNG 2",
        "OVERDUE CASES",
        "COMPLAINTS TO ANSWER WITHIN 24 H",
        "SUMMARY",
    ]
    positions = [text.index(h) for h in order]
    assert positions == sorted(positions)


def test_each_item_has_everything_needed_to_act(data, school):
    rendered = render_digest(data, school, config_hint="/etc/schoolwatch.toml")
    text = rendered.text
    assert "brackenford-parents-forum · brackenford_mum · Sun 22 Nov 21:30" in text
    assert "Mr Haddon's been «nicking stuff from the kids' pegs». Join the dots." in text
    assert "Categories: defamation (high)" in text
    assert "Recommended: rung 2 (report_and_hide)" in text
    assert "Case: case-p-theft" in text
    assert "Link: https://forum.example/t/brackenford/p-theft" in text
    assert (
        'schoolwatch cases action case-p-theft --rung 2 --note "..." --by "..." '
        "--config /etc/schoolwatch.toml" in text
    )
    # the policy's own words for the rung head the group
    assert rung_text(2).words in text
    assert (
        '<mark style="background:#ffe58a;color:#000;">nicking stuff from the kids&#x27; pegs'
        in rendered.html
    )
    assert 'href="https://forum.example/t/brackenford/p-theft"' in rendered.html


def test_times_are_shown_in_london_time(school, data):
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # BST: 13:00 in London
    one = item("p-summer", THEFT, ("defamation",), "high", 2, published_at=summer)
    rendered = render_digest(replace(data, items=(one,), overdue=()), school)
    assert "Wed 1 Jul 13:00" in rendered.text
    naive = item(
        "p-naive", THEFT, ("defamation",), "high", 2, published_at=datetime(2026, 7, 1, 12, 0)
    )  # naive means UTC
    assert "Wed 1 Jul 13:00" in render_digest(replace(data, items=(naive,)), school).text


def test_safeguarding_items_show_only_their_case_in_the_digest(data, school):
    rendered = render_digest(data, school)
    for body in (rendered.text, rendered.html):
        assert "case-p-abuse" in body and "case-p-address" in body
        assert "slapped" not in body
        assert "Mill Street" not in body
    assert "Details are withheld from this digest." in rendered.text


def test_safeguarding_message_goes_with_the_lado_note(school):
    abuse = item("p-abuse", ABUSE, ("defamation",), "high", 2, ("slapped my son",))
    rendered = render_safeguarding(abuse, school)
    assert (
        rendered.subject
        == "SAFEGUARDING — St Aldric's: allegation against staff, case case-p-abuse"
    )
    assert "Local Authority Designated Officer (LADO)" in rendered.text
    assert "«slapped my son»" in rendered.text
    data_leak = render_safeguarding(
        item("p-address", ADDRESS, ("personal_data",), "medium", 2, ("9 Mill Street",)), school
    )
    assert "Data Protection Officer" in data_leak.text
    assert "personal data disclosed" in data_leak.subject


def test_alert_names_the_item_and_the_police_step(items, school):
    rendered = render_alert(items[0], school)
    assert rendered.subject == (
        "CRITICAL — St Aldric's: threat on brackenford-parents-forum, case case-p-threat"
    )
    assert "«torch St Aldric's»" in rendered.text and "«Watch your back»" in rendered.text
    assert rung_text(6).words in rendered.text
    assert "schoolwatch cases action case-p-threat --rung 6" in rendered.text


@pytest.mark.parametrize(
    ("text", "categories", "expected", "why"),
    [
        (ABUSE, ("defamation",), True, "a named teacher hit a child"),
        (
            "Mrs Okafor locks kids in the stock cupboard as a punishment.",
            ("defamation",),
            True,
            "abuse that is not a blow",
        ),
        (THEFT, ("defamation",), False, "theft from children is not harm to a child"),
        ("Mr Haddon pinched the kids' dinner money.", ("defamation",), False, "theft again"),
        (
            "Mrs Humphreys pinches the little ones to keep them quiet.",
            ("defamation",),
            True,
            "pinching children is harm",
        ),
        ("Mrs Okafor was drunk at parents' evening.", ("defamation",), False, "no child harmed"),
        (ADDRESS, ("personal_data",), True, "a home address"),
        (
            "He'll get what's coming to him, I'll hit him myself",
            ("threat",),
            False,
            "a threat, not an allegation: SLT must see it",
        ),
        (
            "Mr Haddon hit a 6 year old in the dinner hall.",
            ("complaint",),
            False,
            "the classifier did not call it an assertion of fact",
        ),
    ],
)
def test_is_safeguarding(text, categories, expected, why):
    flagged = item("p", text, categories, "high", 2)
    assert is_safeguarding(flagged) is expected, why


def test_a_classifier_reason_can_say_safeguarding():
    text = "Mr Haddon is not safe to be around."
    flagged = item("p", text, ("defamation",), "high", 2, ("not safe",))
    assert not is_safeguarding(flagged)
    why = ev("defamation", "not safe", text, "alleges abuse of a pupil by staff")
    assert is_safeguarding(replace(flagged, evidence=(why,)))


def test_needs_alert(items):
    assert [i.post_id for i in items if needs_alert(i)] == ["p-threat", "p-abuse", "p-address"]


def test_summary_compares_with_the_30_day_average(data, school):
    text = render_digest(data, school).text
    assert (
        "Today (Mon 23 Nov): 3 mentions, mean sentiment +0.02. 30-day average: 3.0 mentions" in text
    )
    assert (
        "Failing: brackenford-parents-forum: HTTP 503 from forum.example (3 failures in a row"
        in text
    )
    assert "Not monitored: closed groups, private messages" in text


def test_chart_is_inline_and_referenced_by_cid(data, school):
    rendered = render_digest(data, school)
    ((cid, png),) = rendered.images
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert f'src="cid:{cid}"' in rendered.html


def test_spike_warning_is_shown(data, school):
    text = render_digest(replace(data, history=history(today_mentions=40)), school).text
    assert "Spike: 40 mentions today" in text


HOSTILE_TEXT = 'Read this <script>alert("x")</script> <img src=x onerror=alert(1)> & more'


def test_web_strings_are_escaped_and_links_only_http(school, data):
    hostile = item(
        "p-evil",
        HOSTILE_TEXT,
        ("defamation",),
        "high",
        2,
        ("<script>",),
        author='Evil" onmouseover="alert(1)\r\nBcc: victim@example.org',
        title="<b>Title</b>\r\nX-Injected: yes",
        url="javascript:alert(document.cookie)",
    )
    rendered = render_digest(replace(data, items=(hostile,), overdue=()), school)
    html = rendered.html
    assert "<script" not in html and "<img src=x" not in html and "<b>Title" not in html
    assert "&lt;script&gt;" in html
    assert 'onmouseover="' not in html
    assert "javascript:" not in re.findall(r'href="([^"]*)"', html).__str__()
    assert "Link not shown (not http/https): javascript:alert(document.cookie)" in html
    # the author is shown on one line; it cannot start a new line in the text part either
    assert "\nBcc:" not in rendered.text and "\nX-Injected" not in rendered.text
    assert "\r" not in rendered.subject and "\n" not in rendered.subject


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://forum.example/t/1", True),
        ("HTTP://forum.example/", True),
        ("javascript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("java\nscript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("//forum.example/x", False),
        ("https:///nohost", False),
        ("https://forum.example/a b", False),
    ],
)
def test_safe_url(url, ok):
    assert safe_url(url) is ok


def test_short_name(school):
    assert short_name(school) == "St Aldric's"
    other = school.model_copy(update={"name": "Quayside Academy"})
    assert short_name(other) == "Quayside"
    odd = school.model_copy(update={"name": "Academy"})
    assert short_name(odd) == "Academy"


def test_now_constant_is_a_monday():
    assert NOW.strftime("%a %d %b") == "Mon 23 Nov"


_tag = st.sampled_from(
    [
        "<script>",
        "<img src=x onerror=alert(1)>",
        '"><a href="javascript:x">',
        "</div>",
        "\r\nBcc: a@b.c",
        "\u202e",
    ]
)


@settings(max_examples=60, deadline=None)
@given(
    text=st.lists(st.one_of(st.text(max_size=30), _tag), max_size=6).map("".join),
    author=st.lists(st.one_of(st.text(max_size=10), _tag), max_size=3).map("".join),
)
def test_any_web_text_stays_inert(text, author):
    school = make_school()
    hostile = item("p-h", text, ("threat",), "critical", 6, author=author, title=author)
    rendered = render_alert(hostile, school)
    html = rendered.html
    assert "<script" not in html and "<img" not in html
    assert re.findall(r"<a\b[^>]*>", html) == [
        '<a href="https://forum.example/t/brackenford/p-h" style="color:#1d4ed8;">'
    ]
    assert html.count("<div") == html.count("</div>")
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
