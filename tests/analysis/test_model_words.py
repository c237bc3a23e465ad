"""The words the model reads (`analysis.harm_text.features`): a few idioms are read as what they
mean before the model sees them."""

from __future__ import annotations

import pytest

from analysis.harm_text import features


@pytest.mark.parametrize(
    "text",
    [
        "staff at xschool are totally burnt out",
        "i am so burned out after this term",
        "teachers feel completely burnt out",
    ],
)
def test_a_worn_out_person_is_read_as_burnout_not_fire(text: str) -> None:
    feats = features(text)
    assert "burnout" in feats
    assert "burnt" not in feats and "burned" not in feats


@pytest.mark.parametrize(
    "text",
    [
        "the car was burnt out last night",
        "someone burnt out the head's car",
        "they burned the shed",
    ],
)
def test_a_burnt_out_car_stays_a_fire(text: str) -> None:
    feats = features(text)
    assert "burnout" not in feats
    assert "burnt" in feats or "burned" in feats
