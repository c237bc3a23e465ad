"""How well the classifier's `confidence` matches how often it is right, on held-out posts.

    uv run python -m analysis.calibration --real-dir ../shared/data/jigsaw \
        --out docs/calibration.png

Every category the classifier sets on a post of the held-out sets (the adversarial sets in
`analysis/data/eval/`, and the held-out real comments when `--real-dir` has them) gives one
point: its confidence, and whether the label agrees. Points are binned by confidence; a
well-calibrated classifier is right in about 70 % of the cases it gives 0.7. Prints the table
and draws it (reliability diagram) for `docs/`.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analysis.assess import classify_stream
from analysis.evaluate import EVAL_DIR, FED_KEYS, load_labelled
from schoolwatch.config import Config, load_config

BINS = (0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)


def points(config: Config, records: Sequence[dict[str, Any]], measured: set[str] | None = None):
    """(category, confidence, right) for every category set on `records`."""
    lines = [json.dumps({k: r[k] for k in FED_KEYS if k in r}) for r in records]
    out = io.StringIO()
    classify_stream(config, lines, out)
    res = []
    for r, line in zip(records, out.getvalue().splitlines(), strict=True):
        got = json.loads(line)
        expected = set(r["labels"]["categories"])
        for cat, conf in got.get("confidence", {}).items():
            if measured is None or cat in measured:
                res.append((cat, float(conf), cat in expected))
    return res


def table(pts: Sequence[tuple[str, float, bool]]) -> list[tuple[float, float, int, float]]:
    """Per bin: (low, high, count, share right)."""
    rows = []
    for lo, hi in itertools.pairwise(BINS):
        inside = [right for _, c, right in pts if lo <= c < hi]
        if inside:
            rows.append((lo, min(hi, 1.0), len(inside), sum(inside) / len(inside)))
    return rows


def collect(real_dir: Path | None) -> dict[str, list[tuple[str, float, bool]]]:
    """Points per held-out set."""
    from analysis import real_comments

    sets: dict[str, list[tuple[str, float, bool]]] = {}
    fict = []
    for posts in sorted(EVAL_DIR.glob("*_posts.jsonl")):
        name = posts.name.removesuffix("_posts.jsonl")
        cfg = load_config(next(EVAL_DIR.glob(f"{name}_school*.toml")))
        fict.extend(points(cfg, load_labelled(posts)))
    sets["adversarial fictional sets"] = fict
    if real_dir is not None and (real_dir / "train.jsonl").exists():
        cfg = load_config(real_comments.SCHOOL_CONFIG)
        recs = list(real_comments.as_records(real_comments.load(real_dir, split="heldout")))
        sets["held-out real comments"] = points(cfg, recs, set(real_comments.MEASURED))
    return sets


def plot(sets: dict[str, list[tuple[str, float, bool]]], out: Path) -> None:
    """Draw the reliability diagram of each set, threats and all categories."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5), dpi=110)
    ax.plot([0, 1], [0, 1], color="#999", linestyle="--", label="perfect calibration")
    styles = {"all categories": "o-", "threat": "s-"}
    for name, pts in sets.items():
        for which, style in styles.items():
            sub = [p for p in pts if which == "all categories" or p[0] == which]
            rows = table(sub)
            if rows:
                xs = [(lo + hi) / 2 for lo, hi, _, _ in rows]
                ax.plot(xs, [r for *_, r in rows], style, label=f"{name}: {which} (n={len(sub)})")
    ax.set_xlabel("confidence given")
    ax.set_ylabel("share of those labels that were right")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title("Calibration on posts never trained on")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m analysis.calibration", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--real-dir", type=Path, help="folder with the real comments")
    ap.add_argument("--out", type=Path, help="write the reliability diagram (PNG) here")
    args = ap.parse_args(argv)
    sets = collect(args.real_dir)
    for name, pts in sets.items():
        print(f"{name}: {len(pts)} labels set")
        for lo, hi, n, right in table(pts):
            print(f"  confidence {lo:.1f}-{hi:.1f}: {n:5d} labels, {right:.0%} right")
        threats = [p for p in pts if p[0] == "threat"]
        for lo, hi, n, right in table(threats):
            print(f"  threat {lo:.1f}-{hi:.1f}: {n:5d}, {right:.0%} right")
    if args.out:
        plot(sets, args.out)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
