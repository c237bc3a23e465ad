"""The harm model's feature index (built when the model loads) holds exactly its weights.

Scoring reads one row of weights per feature from the index instead of one dictionary per
category; the index is built with C-level loops to load faster. Whatever builds it, each row must
be the feature's weight in each category in the model's category order, 0.0 where a category
does not weigh it, and no feature the model does not weigh.
"""

from __future__ import annotations

import math
from functools import reduce
from operator import add

from analysis.harm_model import CategoryWeights, HarmModel, load_model


def _plain_probabilities(model: HarmModel, feats: list[str]) -> dict[str, float]:
    """P(category) from the per-category weights, without the index."""
    uniq = sorted(set(feats))
    scale = 1.0 / math.sqrt(len(uniq)) if uniq else 0.0
    out = {}
    for cat, cw in model.categories.items():
        s = reduce(add, (cw.weights.get(f, 0.0) for f in uniq), 0.0)
        z = cw.bias + s * scale
        out[cat] = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
    return out


def test_index_rows_are_each_categorys_weight_in_order() -> None:
    model = HarmModel(
        {
            "a": CategoryWeights(0.1, {"x": 1.5, "y": -2.0}),
            "b": CategoryWeights(-0.3, {"y": 0.25, "z": 4.0}),
        }
    )
    assert model._index == {"x": (1.5, 0.0), "y": (-2.0, 0.25), "z": (0.0, 4.0)}


def test_shipped_model_index_matches_its_weights() -> None:
    model = load_model()
    cats = list(model.categories.values())
    weighed = {f for cw in cats for f in cw.weights}
    assert set(model._index) == weighed
    for f, row in model._index.items():
        assert row == tuple(cw.weights.get(f, 0.0) for cw in cats), f


def test_shipped_model_scores_as_the_plain_sum() -> None:
    model = load_model()
    some = sorted(model._index)[:: max(1, len(model._index) // 300)]
    for feats in ([], some[:1], some[:40], some, [*some[:20], "no such feature"]):
        assert model.probabilities(feats) == _plain_probabilities(model, feats)
