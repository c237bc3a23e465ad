"""The trained part of the harm classifier: plain per-category weights over n-gram features.

The weights come from `analysis/train_harm.py` (logistic regression), so scoring is a lookup
per feature: no scikit-learn, no pickle, nothing downloaded. They are shipped in
`analysis/data/harm_model.bin` (format in docs/classifier.md, "The model file"): a JSON header
line, the features as lines of text, then every weight as a little-endian 64-bit float, one
column per category. Reading it parses no numbers: the columns are the file's bytes, so the
model loads in a few hundredths of a second where the same weights as JSON took most of a
second. `python -m analysis.train_harm --json` prints the model as JSON, to read or compare.
"""

from __future__ import annotations

import json
import math
import sys
from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from schoolwatch.errors import ClassifierError

MODEL_PATH = Path(__file__).resolve().parent / "data" / "harm_model.bin"
FORMAT = "schoolwatch-harm-model"
FORMAT_VERSION = 1
_FLOAT = 8  # bytes per weight: an IEEE 754 double, exactly the value training wrote


def feature_values(feats: list[str]) -> dict[str, float]:
    """Each distinct feature's value, 1/sqrt(distinct features): a long post does not outweigh
    a short one. Shared by training and scoring so the two cannot drift apart."""
    uniq = sorted(set(feats))
    scale = 1.0 / math.sqrt(len(uniq)) if uniq else 0.0
    return dict.fromkeys(uniq, scale)


@dataclass(frozen=True, slots=True)
class HarmModel:
    """Per category, a bias and a weight for each feature (0.0: the category does not weigh
    it; training leaves out weights under 0.02, so a stored weight is never 0.0)."""

    biases: dict[str, float]  # category -> bias, in the model's category order
    features: tuple[str, ...]  # every feature some category weighs, sorted
    # one column per category (the order of `biases`): the weight of each of `features`
    columns: tuple[array, ...]
    # category -> (a, b, c): confidence = sigmoid(a * logit(p) + b * ruled + c), fitted on
    # predictions for posts each fold's model had not seen (`analysis.train_harm`)
    calibration: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    # the training settings recorded with the weights (regularisation `C`, `min_df`)
    settings: dict[str, float] = field(default_factory=dict)
    # feature -> its position in `features` and in every column
    _row: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    # every weight as one (features x categories) array, made the first time a post is scored
    _table: list[Any] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.columns) != len(self.biases):
            raise ClassifierError(f"{len(self.biases)} categories but {len(self.columns)} columns")
        n = len(self.features)
        if any(len(col) != n for col in self.columns):
            raise ClassifierError(f"a column does not hold one weight for each of {n} features")
        if list(self.features) != sorted(self.features):
            # scoring adds the weights in the features' order, which must be their name order
            raise ClassifierError("its features are not in name order")
        object.__setattr__(self, "_row", dict(zip(self.features, range(n), strict=True)))
        object.__setattr__(self, "_table", [])

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(self.biases)

    @classmethod
    def from_dict(cls, raw: dict) -> HarmModel:
        """Build from the training structure: `{"categories": {cat: {"bias", "weights":
        {feature: weight}}}, "calibration"?: {cat: [a, b, c]}, "C"?, "min_df"?}`."""
        # categories in name order, as the model file has always listed them
        cats = dict(sorted(raw["categories"].items()))
        features = tuple(sorted({f for v in cats.values() for f in v["weights"]}))
        columns = tuple(
            array("d", [float(v["weights"].get(f, 0.0)) for f in features]) for v in cats.values()
        )
        return cls(
            {cat: float(v["bias"]) for cat, v in cats.items()},
            features,
            columns,
            {
                cat: (float(a), float(b), float(c))
                for cat, (a, b, c) in raw.get("calibration", {}).items()
            },
            {k: raw[k] for k in ("C", "min_df") if k in raw},
        )

    def to_dict(self) -> dict:
        """The training structure (`from_dict`'s input) holding exactly these weights."""
        out: dict = dict(self.settings)
        out["calibration"] = {cat: list(abc) for cat, abc in self.calibration.items()}
        out["categories"] = {
            cat: {
                "bias": bias,
                "weights": {f: w for f, w in zip(self.features, col, strict=True) if w != 0.0},
            }
            for (cat, bias), col in zip(self.biases.items(), self.columns, strict=True)
        }
        return out

    def probabilities(self, feats: list[str]) -> dict[str, float]:
        """P(category) for each category the model knows."""
        uniq = set(feats)
        scale = 1.0 / math.sqrt(len(uniq)) if uniq else 0.0  # as `feature_values`
        # sorted (the features are, so this is the features' name order): the sum's rounding
        # and every tie must not depend on the process's string hashing, so the same post
        # gets the same answer in every run
        positions = [i for i in map(self._row.get, uniq) if i is not None]
        if positions:
            weights = self._weights()
            rows = weights.take(sorted(positions), axis=0)
            # per category, the weights added one by one in the features' order: `cumsum`
            # adds row after row (a sum or `reduce` over the array may add in pairs, which
            # rounds differently), and its last row is the total
            sums = rows.cumsum(axis=0)[-1].tolist()
        else:
            sums = [0.0] * len(self.columns)
        out = {}
        for (cat, bias), s in zip(self.biases.items(), sums, strict=True):
            z = bias + s * scale
            out[cat] = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        return out

    def _weights(self) -> Any:
        """Every weight as one array, a row per feature and a column per category: made the
        first time a post is scored and kept (making it takes about 10 ms, which a run that
        scores nothing, or `schoolwatch --help`, need not pay; two threads may both make it)."""
        if not self._table:
            import numpy as np

            columns = [np.frombuffer(col, dtype=np.float64) for col in self.columns]
            self._table.append(np.column_stack(columns) if columns else np.zeros((0, 0)))
        return self._table[0]

    def confidence(self, cat: str, p: float, ruled: bool) -> float:
        """Calibrated probability that `cat` is right, from the model's probability `p` and
        whether a reviewed rule or threat frame set it (`ruled`)."""
        a, b, c = self.calibration.get(cat, (1.0, 0.0, 0.0))
        return _sigmoid(a * logit(p) + b * float(ruled) + c)

    def contributions(self, cat: str, feats: list[str]) -> dict[str, float]:
        """Each present feature's weight for `cat` (for choosing evidence)."""
        col = self.columns[self.categories.index(cat)]
        out = {}
        for f in sorted(set(feats)):
            i = self._row.get(f)
            if i is not None and col[i] != 0.0:
                out[f] = col[i]
        return out


