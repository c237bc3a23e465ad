"""store_run: posts once, edits as versions, assessments on change, the views' rows."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.warehouse.builders import (
    SCHOOL,
    SOURCE,
    T0,
    count,
    flagged,
    make_assessment,
    make_post,
    make_result,
    store,
)
from warehouse import StoreSummary
from warehouse.store import site_of

ROW_TABLES = ("posts", "post_contents", "assessments", "cases", "case_posts")


def _counts(wh):
    return {t: count(wh, t) for t in ROW_TABLES}


def test_storing_the_same_run_twice_adds_nothing(wh):
    a, b = make_post(1), make_post(2, author="Concerned", text="St Aldric's Brackenford liars")
    pairs = [(a, make_assessment(a)), (b, flagged(b))]
    first = store(wh, pairs)
    assert first == StoreSummary(
        new_posts=2, new_versions=0, new_assessments=2, new_flagged=1, cases_opened=1, fetches=1
    )
    before = _counts(wh)
    again = store(wh, pairs)
    later = store(wh, pairs, run_id="run-2", fetched_at=T0 + timedelta(hours=6))
    assert again == StoreSummary(fetches=0)
    assert later == StoreSummary(fetches=1)
    assert _counts(wh) == before == {
        "posts": 2, "post_contents": 2, "assessments": 2, "cases": 1, "case_posts": 1,
    }  # fmt: skip
    assert count(wh, "fetches") == 2


def test_only_posts_that_mention_the_school_are_stored(wh):
    a, b = make_post(1), make_post(2, text="A school in another town")
    store(wh, [(a, make_assessment(a)), (b, make_assessment(b, mentions=False))])
    assert wh.query("SELECT post_id FROM posts")[1] == [("p1",)]


def test_edit_becomes_version_2_beside_version_1(wh):
    v1 = make_post(1, text="St Aldric's Brackenford was fine today.")
    store(wh, [(v1, make_assessment(v1))])
    later = T0 + timedelta(days=1)
    v2 = replace(
        make_post(1, text="St Aldric's Brackenford was awful today.", fetched_at=later),
        url=v1.url + "?edited",
    )
    summary = store(wh, [(v2, make_assessment(v2, sentiment=-0.4))], run_id="run-2",
                    fetched_at=later)  # fmt: skip
    assert (summary.new_posts, summary.new_versions, summary.new_assessments) == (0, 1, 1)
    cols, rows = wh.query("SELECT * FROM post_versions ORDER BY version")
    assert cols == ["post_id", "version", "fetched_at", "url", "sha256", "text"]
    assert rows == [
        ("p1", 1, T0, v1.url, hashlib.sha256(v1.raw).hexdigest(), v1.text),
        ("p1", 2, later, v2.url, hashlib.sha256(v2.raw).hexdigest(), v2.text),
    ]
    _, mention = wh.query("SELECT text, first_seen_at, sentiment, url FROM mentions")
    assert mention == [(v2.text, T0, -0.4, v2.url)]
    raw = wh.query("SELECT raw FROM post_contents WHERE version = 1")[1][0][0]
    assert raw == v1.raw


def test_identical_content_fetched_later_adds_nothing(wh):
    p = make_post(1)
    store(wh, [(p, make_assessment(p))])
    again = replace(p, fetched_at=T0 + timedelta(days=2))
    s = store(wh, [(again, make_assessment(again))], run_id="run-2")
    assert (s.new_posts, s.new_versions, s.new_assessments) == (0, 0, 0)
    assert wh.query("SELECT version, fetched_at FROM post_versions")[1] == [(1, T0)]


def test_new_classifier_version_adds_an_assessment_and_keeps_the_old(wh):
    p = make_post(1)
    store(wh, [(p, make_assessment(p, sentiment=0.5))])
    s = store(wh, [(p, make_assessment(p, sentiment=0.1, classifier_version="v2"))],
              run_id="run-2")  # fmt: skip
    assert (s.new_versions, s.new_assessments) == (0, 1)
    rows = wh.query("SELECT version, classifier_version, sentiment FROM assessments "
                    "ORDER BY assessment_id")[1]  # fmt: skip
    assert rows == [(1, "v1", 0.5), (1, "v2", 0.1)]
    assert wh.query("SELECT sentiment FROM mentions")[1] == [(0.1,)]


def test_duplicate_post_in_one_batch_is_stored_once_latest_wins(wh):
    early = make_post(1, text="St Aldric's Brackenford first")
    late = make_post(1, text="St Aldric's Brackenford second", fetched_at=T0 + timedelta(1))
    s = store(wh, [(late, make_assessment(late)), (early, make_assessment(early))])
    assert (s.new_posts, s.new_versions) == (1, 0)
    assert wh.query("SELECT version, text FROM post_versions")[1] == [(1, late.text)]


def test_same_post_id_for_two_schools_is_kept_for_each(wh):
    a = make_post(1)
    b = replace(a, school_id="wexley-academy")
    wh.store_run("run-1", T0, [make_result([a]), make_result([b], school_id="wexley-academy")],
                 [make_assessment(a), make_assessment(b)])  # fmt: skip
    assert wh.query("SELECT school_id FROM mentions ORDER BY 1")[1] == [
        (SCHOOL,),
        ("wexley-academy",),
    ]


def test_mentions_and_flagged_rows(wh):
    calm = make_post(1, published_at=None)
    angry = make_post(2, author="Concerned", text="St Aldric's head stole the funds",
                      title="Truth")  # fmt: skip
    store(wh, [(calm, make_assessment(calm)),
               (angry, flagged(angry, severity="high", rung=5))])  # fmt: skip
    _, rows = wh.query("SELECT * FROM mentions ORDER BY post_id")
    assert rows == [
        (SCHOOL, "p1", SOURCE, calm.url, "ParentOfTwo", "Library", calm.text, None, T0, 0.5,
         [], "none", 0),
        (SCHOOL, "p2", SOURCE, angry.url, "Concerned", "Truth", angry.text, T0, T0, -0.6,
         ["defamation"], "high", 5),
    ]  # fmt: skip
    _, rows = wh.query("SELECT post_id, case_id, case_status, respond_by, digested_at FROM flagged")
    assert rows == [("p2", "C-000001", "open", T0 + timedelta(hours=24), None)]


def test_daily_sentiment_by_uk_day(wh):
    # 23:30 UTC on 30 June is already 1 July in London (BST)
    late_june = datetime(2025, 6, 30, 23, 30, tzinfo=UTC)
    posts = [
        make_post(1, published_at=late_june),
        make_post(2, published_at=late_june + timedelta(minutes=10)),
        make_post(3, published_at=None, fetched_at=datetime(2025, 7, 1, 12, tzinfo=UTC)),
    ]
    store(wh, [(posts[0], make_assessment(posts[0], sentiment=0.5)),
               (posts[1], flagged(posts[1], sentiment=-0.5)),
               (posts[2], make_assessment(posts[2], sentiment=-0.05))])  # fmt: skip
    cols, rows = wh.query("SELECT * FROM daily_sentiment")
    assert cols == ["school_id", "day", "mentions", "mean_sentiment", "negative_share", "flagged"]
    assert len(rows) == 1
    school, day, n, mean, negative, flagged_n = rows[0]
    assert (school, day.isoformat(), n, flagged_n) == (SCHOOL, "2025-07-01", 3, 1)
    assert round(mean, 6) == round((0.5 - 0.5 - 0.05) / 3, 6)
    assert round(negative, 6) == round(2 / 3, 6)


def test_source_health_counts_consecutive_failures(wh):
    def run(n, status, error=None, posts=()):
        when = T0 + timedelta(hours=n)
        result = make_result(list(posts), status=status, error=error, fetched_at=when)
        wh.store_run(f"run-{n}", when, [result], [make_assessment(p) for p in posts])
        return wh.query("SELECT * FROM source_health")[1]

    p = make_post(1)
    assert run(1, "failed", "HTTP 503 from https://forum.example/x") == [
        (SCHOOL, SOURCE, T0 + timedelta(hours=1), "failed",
         "HTTP 503 from https://forum.example/x", 1, 0)
    ]  # fmt: skip
    assert run(2, "failed", "timed out after 20 s")[0][3:6] == ("failed", "timed out after 20 s", 2)
    assert run(3, "ok", posts=[p]) == [(SCHOOL, SOURCE, T0 + timedelta(hours=3), "ok", None, 0, 1)]
    assert run(4, "not_modified")[0][3:] == ("not_modified", None, 0, 0)


def test_validators_come_from_the_last_ok_fetch(wh):
    wh.store_run("r1", T0, [make_result([], etag='"a1"', last_modified="Wed, 05 Mar 2025")], [])
    wh.store_run("r2", T0 + timedelta(hours=1),
                 [make_result([], status="failed", error="refused by robots.txt",
                              fetched_at=T0 + timedelta(hours=1))], [])  # fmt: skip
    wh.store_run("r3", T0 + timedelta(hours=2),
                 [make_result([], source_id="news-search", etag='"n9"',
                              fetched_at=T0 + timedelta(hours=2))], [])  # fmt: skip
    assert wh.validators() == {
        (SCHOOL, SOURCE): ('"a1"', "Wed, 05 Mar 2025"),
        (SCHOOL, "news-search"): ('"n9"', None),
    }


def test_posts_default_to_those_in_the_results(wh):
    p = make_post(1)
    s = wh.store_run("run-1", T0, [make_result([p])], [make_assessment(p)])
    assert (s.new_posts, s.fetches) == (1, 1)
    assert wh.query("SELECT post_id, source_id, items_last_run FROM mentions "
                    "JOIN source_health USING (school_id, source_id)")[1] == [
        ("p1", SOURCE, 1)
    ]  # fmt: skip


@given(
    st.one_of(
        st.text(),
        st.builds(
            "{}://{}{}".format,
            st.sampled_from(["http", "https", "HTTPS", "ftp", ""]),
            st.text(alphabet="abcXYZ.-:@[]?#/\t\n 1", max_size=20),
            st.text(max_size=20),
        ),
    )
)
def test_site_of_is_the_urls_host(url):
    """The per-origin cache gives what parsing the whole URL gives, for any string."""
    try:
        expected = urlsplit(url).hostname or ""
    except ValueError:  # e.g. an unbalanced "[": refused either way
        with pytest.raises(ValueError):
            site_of(url)
        return
    assert site_of(url) == expected
