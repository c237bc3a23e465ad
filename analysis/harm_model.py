"""The trained part of the harm classifier: plain per-category weights over n-gram features.

The weights come from `analysis/train_harm.py` (logistic regression) and are stored as JSON, so
scoring is a dictionary lookup per feature: no scikit-learn, no pickle, nothing downloaded.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache, reduce
from itertools import chain
from operator import add
from pathlib import Path

MODEL_PATH = Path(__file__).resolve().parent / "data" / "harm_model.json"


def feature_values(feats: list[str]) -> dict[str, float]:
    """Each distinct feature's value, 1/sqrt(distinct features): a long post does not outweigh
    a short one. Shared by training and scoring so the two cannot drift apart."""
    uniq = sorted(set(feats))
    scale = 1.0 / math.sqrt(len(uniq)) if uniq else 0.0
    return dict.fromkeys(uniq, scale)


@dataclass(frozen=True, slots=True)
class CategoryWeights:
    bias: float
    weights: dict[str, float]


@dataclass(frozen=True, slots=True)
class HarmModel:
    categories: dict[str, CategoryWeights]
    # category -> (a, b, c): confidence = sigmoid(a * logit(p) + b * ruled + c), fitted on
    # predictions for posts each fold's model had not seen (`analysis.train_harm`)
    calibration: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    # feature -> its weight in each category (0.0 where it has none), in `categories` order:
    # one dictionary lookup per feature instead of one per feature and category
    _index: dict[str, tuple[float, ...]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        # a column of weights per category over every feature, then the columns zipped into
        # rows: C-level loops over the 140 k features, about half the time of a Python loop
        weights = [cw.weights for cw in self.categories.values()]
        feats = list(dict.fromkeys(chain.from_iterable(weights)))
        zeros = [0.0] * len(feats)
        columns = [list(map(w.get, feats, zeros)) for w in weights]
        rows = zip(*columns, strict=True)
        object.__setattr__(self, "_index", dict(zip(feats, rows, strict=True)))

    @classmethod
    def from_dict(cls, raw: dict) -> HarmModel:
        """Build from the exported JSON structure."""
        return cls(
            {
                cat: CategoryWeights(
                    float(v["bias"]), {k: float(w) for k, w in v["weights"].items()}
                )
                for cat, v in raw["categories"].items()
            },
            {
                cat: (float(a), float(b), float(c))
                for cat, (a, b, c) in raw.get("calibration", {}).items()
            },
        )

    def probabilities(self, feats: list[str]) -> dict[str, float]:
        """P(category) for each category the model knows."""
        # sorted: the sum's rounding and every tie must not depend on the process's string
        # hashing, so the same post gets the same answer in every run
        uniq = sorted(set(feats))
        scale = 1.0 / math.sqrt(len(uniq)) if uniq else 0.0  # as `feature_values`
        get = self._index.get
        rows = [ws for ws in map(get, uniq) if ws is not None]
        # per category, the weights added one by one in the order of `uniq` (`reduce`, not
        # `sum`: Python 3.12's `sum` of floats rounds differently)
        if rows:
            sums = [reduce(add, col, 0.0) for col in zip(*rows, strict=True)]
        else:
            sums = [0.0] * len(self.categories)
        out = {}
        for (cat, cw), s in zip(self.categories.items(), sums, strict=True):
            z = cw.bias + s * scale
            out[cat] = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        return out

    def confidence(self, cat: str, p: float, ruled: bool) -> float:
        """Calibrated probability that `cat` is right, from the model's probability `p` and
        whether a reviewed rule or threat frame set it (`ruled`)."""
        a, b, c = self.calibration.get(cat, (1.0, 0.0, 0.0))
        return _sigmoid(a * logit(p) + b * float(ruled) + c)

    def contributions(self, cat: str, feats: list[str]) -> dict[str, float]:
        """Each present feature's weight for `cat` (for choosing evidence)."""
        w = self.categories[cat].weights
        return {f: w[f] for f in sorted(set(feats)) if f in w}


def logit(p: float) -> float:
    """log(p / (1 - p)), kept finite."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_PATH) -> HarmModel:
    """The shipped model, read once."""
    return HarmModel.from_dict(json.loads(path.read_text(encoding="utf-8")))
