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
