"""assess / assess_posts / classify_stream: the stages tied together, on any input."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import CLASSIFIER_VERSION, ladder
from analysis.assess import assess, assess_posts, classify_stream
from schoolwatch.config import Config, load_config
from schoolwatch.errors import ConfigError
from schoolwatch.models import CATEGORIES, SEVERITIES, Post

CONFIG = load_config(Path(__file__).parents[1] / "data/analysis/core_schools.toml")
WENNA = CONFIG.school("st-wennas-harrowby")
ONE_SCHOOL = Config(schools=[WENNA])


def _check(a, title: str, text: str) -> None:
    """What every assessment must satisfy, whatever harm decides."""
    assert set(a.categories) <= set(CATEGORIES)
    assert list(a.categories) == sorted(a.categories, key=CATEGORIES.index)
    assert a.severity in SEVERITIES
    assert -1.0 <= a.sentiment <= 1.0
    assert a.classifier_version == CLASSIFIER_VERSION
    serious = ladder.is_serious_defamation(a.evidence)
    assert a.severity == ladder.severity(a.categories, serious_defamation=serious)
    assert a.rung == ladder.first_rung(a.categories)
    for span in (*a.matched, *a.evidence):
        source = title if span.field == "title" else text
        assert source[span.start : span.end] == span.text
    assert set(a.confidence) == set(a.categories)
    assert all(0.0 <= p <= 1.0 for p in a.confidence.values())
    if not a.mentions:
        assert (a.categories, a.severity, a.rung, a.evidence, a.matched) == ((), "none", 0, (), ())


def test_a_mention_is_assessed():
    title, text = "Harvest festival", "St Wenna's Harrowby raised £400. Mrs Ellery thanked us all."
    a = assess(WENNA, post_id="p1", title=title, text=text, local=False)
    assert (a.school_id, a.post_id, a.mentions) == (WENNA.id, "p1", True)
    assert [s.text for s in a.matched] == ["St Wenna's Harrowby", "Mrs Ellery"]
    assert a.sentiment > 0
    _check(a, title, text)


def test_no_mention_is_not_assessed():
    a = assess(WENNA, post_id="p2", title="", text="St Wenna's is awful", local=False)
    assert a.mentions is False
    assert a.sentiment == 0.0
    _check(a, "", "St Wenna's is awful")


def _post(post_id: str, school_id: str, text: str, local: bool = False) -> Post:
    now = datetime(2026, 3, 11, 10, tzinfo=UTC)
    return Post(
        post_id,
        "forum",
        school_id,
        "https://forum.example/t/1",
        "",
        "",
        text,
        "a",
        now,
        now,
        b"",
        local,
    )


def test_assess_posts_uses_each_posts_school_and_source():
    posts = [
        _post("a", "st-wennas-harrowby", "Mr Tadd's maths club", local=True),
        _post("b", "st-wennas-harrowby", "Mr Tadd's maths club", local=False),
        _post("c", "ysgol-glan-morfa", "Ysgol Glan-Morfa eisteddfod"),
    ]
    got = assess_posts(posts, {s.id: s for s in CONFIG.schools})
    assert [(a.post_id, a.school_id, a.mentions) for a in got] == [
        ("a", "st-wennas-harrowby", True),
        ("b", "st-wennas-harrowby", False),
        ("c", "ysgol-glan-morfa", True),
    ]


def test_assess_posts_names_an_unknown_school():
    with pytest.raises(ConfigError, match="unknown school 'nowhere'"):
        assess_posts([_post("x", "nowhere", "text")], {WENNA.id: WENNA})


def _classify(config: Config, lines: list[str]) -> tuple[int, list[dict]]:
    out = io.StringIO()
    bad = classify_stream(config, lines, out)
    return bad, [json.loads(line) for line in out.getvalue().splitlines()]


def test_classify_stream_answers_every_line_and_survives_bad_ones():
    lines = [
        json.dumps({"id": "1", "text": "Lovely concert at St Wenna's Harrowby."}),
        "this is not json",
        json.dumps({"id": 2, "title": "Harrowby", "text": "St Wenna's fete", "local": False}),
        "",  # blank lines are skipped, not errors
        json.dumps({"id": "3"}),
        json.dumps(["a list"]),
        json.dumps({"id": "4", "text": "Mr Tadd's class", "local": "yes"}),
        json.dumps({"id": "5", "text": "x", "school": "nowhere"}),
        json.dumps({"id": "6", "text": "Nothing about schools"}),
    ]
    bad, out = _classify(ONE_SCHOOL, lines)
    assert bad == 5
    assert [o["id"] for o in out] == ["1", None, 2, "3", None, "4", "5", "6"]
    keys = {"id", "mentions", "categories", "severity", "rung", "sentiment", "confidence"}
    keys |= {"evidence", "matched"}
    good = [o for o in out if "error" not in o]
    assert [set(o) for o in good] == [keys] * 3
    assert [o["mentions"] for o in good] == [True, True, False]
    errors = {o["line"]: o["error"] for o in out if "error" in o}
    assert errors.keys() == {2, 5, 6, 7, 8}
    assert "not valid JSON" in errors[2]
    assert "'text' is required" in errors[5]
    assert "'local' must be a bool" in errors[7]
    assert "unknown school 'nowhere'" in errors[8]


def test_classify_stream_needs_a_school_when_there_are_several():
    bad, out = _classify(CONFIG, [json.dumps({"id": "1", "text": "Ysgol Glan-Morfa"})])
    assert bad == 1
    assert "'school' is required" in out[0]["error"]
    bad, out = _classify(
        CONFIG, [json.dumps({"id": "1", "text": "Ysgol Glan-Morfa", "school": "ysgol-glan-morfa"})]
    )
    assert (bad, out[0]["mentions"]) == (0, True)


def test_classify_stream_evidence_points_into_the_input():
    text = "St Wenna's Harrowby: Mr Tadd is a thief and a liar, he stole the trip money."
    _, [out] = _classify(ONE_SCHOOL, [json.dumps({"id": "e", "text": text})])
    for ev in out["evidence"]:
        assert set(ev) == {"category", "field", "start", "end", "text", "reason"}
        assert text[ev["start"] : ev["end"]] == ev["text"]
        assert ev["category"] in out["categories"]


def test_classify_stream_gives_a_confidence_for_each_category():
    text = "St Wenna's Harrowby: Mr Tadd is a thief and a liar, he stole the trip money."
    calm = "Lovely concert at St Wenna's Harrowby."
    _, [flagged, quiet] = _classify(
        ONE_SCHOOL, [json.dumps({"id": "e", "text": text}), json.dumps({"id": "q", "text": calm})]
    )
    assert flagged["categories"] and set(flagged["confidence"]) == set(flagged["categories"])
    assert all(0.0 <= p <= 1.0 for p in flagged["confidence"].values())
    assert quiet["categories"] == [] and quiet["confidence"] == {}


any_text = st.one_of(
    st.text(max_size=400),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Lo", "Mn", "So"]), max_size=200),
    st.lists(
        st.sampled_from(["St Wenna's", "Harrowby", "Mr Tadd", "kill", "bomb", "!", "\n", "C of E"]),
        max_size=30,
    ).map(" ".join),
)


@settings(max_examples=100, deadline=None)
@given(title=any_text, text=any_text, local=st.booleans())
def test_any_text_gives_a_valid_assessment(title, text, local):
    _check(assess(WENNA, post_id="h", title=title, text=text, local=local), title, text)


def test_a_megabyte_post():
    text = ("Mr Tadd at St Wenna's Harrowby\x00 was kind. ĉu? 学校 " * 20_000)[:1_000_000]
    a = assess(WENNA, post_id="big", title="", text=text, local=False)
    assert a.mentions
    _check(a, "", text)


def test_the_version_names_matching_and_harm():
    assert CLASSIFIER_VERSION.startswith("match-")
    assert "+harm-" in CLASSIFIER_VERSION and "harm-harm" not in CLASSIFIER_VERSION
