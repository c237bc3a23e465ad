"""The words the model reads (`analysis.harm_text.features`): a few idioms are read as what they
mean before the model sees them."""

from __future__ import annotations

import tomllib

import pytest

from analysis import harm_normalize
from analysis.harm_text import features, fold


@pytest.mark.parametrize(
    ("text", "worn_out"),
    [
        ("staff at xschool are totally burnt out", True),
        ("i am so burned out after this term", True),
        ("teachers feel completely burnt out", True),
        # a burnt-out car stays a fire
        ("the car was burnt out last night", False),
        ("someone burnt out the head's car", False),
        ("they burned the shed", False),
    ],
)
def test_burnt_out_is_burnout_only_when_it_says_how_someone_is(text: str, worn_out: bool) -> None:
    feats = features(text)
    fire = "burnt" in feats or "burned" in feats
    assert ("burnout" in feats, fire) == (worn_out, not worn_out)


def _worn_out_examples() -> list[str]:
    with harm_normalize.SLANG_PATH.open("rb") as f:
        entries = tomllib.load(f)["worn_out"]["before"]
    return [entry.split("=", 1)[1].strip() for entry in entries]


@pytest.mark.parametrize("example", _worn_out_examples())
def test_every_worn_out_example_in_the_word_list_reads_as_burnout(example: str) -> None:
    # the safeguarding lead's list (`slang.toml`, `[worn_out]`) holds what it says
    feats = features(fold(example))
    assert "burnout" in feats and "burnt" not in feats and "burned" not in feats, example


@pytest.mark.parametrize(
    ("text", "did"),
    [
        ("someone keyed mr x's car in the staff car park", True),
        ("somebody's smashed the science block windows again", True),
        ("someone has just slashed the minibus tyres", True),
        ("somebody threw eggs at the head's house last night", True),
        # a call to do it, a plan, a report of a threat: "someone" stays itself
        ("someone should key his car", False),
        ("someone's gonna get their car keyed", False),
        ("someone put his windows in", False),
        ("someone threatened to stab him at the gates", False),
        ("someone needed to sort him out years ago", False),
        ("someone keyed", True),
        ("i hope someone", False),
    ],
)
def test_someone_before_a_past_tense_verb_is_read_as_someone_did(text: str, did: bool) -> None:
    feats = features(fold(text))
    assert ("someone-did" in feats) == did, feats
    assert not (did and {"someone", "somebody", "somebody's", "someone's"} & set(feats))


def _did_examples(*lists: str) -> list[str]:
    with harm_normalize.SLANG_PATH.open("rb") as f:
        entries = tomllib.load(f)["did"]
    return [e.split("=", 1)[1].strip() for name in lists for e in entries[name]]


@pytest.mark.parametrize("example", _did_examples("who", "between", "past"))
def test_every_report_example_in_the_did_list_reads_as_someone_did(example: str) -> None:
    # the safeguarding lead's list (`slang.toml`, `[did]`) holds what it says
    assert "someone-did" in features(fold(example)), example


@pytest.mark.parametrize("example", _did_examples("keep"))
def test_every_keep_example_in_the_did_list_keeps_someone(example: str) -> None:
    assert "someone-did" not in features(fold(example)), example