def logit(p: float) -> float:
    """log(p / (1 - p)), kept finite."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def pack(model: HarmModel) -> bytes:
    """The model file's exact bytes (docs/classifier.md, "The model file"): the same weights
    give the same bytes on every machine (sorted features and keys, little-endian floats)."""
    bad = [f for f in model.features if not f or "\n" in f]
    if bad:
        raise ValueError(f"a feature cannot be empty or hold a line break: {bad[0]!r}")
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "byte_order": "little",
        "features": len(model.features),
        "categories": [{"name": cat, "bias": bias} for cat, bias in model.biases.items()],
        "calibration": {cat: list(abc) for cat, abc in sorted(model.calibration.items())},
        "settings": dict(sorted(model.settings.items())),
    }
    text = json.dumps(header, ensure_ascii=False, sort_keys=True) + "\n"
    text += "".join(f + "\n" for f in model.features)
    weights = array("d")
    for col in model.columns:
        weights.extend(col)
    if sys.byteorder == "big":
        weights.byteswap()
    return text.encode("utf-8") + weights.tobytes()


def unpack(data: bytes) -> HarmModel:
    """Read a model file's bytes (`pack`'s output); `ClassifierError` says what is wrong."""
    end = data.find(b"\n")
    if end < 0:
        raise ClassifierError("no model header on its first line")
    try:
        header = json.loads(data[:end])
        n, cats = int(header["features"]), header["categories"]
        known = header["format"] == FORMAT and header["version"] == FORMAT_VERSION
    except (ValueError, KeyError, TypeError) as e:
        raise ClassifierError(f"no model header on its first line ({e})") from None
    if not known or header.get("byte_order") != "little":
        raise ClassifierError(f"not a {FORMAT} file of version {FORMAT_VERSION}")
    start = len(data) - n * len(cats) * _FLOAT
    text = data[end + 1 : start]
    if start < end + 1 or text.count(b"\n") != n or (n and not text.endswith(b"\n")):
        raise ClassifierError(f"cut short or damaged: its header announces {n} features")
    weights = array("d")
    weights.frombytes(data[start:])
    if sys.byteorder == "big":
        weights.byteswap()
    columns = tuple(weights[k * n : (k + 1) * n] for k in range(len(cats)))
    return HarmModel(
        {c["name"]: float(c["bias"]) for c in cats},
        tuple(text[:-1].decode("utf-8").split("\n")) if n else (),
        columns,
        {cat: (float(a), float(b), float(c)) for cat, (a, b, c) in header["calibration"].items()},
        dict(header.get("settings", {})),
    )


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_PATH) -> HarmModel:
    """The shipped model, read once; `ClassifierError` (one line) if the file is damaged or
    missing."""
    hint = "rebuild it with `python -m analysis.train_harm`"
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ClassifierError(
            f"the harm model {path} cannot be read ({e.strerror}); {hint}"
        ) from None
    try:
        return unpack(data)
    except ClassifierError as e:
        raise ClassifierError(f"the harm model {path} is unusable: {e}; {hint}") from None
