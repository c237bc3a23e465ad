"""The store writes JSON and the chain's canonical text without the general encoder; each must
be, character for character, what `json.dumps` writes (docs/evidence.md documents the chain's
form as `json.dumps`'s)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from schoolwatch.models import Evidence, Span
from warehouse.chain import version_hash
from warehouse.records import confidence_json, evidence_json, spans_json

# any text a post can hold: controls, quotes, backslashes, line separators, emoji, accents
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
FIELD = st.sampled_from(["title", "text"])
OFFSET = st.integers(0, 10**6)
SPANS = st.lists(st.builds(Span, FIELD, OFFSET, OFFSET, TEXT), max_size=4)
EVIDENCE = st.lists(st.builds(Evidence, TEXT, FIELD, OFFSET, OFFSET, TEXT, TEXT), max_size=4)


@given(SPANS)
def test_spans_are_json_dumps(spans):
    assert spans_json(tuple(spans)) == json.dumps([s.as_dict() for s in spans], ensure_ascii=False)


@given(EVIDENCE)
def test_evidence_is_json_dumps(evidence):
    written = evidence_json(tuple(evidence))
    assert written == json.dumps([e.as_dict() for e in evidence], ensure_ascii=False)


@given(st.dictionaries(TEXT, st.floats(0, 1), max_size=3))
def test_confidence_is_json_dumps(confidence):
    assert confidence_json(confidence) == json.dumps(confidence)


NUMBER = st.one_of(st.floats(), st.integers(), st.booleans())  # NaN, infinities, ints too
KEY = st.one_of(TEXT, st.integers(), st.floats(), st.booleans(), st.none())


@given(st.dictionaries(KEY, NUMBER, max_size=3))
def test_confidence_of_any_numbers_is_json_dumps(confidence):
    """Not what the classifier gives, but written as json writes it, never misprinted."""
    assert confidence_json(confidence) == json.dumps(confidence)


WHEN = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))]),
)


@given(st.one_of(st.none(), TEXT), TEXT, TEXT, st.integers(1, 10**4), WHEN, TEXT, TEXT, TEXT)
def test_the_chain_hashes_the_documented_text(prev, school, post, version, at, url, title, text):
    digest = hashlib.sha256(b"raw").hexdigest()
    instant = at.astimezone(UTC).isoformat(timespec="microseconds")
    fields = [prev or "", school, post, version, instant, url, digest, title, text]
    documented = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    expected = hashlib.sha256(documented.encode("utf-8")).hexdigest()
    assert version_hash(prev, school, post, version, at, url, digest, title, text) == expected
