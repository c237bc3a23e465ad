"""The defamation notice of complaint: every field regulation 2 asks for, pre-filled from the
case where the case knows it, blank where SLT must say it."""

from __future__ import annotations

from datetime import timedelta

from tests.warehouse.builders import T0, flagged, make_assessment, make_post, store
from warehouse.notice import BLANK, defamation_notice, is_defamation_case

TEXT = "Mr Pemberton at St Aldric's <b>took</b> the PTA money & hid it"


def _detail(wh):
    post = make_post(1, author="Concerned", text=TEXT, title="PTA")
    store(wh, [(post, flagged(post))])
    other = make_post(2, author="Concerned", text="St Aldric's Brackenford is rubbish",
                      fetched_at=T0 + timedelta(hours=1))  # fmt: skip
    store(wh, [(other, make_assessment(other, categories=("complaint",), severity="low",
                                       rung=1))], run_id="run-2")  # fmt: skip
    return post, wh.case_detail("C-000001")


def test_the_notice_has_every_field_of_regulation_2_and_the_48_hour_clock(wh):
    post, detail = _detail(wh)
    assert is_defamation_case(detail)
    text = defamation_notice(detail, "St Aldric's C of E Primary School").text
    for field in (
        f"Complainant's name: {BLANK}",
        f"Email address at which the complainant can be contacted: {BLANK}",
        "The statement complained of, and where on the website it was posted:",
        "The meaning the complainant attributes to the statement",
        f"(a) factually inaccurate: {BLANK}",
        f"(b) opinions not supported by fact: {BLANK}",
        'I confirm that I do not have sufficient information about the poster ("Concerned")',
        "my name:           [ ] yes  [ ] no",
        "my email address:  [ ] yes  [ ] no",
        "it has 48 hours to pass it to the poster",
    ):
        assert field in text, field
    # pre-filled from the case: the statement, where it is, the site, when it was seen
    assert "To: the operator of forum.example" in text
    assert f"Address: {post.url}" in text
    assert f'Words: "{TEXT}"' in text
    assert 'In particular: "Mr Pembert"' in text  # the evidence span
    assert "first seen Wednesday 5 March 2025 at 10:00 (UK time)" in text
    assert "From: St Aldric's C of E Primary School (schoolwatch case C-000001)" in text
    # only the defamation post is the statement complained of
    assert "is rubbish" not in text and "Statement 2" not in text


def test_the_html_notice_keeps_the_post_as_text(wh):
    _, detail = _detail(wh)
    page = defamation_notice(detail).html
    assert "&lt;b&gt;took&lt;/b&gt; the PTA money &amp; hid it" in page
    assert "<b>took</b>" not in page
    assert "48 hours" in page and "Complainant's name" in page


def test_a_case_without_defamation_is_not_a_defamation_case(wh):
    post = make_post(3, author="Grumpy", text="St Aldric's Brackenford is rubbish")
    store(wh, [(post, make_assessment(post, categories=("complaint",), severity="low", rung=1))])
    assert not is_defamation_case(wh.case_detail("C-000001"))
