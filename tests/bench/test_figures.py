"""A bench figure's verdict against its target, and its line and JSON."""

from __future__ import annotations

import json

import pytest

from bench.figures import Figure


@pytest.mark.parametrize(
    ("figure", "holds"),
    [
        (Figure("rate", 60_000, "rows/s", 50_000), True),  # at least the target
        (Figure("rate", 40_000, "rows/s", 50_000), False),
        (Figure("beyond", 1.5, "s", 2.0, at_most=True), True),  # at most the target
        (Figure("beyond", 2.5, "s", 2.0, at_most=True), False),
        (Figure("stored", 3999, "posts", 4000, exactly=True), False),  # one lost
        (Figure("stored", 4001, "posts", 4000, exactly=True), False),  # one duplicated
        (Figure("stored", 4000, "posts", 4000, exactly=True), True),
        (Figure("reference", 0.3, "s"), None),  # no target: nothing to hold
        (Figure("rate", float("nan"), "rows/s", 50_000), None),  # not measured
    ],
)
def test_verdict(figure, holds):
    assert figure.holds is holds
    verdict = {True: "holds", False: "MISSES", None: ""}[holds]
    assert verdict in figure.line()
    assert json.loads(json.dumps(figure.as_dict()))["holds"] is holds
