"""Train the harm model shipped in `analysis/data/harm_model.json`.

    uv run python -m analysis.train_harm            # rebuild the shipped model
    uv run python -m analysis.train_harm --cv       # leave-one-school-out figures
    uv run python -m analysis.train_harm --check    # exit 1 if the shipped model is stale

Training data: the labelled posts of three fictional schools copied to `analysis/data/train/`
(never the dev set), plus `larkfield_posts.jsonl` and `ashcombe_posts.jsonl`, fictional schools
written for this model to widen its phrasings (ashcombe: grievances without strong negative
words, such as mixed reviews, costs, safety, unfairness and communication, beside hard
negatives such as news and questions with negative words, or praise with a gripe that is not
the school's fault). The model is one logistic regression per category over binary
features (`analysis.harm_features`: n-grams with names replaced by placeholders, word classes
and the weak rules' hits from `analysis/data/harm_rules.toml`); it is exported as plain
weights, so scoring needs no scikit-learn and no pickle. Training is deterministic: same data,
same code, same file. Edit the rules file, then rerun this script (rule hits are features).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from analysis.harm_model import feature_values
from schoolwatch.config import SchoolConfig, parse_config
from schoolwatch.models import CATEGORIES

DATA = Path(__file__).resolve().parent / "data"
TRAIN = DATA / "train"
MODEL_PATH = DATA / "harm_model.json"
CORPORA = ("moorside", "quayside", "celtic")  # the shared training schools; one CV fold each
# written for this model to widen its phrasings (same conventions); always trained on, never
# a cross-validation fold, so the held-out figures stay about unseen schools' writers
EXTRA = ("larkfield", "ashcombe")
MODEL_CATEGORIES = CATEGORIES
MIN_DF = 2
C = 8.0
# per-category regularisation where cross-validation preferred another value
C_BY_CATEGORY: dict[str, float] = {}


@dataclass(frozen=True, slots=True)
class Example:
    corpus: str
    title: str
    text: str
    school: SchoolConfig
    local: bool
    categories: tuple[str, ...]
    severity: str
    mentions: bool


def load_corpus(name: str, root: Path = TRAIN) -> list[Example]:
    """Labelled posts of one training corpus, with their school configs."""
    cfg_path = next(root.glob(f"{name}_*.toml"))
    schools = {s.id: s for s in parse_config(cfg_path.read_text(encoding="utf-8")).schools}
    out = []
    for line in (root / f"{name}_posts.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        lab = r["labels"]
        out.append(
            Example(
                corpus=name,
                title=r.get("title") or "",
                text=r["text"],
                school=schools[r["school"]],
                local=bool(r.get("local")),
                categories=tuple(lab["categories"]),
                severity=lab["severity"],
                mentions=bool(lab["mentions"]),
            )
        )
    return out


def _matrix(rows: list[list[str]], vocab: dict[str, int]) -> csr_matrix:
    data, indices, indptr = [], [], [0]
    for feats in rows:
        # the values scoring uses (harm_model.feature_values), so the two cannot drift apart
        known = sorted((vocab[f], v) for f, v in feature_values(feats).items() if f in vocab)
        indices.extend(i for i, _ in known)
        data.extend(v for _, v in known)
        indptr.append(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(rows), len(vocab)), dtype=np.float64)


def features_of(e: Example) -> list[str]:
    """The model features of a labelled post, rule hits included (as at run time)."""
    from analysis import harm

    return harm.post_features(e.title, e.text, e.school)


def _trains(cat: str, e: Example) -> bool:
    # "complaint" is learnt as complaint-or-nothing among posts with no other category: the
    # classifier asks it only when nothing more serious applies
    return cat != "complaint" or not set(e.categories) - {"complaint"}


def train(examples: list[Example]) -> dict:
    """Fit one logistic regression per category; return the exportable model."""
    # posts that do not mention the school carry no labels at all, so they would teach the
    # model that a grievance about some other place is "nothing": leave them out
    examples = [e for e in examples if e.mentions]
    rows = [features_of(e) for e in examples]
    df = Counter(f for feats in rows for f in set(feats))
    vocab_list = sorted(f for f, n in df.items() if n >= MIN_DF or f.startswith("#"))
    vocab = {f: i for i, f in enumerate(vocab_list)}
    x = _matrix(rows, vocab)
    model: dict = {"min_df": MIN_DF, "C": C, "categories": {}}
    for cat in MODEL_CATEGORIES:
        keep = np.array([_trains(cat, e) for e in examples])
        y = np.array([cat in e.categories for e in examples], dtype=int)
        c = C_BY_CATEGORY.get(cat, C)
        clf = LogisticRegression(
            C=c, class_weight="balanced", max_iter=2000, solver="liblinear", random_state=0
        )
        clf.fit(x[keep], y[keep])
        coef = clf.coef_[0]
        weights = {
            vocab_list[i]: round(float(coef[i]), 4) for i in np.flatnonzero(np.abs(coef) >= 1e-3)
        }
        model["categories"][cat] = {
            "bias": round(float(clf.intercept_[0]), 4),
            "weights": dict(sorted(weights.items())),
        }
    return model


def render(model: dict) -> str:
    """The model file's exact text (sorted keys, fixed rounding: byte-for-byte reproducible)."""
    return json.dumps(model, sort_keys=True, ensure_ascii=False, indent=0) + "\n"


def build() -> str:
    """Train on all training corpora and return the model file's text."""
    examples = [e for name in (*CORPORA, *EXTRA) for e in load_corpus(name)]
    return render(train(examples))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if the shipped model is stale")
    ap.add_argument("--cv", action="store_true", help="print leave-one-school-out figures")
    args = ap.parse_args(argv)
    if args.cv:
        from analysis.harm_eval import cross_validate

        cross_validate(CORPORA, EXTRA)
        return 0
    text = build()
    if args.check:
        same = MODEL_PATH.exists() and MODEL_PATH.read_text(encoding="utf-8") == text
        print("harm model is up to date" if same else "harm model is STALE: rerun train_harm")
        return 0 if same else 1
    MODEL_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {MODEL_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
