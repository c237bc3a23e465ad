"""Config sections that are small enough to test together: `[alerts]` and `[web]`."""

from __future__ import annotations

import pytest

from schoolwatch.config import parse_config
from schoolwatch.errors import ConfigError


def test_min_confidence_defaults_to_a_half():
    assert parse_config("").alerts.min_confidence == 0.5
    assert parse_config("[alerts]\nmin_confidence = 0.8").alerts.min_confidence == 0.8


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.5", "alerts.min_confidence: Input should be less than or equal to 1"),
        ("-0.1", "alerts.min_confidence: Input should be greater than or equal to 0"),
        ('"high"', "alerts.min_confidence: Input should be a valid number"),
    ],
)
def test_min_confidence_outside_0_to_1_names_the_key(value, expected):
    with pytest.raises(ConfigError) as e:
        parse_config(f"[alerts]\nmin_confidence = {value}", origin="school.toml")
    assert str(e.value).startswith(f"school.toml: {expected}")


def test_an_unknown_alerts_key_is_named():
    with pytest.raises(ConfigError, match=r"alerts\.min_confidnce: unknown key"):
        parse_config("[alerts]\nmin_confidnce = 0.7")


def test_web_base_url_loses_its_trailing_slash_and_sessions_default_to_a_week():
    cfg = parse_config('[web]\nbase_url = "https://board.school.example/"\n')
    assert cfg.web.base_url == "https://board.school.example"
    assert cfg.web.session_days == 7
    assert parse_config("").web.base_url is None


def test_a_web_base_url_that_is_not_http_is_named():
    with pytest.raises(ConfigError, match=r"web\.base_url: 'board' must start with http"):
        parse_config('[web]\nbase_url = "board"\n')
