"""The digest and alert content: order, counts, plain words, one place per case, escaping."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.policy import rung_text
from digest.render import (
    digest_markdown,
    render_alert,
    render_digest,
    render_safeguarding,
    safe_url,
    short_name,
)
from digest.safeguarding import is_safeguarding
from digest.urgency import needs_alert
from tests.digest.conftest import (
    ABUSE,
    ADDRESS,
    COMPLAINT_1,
    NOW,
    THEFT,
    ev,
    history,
    item,
    make_school,
)

RAW_NAMES = ("report_and_hide", "head_meeting", "written_warning", "alert_to", "personal_data")


def test_subject_carries_the_counts_and_the_date(data, school):
    rendered = render_digest(data, school)
    # critical: threat; safeguarding: abuse + address; action: theft (2) and pile-on (3);
    # overdue: p-old; complaints: c1, c2
    assert rendered.subject == (
        "St Aldric's: 1 critical, 2 safeguarding, 2 need action, 1 overdue, 2 complaints"
        " — Mon 23 Nov"
    )


def test_no_zero_counts_anywhere(data, school, items):
    complaints_only = replace(data, items=items[3:5], overdue=())
    rendered = render_digest(complaints_only, school)
    assert rendered.subject == "St Aldric's: 2 complaints — Mon 23 Nov"
    for body in (rendered.text, rendered.html):
        assert not re.search(r"\b0 (critical|safeguarding|need|overdue|complaints)", body)
        assert "CRITICAL" not in body.upper().split("COMPLAINTS")[0]  # no empty sections


def test_quiet_day_subject_and_message(empty_data, school):
    rendered = render_digest(empty_data, school)
    assert rendered.subject == "St Aldric's: nothing needs action — Mon 23 Nov"
    assert "Nothing needs action today" in rendered.text
    assert "All 1 source working." in rendered.text
    assert "To record what you did" not in rendered.text
    assert rendered.images == ()  # the short message proves the run; no chart needed


def test_sections_come_in_policy_order(data, school):
    text = render_digest(data, school).text
    order = [
        "CRITICAL: THREATS (1)",
        "SAFEGUARDING: WITH THE DSL (2)",
        "MEETING WITH THE HEAD (RUNG 3) (1)",
        "REPORT AND HIDE (RUNG 2) (1)",
        "OVERDUE CASES (1)",
        "COMPLAINTS TO ANSWER (2)",
        "SUMMARY",
    ]
    positions = [text.index(h) for h in order]
    assert positions == sorted(positions)


def test_rungs_categories_and_roles_are_in_plain_words(data, school, items):
    for rendered in (
        render_digest(data, school),
        render_alert(items[0], school),
        render_safeguarding(items[6], school),
    ):
        for body in (rendered.text, rendered.html, rendered.subject):
            for raw in RAW_NAMES:
                assert raw not in body, (raw, rendered.subject)
    text = render_digest(data, school).text
    assert "Report and hide (rung 2)".upper() in text
    assert "designated safeguarding lead (DSL)" in text


def test_each_case_has_what_is_needed_to_act(data, school):
    rendered = render_digest(data, school, config_hint="/etc/schoolwatch.toml")
    text = rendered.text
    assert "* case-p-theft · Respond today by 22:30" in text
    assert "brackenford_mum on brackenford-parents-forum · Sun 22 Nov 21:30" in text
    assert "Mr Haddon's been «nicking stuff from the kids' pegs». Join the dots." in text
    assert "Link: https://forum.example/t/brackenford/p-theft" in text
    # the command to record an action is given once, not under every item
    assert text.count("schoolwatch cases action") == 1
    assert (
        'schoolwatch cases action CASE_ID --rung RUNG --note "..." --by "..." '
        "--config /etc/schoolwatch.toml" in text
    )
    # the policy's own words for the rung head its section
    assert rung_text(2).words in text
    assert (
        '<mark style="background:#ffe58a;color:#000;">nicking stuff from the kids&#39; pegs'
        in rendered.html
    )
    assert 'href="https://forum.example/t/brackenford/p-theft"' in rendered.html


@pytest.mark.parametrize(
    ("index", "label", "why"),
    [
        (0, "Respond now", "a critical threat"),
        (1, "Respond today by 22:30", "report and hide: 24 hours from Sunday 22:30"),
        (3, "Respond today by 17:00", "a complaint at the weekend: Monday 17:00"),
    ],
)
def test_respond_by_follows_the_rung_and_severity(data, school, items, index, label, why):
    one = replace(data, items=(items[index],), overdue=())
    assert f"{label}" in render_digest(one, school).text, why


def test_respond_by_a_later_day_and_overdue(data, school, items):
    later = replace(items[1], respond_by=NOW + timedelta(days=1, hours=3))
    late = replace(items[1], respond_by=NOW - timedelta(hours=3))
    assert (
        "Respond by Tue 24 Nov 09:30" in render_digest(replace(data, items=(later,)), school).text
    )
    assert "Overdue by 3 h" in render_digest(replace(data, items=(late,)), school).text
    # the overdue case in the fixture: 30 h past its time
    assert "case-p-old · Overdue by 1 d 6 h · Reply (rung 1)" in render_digest(data, school).text


def test_a_case_is_in_one_section_with_one_rung(data, school):
    abuse = item("p-rude", "Mrs Okafor is a useless cow", ("harassment",), "medium", 2, ("cow",))
    gripe = item(
        "p-gripe",
        COMPLAINT_1,
        ("complaint",),
        "low",
        1,
        ("chaos",),
        title="Pickup",
        published_at=NOW - timedelta(days=1),
    )
    same_case = [replace(i, case_id="C-000042") for i in (abuse, gripe)]
    overdue_too = replace(data.overdue[0], case_id="C-000042")
    rendered = render_digest(replace(data, items=tuple(same_case), overdue=(overdue_too,)), school)
    text = rendered.text
    assert text.count("C-000042") == 1
    assert "COMPLAINTS" not in text and "OVERDUE" not in text
    assert "REPORT AND HIDE (RUNG 2) (1)" in text
    assert "Also in this case: Sun 22 Nov 06:30 · Complaint · Pickup: Pickup at St" in text
    assert rendered.subject == "St Aldric's: 1 needs action — Mon 23 Nov"


def test_complaints_are_one_line_each_with_their_count(data, school, items):
    c1, c2 = items[3], items[4]
    second = replace(c1, post_id="p-c1b", published_at=NOW - timedelta(hours=2))
    text = render_digest(replace(data, items=(c1, second, c2), overdue=()), school).text
    lines = [line for line in text.splitlines() if line.startswith("* case-p-c")]
    assert len(lines) == 2
    assert "· 2 posts:" in lines[0] and "«chaos»" in lines[0]
    assert "Respond today by 17:00, all 2." in text


def test_highlights_fall_on_word_boundaries(data, school):
    text = "Three worksheets and a project every single weekend. £19.50 for a jumper!"
    cut = (ev("complaint", "every single week", text), ev("complaint", "50 for a jumper", text))
    one = item("p-cut", text, ("complaint",), "low", 1, evidence=cut)
    body = render_digest(replace(data, items=(one,), overdue=()), school).text
    assert "«every single weekend»" in body and "«£19.50 for a jumper»" in body


def test_safeguarding_items_show_only_their_case_in_the_digest(data, school):
    rendered = render_digest(data, school)
    for body in (rendered.text, rendered.html):
        assert "case-p-abuse" in body and "case-p-address" in body
        assert "slapped" not in body
        assert "Mill Street" not in body
    assert "Details are withheld from this digest." in rendered.text


def test_a_safeguarding_post_folded_under_another_case_stays_withheld(data, school, items):
    threat, address = items[0], replace(items[6], case_id="case-p-threat")
    text = render_digest(replace(data, items=(threat, address), overdue=()), school).text
    assert "Also in this case: Sun 22 Nov 21:30 · Personal data · a safeguarding post" in text
    assert "Mill Street" not in text


def test_a_threat_below_min_confidence_is_a_possible_threat(data, school, items):
    unsure = replace(items[0], confidence={"threat": 0.3})
    one = replace(data, items=(unsure,), overdue=())
    rendered = render_digest(one, school, min_confidence=0.5)
    text = rendered.text
    assert rendered.subject == "St Aldric's: 1 possible threat — Mon 23 Nov"
    assert "Check now: a possible threat" in text
    assert "POSSIBLE THREAT: PLEASE CHECK (1)" in text and "CRITICAL" not in text
    assert "The classifier is 30 % sure this is a threat: no alert was sent." in text
    assert "«torch St Aldric's»" in text  # the evidence is shown
    assert not needs_alert(unsure, 0.5)
    # the same post with a lower threshold is critical and alerted
    assert "CRITICAL: THREATS (1)" in render_digest(one, school, min_confidence=0.3).text
    assert needs_alert(unsure, 0.3)


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
    assert "«9 Mill Street»" in data_leak.text  # the DSL sees the details
    assert "personal data disclosed" in data_leak.subject


def test_alert_names_the_item_and_the_police_step(items, school):
    rendered = render_alert(items[0], school)
    assert rendered.subject == (
        "CRITICAL — St Aldric's: threat on brackenford-parents-forum, case case-p-threat"
    )
    assert "«torch St Aldric's»" in rendered.text and "«Watch your back»" in rendered.text
    assert "* case-p-threat · Respond now" in rendered.text
    assert "Call 999 if anyone is in danger now." in rendered.text
    assert f"Next step (Police, rung 6): {rung_text(6).words}" in rendered.text
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
    assert [i.post_id for i in items if needs_alert(i, 0.5)] == ["p-threat", "p-abuse", "p-address"]
    sure = replace(items[0], confidence={"threat": 0.5})
    assert needs_alert(sure, 0.5), "at the threshold is sure enough"
    unsure_but_safeguarding = replace(items[6], confidence={"personal_data": 0.1})
    assert needs_alert(unsure_but_safeguarding, 0.9), "the DSL gets safeguarding matters anyway"


def test_summary_counts_agree_with_each_other(data, school):
    text = render_digest(data, school).text
    week = sum(d.mentions for d in data.history[-7:])
    assert f"{len(data.items)} new mentions since the last digest." in text
    assert f"Flagged and listed above: {len(data.items)} posts in {len(data.items)} cases." in text
    assert f"Posted in the last 7 days: {week} mentions" in text
    assert "Today" not in text
    assert "1 of 2 sources working." in text
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


def test_markdown_has_a_respond_by_column_and_no_web_text(data, school):
    md = digest_markdown(data, school)
    assert "| section | case | respond by | next step | categories | source |" in md
    assert (
        "| Critical: threats | case-p-threat | Respond now | Police (rung 6) | Threat | "
        "brackenford-parents-forum |" in md
    )
    assert "| Overdue cases | case-p-old | Overdue by 1 d 6 h | Reply (rung 1) |" in md
    for web in ("torch", "slapped", "Mill Street", "brackenford_mum", "forum.example/t"):
        assert web not in md


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
    assert "javascript:" not in str(re.findall(r'href="([^"]*)"', html))
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


def test_times_are_shown_in_london_time(school, data):
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # BST: 13:00 in London
    one = item("p-summer", THEFT, ("defamation",), "high", 2, published_at=summer)
    rendered = render_digest(replace(data, items=(one,), overdue=()), school)
    assert "Wed 1 Jul 13:00" in rendered.text
    naive = item(
        "p-naive", THEFT, ("defamation",), "high", 2, published_at=datetime(2026, 7, 1, 12, 0)
    )  # naive means UTC
    assert "Wed 1 Jul 13:00" in render_digest(replace(data, items=(naive,)), school).text


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


def test_template_syntax_in_a_post_is_just_text(data, school):
    sly = item("p-sly", "St Aldric's {{ 7*7 }} {% raw %} chaos", ("complaint",), "low", 1)
    rendered = render_digest(replace(data, items=(sly,), overdue=()), school)
    assert "{{ 7*7 }} {% raw %}" in rendered.text and "{{ 7*7 }} {% raw %}" in rendered.html
    assert "49" not in rendered.text


def test_an_overdue_safeguarding_case_is_shown_by_its_id_alone(data, school, items):
    late = replace(items[6], respond_by=NOW - timedelta(hours=5))
    text = render_digest(replace(data, items=(), overdue=(late,)), school).text
    assert (
        "* case-p-address · Overdue by 5 h · Report and hide (rung 2) · safeguarding matter" in text
    )
    assert "Mill Street" not in text and "brackenford_mum" not in text


BOARD = "https://board.st-aldrics.example"


def test_with_a_case_board_every_case_links_to_its_page_and_no_command_is_shown(data, school):
    rendered = render_digest(data, school, config_hint="/etc/schoolwatch.toml", board_url=BOARD)
    case_ids = sorted({i.case_id for i in data.items})
    for case_id in case_ids:
        link = f"{BOARD}/cases/{case_id}"
        assert f"Open case {case_id}: {link}" in rendered.text
        assert (
            f'<a href="{link}" style="color:#1d4ed8;font-weight:bold;">Open case {case_id}</a>'
            in (rendered.html)
        )
    assert "schoolwatch cases action" not in rendered.text + rendered.html
    assert "open the case on the case board" in rendered.text

    without = render_digest(data, school, config_hint="/etc/schoolwatch.toml")
    assert "Open case" not in without.text + without.html
    assert without.text.count("schoolwatch cases action") == 1


def test_alerts_link_to_the_board_when_it_is_configured(items, school):
    abuse = item("p-abuse", ABUSE, ("defamation",), "high", 2, ("slapped my son",))
    for rendered, case_id in (
        (render_alert(items[0], school, board_url=BOARD + "/"), "case-p-threat"),
        (render_safeguarding(abuse, school, board_url=BOARD), "case-p-abuse"),
    ):
        assert f"Open case {case_id}: {BOARD}/cases/{case_id}" in rendered.text
        assert f'href="{BOARD}/cases/{case_id}"' in rendered.html
        assert "schoolwatch cases action" not in rendered.text + rendered.html
        assert "Record an action" not in rendered.text + rendered.html
    plain = render_alert(items[0], school)
    assert "Record an action: schoolwatch cases action case-p-threat" in plain.text
    assert "Open case" not in plain.text + plain.html
