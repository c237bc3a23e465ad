"""The 30-day chart and the spike rule."""

from __future__ import annotations

import struct
from datetime import date, timedelta

import pytest

from digest.chart import sentiment_chart, spike
from schoolwatch.models import DaySentiment


def days(counts: list[int], sentiment: float | None = 0.1) -> list[DaySentiment]:
    start = date(2026, 10, 25)
    return [
        DaySentiment((start + timedelta(days=i)).isoformat(), n, sentiment, 0.2, 0)
        for i, n in enumerate(counts)
    ]


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", png[16:24])


def test_chart_is_a_small_png():
    png = sentiment_chart(days([2, 3, 0, 5] * 7 + [9, 1]))
    assert png_size(png) == (600, 300)
    assert len(png) < 80_000  # small enough for a phone on 4G


@pytest.mark.parametrize(
    "history",
    [[], days([0]), days([1, 2, 3], sentiment=None)],
    ids=["empty", "one-day", "no-sentiment"],
)
def test_chart_copes_with_little_data(history):
    assert png_size(sentiment_chart(history)) == (600, 300)


@pytest.mark.parametrize(
    ("counts", "expected", "why"),
    [
        ([2] * 14 + [7], "Spike: 7 mentions today, 4× the 14-day median of 2.", "above 3× median"),
        ([2] * 14 + [6], None, "exactly 3× is not above it"),
        ([0] * 14 + [4], None, "fewer than 5 mentions is never a spike"),
        ([0] * 14 + [5], "Spike: 5 mentions today, 5× the 14-day median of 0.", "quiet school"),
        (
            [10, 12] * 7 + [20],
            "Spike: 20 mentions today, 9.0 standard deviations above the 14-day mean of 11.0.",
            "a busy school: over 3σ though under 3× the median",
        ),
        ([10, 12] * 7 + [14], None, "within the norm"),
        ([2] * 4 + [50], None, "too little history to know the norm"),
        (
            [100] * 10 + [2] * 14 + [7],
            "Spike: 7 mentions today, 4× the 14-day median of 2.",
            "only the last 14 days count",
        ),
    ],
)
def test_spike(counts, expected, why):
    assert spike(days(counts)) == expected, why
