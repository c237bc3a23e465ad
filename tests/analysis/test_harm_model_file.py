"""The harm model's file (`analysis.harm_model.pack`/`unpack`) holds exactly its weights.

The weights are shipped as 64-bit floats after a JSON header and the features as text, so the
model loads without parsing numbers. Whatever the layout, a model read back must weigh every
feature as the training structure did (0.0 where a category does not weigh it), score as a
plain per-category sum, give the same bytes when written again, and a damaged file must be
refused with one line that says what to do.
"""

from __future__ import annotations

import json
import math
import struct
from functools import reduce
from operator import add
from pathlib import Path
from typing import Any

import pytest

from analysis import harm_model
from analysis.harm_model import HarmModel, load_model, pack, unpack
from analysis.train_harm import as_json
from schoolwatch.errors import ClassifierError

RAW: dict[str, Any] = {
    "C": 8.0,
    "min_df": 2,
    "calibration": {"a": [1.5, 0.0, -0.25], "b": [1.0, 2.0, 3.0]},
    "categories": {
        "b": {"bias": -0.3, "weights": {"y": 0.25, "z": 4.0, "naïve word": -0.0312}},
        "a": {"bias": 0.1, "weights": {"x": 1.5, "y": -2.0}},
    },
}


def _plain_probabilities(raw: dict, feats: list[str]) -> dict[str, float]:
    """P(category) from the training structure's per-category weights."""
    uniq = sorted(set(feats))
    scale = 1.0 / math.sqrt(len(uniq)) if uniq else 0.0
    out = {}
    for cat, v in sorted(raw["categories"].items()):
        s = reduce(add, (v["weights"].get(f, 0.0) for f in uniq), 0.0)
        z = v["bias"] + s * scale
        out[cat] = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
    return out


def test_columns_hold_each_categorys_weight_in_name_order() -> None:
    model = HarmModel.from_dict(RAW)
    assert model.categories == ("a", "b")  # sorted, as the shipped file has always listed them
    assert model.features == ("naïve word", "x", "y", "z")
    assert [list(c) for c in model.columns] == [[0.0, 1.5, -2.0, 0.0], [-0.0312, 0.0, 0.25, 4.0]]
    assert model.contributions("b", ["z", "x", "y", "nothing"]) == {"y": 0.25, "z": 4.0}


def test_a_model_written_and_read_back_is_the_same() -> None:
    model = HarmModel.from_dict(RAW)
    data = pack(model)
    again = unpack(data)
    assert again == model
    assert again.to_dict() == {**RAW, "categories": dict(sorted(RAW["categories"].items()))}
    assert pack(again) == data
    for feats in ([], ["x"], ["y", "z", "naïve word"], ["x", "y", "z", "unknown", "x"]):
        assert again.probabilities(feats) == _plain_probabilities(RAW, feats)


def test_the_file_is_a_header_the_features_and_little_endian_floats() -> None:
    data = pack(HarmModel.from_dict(RAW))
    head, rest = data.split(b"\n", 1)
    header = json.loads(head)
    assert header["format"] == "schoolwatch-harm-model" and header["features"] == 4
    assert rest.startswith("naïve word\nx\ny\nz\n".encode())
    floats = rest[len("naïve word\nx\ny\nz\n".encode()) :]
    assert floats == struct.pack("<8d", 0.0, 1.5, -2.0, 0.0, -0.0312, 0.0, 0.25, 4.0)


def test_the_shipped_file_is_written_as_it_reads() -> None:
    # the file is exactly what `pack` writes for its own weights: the training script's
    # --check compares these bytes, so they must not depend on anything but the weights
    model = load_model()
    assert pack(model) == harm_model.MODEL_PATH.read_bytes()
    assert len(model.features) > 100_000 and set(model.categories) >= {"threat", "hate"}


def test_the_shipped_model_scores_as_the_plain_sum() -> None:
    model = load_model()
    raw = json.loads(as_json(model))
    some = list(model.features[:: max(1, len(model.features) // 300)])
    for feats in ([], some[:1], some[:40], some, [*some[:20], "no such feature"]):
        assert model.probabilities(feats) == _plain_probabilities(raw, feats)


def test_no_stored_weight_is_zero() -> None:
    # a 0.0 in a column means "not weighed": training leaves out weights under 0.02
    model = load_model()
    raw = model.to_dict()
    stored = sum(len(v["weights"]) for v in raw["categories"].values())
    assert stored == sum(sum(w != 0.0 for w in col) for col in model.columns)
    assert all(abs(w) >= 0.02 for v in raw["categories"].values() for w in v["weights"].values())


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda d: d[: len(d) - 8], "cut short or damaged"),
        (lambda d: d + b"\0", "cut short or damaged"),
        (lambda d: d.replace(b"\nx\n", b"\nx\nextra\n", 1), "cut short or damaged"),
        (lambda d: b"{}" + d, "no model header"),
        (lambda d: b"", "no model header"),
        (lambda d: d.replace(b'"version": 1', b'"version": 2'), "not a schoolwatch-harm-model"),
        (lambda d: json.dumps(RAW).encode(), "no model header"),  # the JSON of older versions
        # scoring adds the weights in the features' order: it must be their name order
        (lambda d: d.replace(b"\nx\ny\n", b"\ny\nx\n", 1), "not in name order"),
    ],
)
def test_a_damaged_file_is_refused_with_one_clear_line(tmp_path: Path, damage, says) -> None:
    bad = tmp_path / "harm_model.bin"
    bad.write_bytes(damage(pack(HarmModel.from_dict(RAW))))
    with pytest.raises(ClassifierError) as caught:
        load_model(bad)
    message = str(caught.value)
    assert says in message and str(bad) in message and "train_harm" in message
    assert "\n" not in message


def test_a_missing_file_is_refused_with_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(ClassifierError, match=r"cannot be read .*train_harm"):
        load_model(tmp_path / "harm_model.bin")


def test_a_feature_with_a_line_break_cannot_be_written() -> None:
    raw = {"categories": {"a": {"bias": 0.0, "weights": {"two\nlines": 1.0}}}}
    with pytest.raises(ValueError, match="line break"):
        pack(HarmModel.from_dict(raw))
