"""The reviewed harm rules (analysis/data/harm_rules.toml): every example a rule gives must be
found by it and every not_example must not, so the phrase lists a safeguarding lead reads and
edits are checked against the posts they were written for. Also the notation itself
(analysis/phrases.py) on the forms the rules use."""

from __future__ import annotations

import re
import tomllib

import pytest

from analysis import harm_normalize, harm_text, phrases
from analysis.harm_rules import RULES_PATH, find_hits, load_rules, phrase_regex
from analysis.rule_shapes import SHAPES

LISTS = {
    "roles": "targets",
    "crime": "defamation",
    "not_crime": "defamation",
    "sensitive": "personal_data",
    "pupil": "personal_data",
}


def _raw() -> dict:
    with RULES_PATH.open("rb") as f:
        return tomllib.load(f)


def _cases(key: str) -> list[tuple[str, str]]:
    raw = _raw()
    out = [(r["name"], text) for r in raw["rules"] for text in r.get(key, ())]
    for name, section in LISTS.items():
        out += [(name, text) for text in raw[section].get(f"{name}_{key}", ())]
    return out


def _found(name: str, text: str) -> bool:
    book = load_rules()
    folded = harm_normalize.for_rules(harm_text.fold(text))
    if name in LISTS:
        return book.first(name, folded) is not None
    return any(h.rule.name == name for h in find_hits(book, folded))


@pytest.mark.parametrize(("name", "text"), _cases("examples"))
def test_rule_finds_its_examples(name: str, text: str) -> None:
    assert _found(name, text), f"{name} misses its example {text!r}"


@pytest.mark.parametrize(("name", "text"), _cases("not_examples"))
def test_rule_ignores_its_not_examples(name: str, text: str) -> None:
    assert not _found(name, text), f"{name} matches its not_example {text!r}"


def test_every_phrase_rule_has_examples_both_ways() -> None:
    raw = _raw()
    for r in raw["rules"]:
        if "phrases" in r:
            assert r.get("examples") and r.get("not_examples"), r["name"]
    for name, section in LISTS.items():
        assert isinstance(raw[section][name], list), f"{name} is not a phrase list"
        assert raw[section].get(f"{name}_examples"), name
        assert raw[section].get(f"{name}_not_examples"), name


def test_no_rule_keeps_a_raw_pattern() -> None:
    for r in _raw()["rules"]:
        for key in ("pattern", "unless"):
            assert not isinstance(r.get(key), str), f"{r['name']} has a raw {key}"


def _match(phrase: str, text: str) -> str | None:
    m = re.search(phrase_regex([phrase], {n: s.pattern for n, s in SHAPES.items()}), text)
    return None if m is None else m.group()


@pytest.mark.parametrize(
    ("phrase", "text", "found"),
    [
        ("lost (all) faith", "we lost faith", "lost faith"),
        ("lost (all) faith", "we lost all faith", "lost all faith"),
        ("lost (all) faith", "we lost some faith", None),
        ("(the) head", "the head said", "the head"),
        ("his/her/their car", "outside their car", "their car"),
        ("his/her/their car", "outside my car", None),
        ("sick !of/and", "that was sick", "sick"),
        ("sick !of/and", "sick of it", None),
        ("!were/was warn*", "you have been warned", "warned"),
        ("!were/was warn*", "they were warned", None),
        ("y#", "in y10 now", "y10"),
        ("y#", "in year ten", None),
        ("*ing", "stop moaning", "moaning"),
        ("my *'s class", "my son's class", "my son's class"),
        ("well done *,", "well done gullhaven, again", "well done gullhaven,"),
        ("no one", "no-one replied", "no-one"),
        ("no call back", "no fucking call back", None),  # rules allow no intensifier
        ("3/5", "rated 3/5 overall", "3/5"),
        ("{phone_number}", "ring 07700 900123 now", "07700 900123"),
        ("roma ~8 dirty", "the roma families. dirty", "roma families. dirty"),
        ("roma ..8 dirty", "the roma families. dirty", None),
        ("'them'", "one of 'them' again", "'them'"),
        ("'them'", "one of them again", None),
        ("imo", "imogen said", None),
    ],
)
def test_notation(phrase: str, text: str, found: str | None) -> None:
    assert _match(phrase, text) == found


def test_threat_frames_keep_their_intensifiers() -> None:
    # the frames allow "I will bloody kill him"; the harm rules do not (fillers=False)
    pat = re.compile(phrases.bounded(phrases.alternation(["i will kill"], {})))
    assert pat.search("i will bloody kill him")
    plain = re.compile(phrases.bounded(phrases.alternation(["i will kill"], {}, fillers=False)))
    assert not plain.search("i will bloody kill him")


def test_a_word_before_a_phrase_must_be_plain() -> None:
    with pytest.raises(ValueError, match="plain"):
        phrases.alternation(["!were* warn*"], {})
