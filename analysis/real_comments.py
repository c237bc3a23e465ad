"""Real labelled comments (Jigsaw Toxic Comment Classification, 2018) as labelled posts.

The comments live outside this repository (the project's shared folder,
`../shared/data/jigsaw/train.jsonl` beside the clone; CC BY-SA 3.0 text, CC0 labels) and
are never copied into it: training and `make eval` read them from there. This module maps
their labels to our categories and splits them, deterministically, into a part the model is
trained on and a part it never sees (`heldout`), on which `make eval` reports.

Label mapping (a judgement, documented in docs/classifier.md):

| Jigsaw label | our category |
|---|---|
| `threat` | `threat` (its raters counted wishes of harm and "death to ..." too) |
| `identity_hate` | `hate` |
| `obscene` | `obscene` |
| `insult` | `harassment` (Wikipedia insults are aimed at another editor: a person) |
| every label 0 (toxic known to be 0) | no category ("clean") |

`toxic` and `severe_toxic` have no category of their own. The comments never name a school,
so each is posed as a reply in a thread titled with a fictional school's name
(`analysis/data/eval/real_comments_school.toml`): it then mentions the school, and the
categories are about the comment's own words.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "jigsaw"
SCHOOL_CONFIG = Path(__file__).resolve().parent / "data" / "eval" / "real_comments_school.toml"
SCHOOL_ID = "thornwick-vale-academy"
THREAD_TITLE = "Thornwick Vale Academy"
HELDOUT_SHARE = 5  # one comment in five (by a hash of its id) is never trained on

LABEL_MAP = {
    "threat": "threat",
    "identity_hate": "hate",
    "obscene": "obscene",
    "insult": "harassment",
}
# categories the comments say something about; the others (defamation, personal_data,
# complaint) are about a school and are neither trained nor measured on these comments
MEASURED = frozenset(LABEL_MAP.values())


@dataclass(frozen=True, slots=True)
class Comment:
    id: str
    text: str
    categories: tuple[str, ...]
    clean: bool  # every label 0, toxic included
    toxic: bool  # any label 1


def is_heldout(comment_id: str) -> bool:
    """True for the comments kept out of training (a fixed fifth, by a hash of the id)."""
    return hashlib.sha256(comment_id.encode()).digest()[0] % HELDOUT_SHARE == 0


def _comment(raw: dict[str, Any]) -> Comment:
    labels = raw["labels"]
    cats = tuple(sorted(c for k, c in LABEL_MAP.items() if labels.get(k) == 1))
    known = [v for v in labels.values() if v is not None]
    clean = labels.get("toxic") == 0 and not any(known)
    return Comment(str(raw["id"]), str(raw["text"]), cats, clean, any(v == 1 for v in known))


def load(path: Path | None = None, *, split: str = "all") -> list[Comment]:
    """The comments of `split` ("train", "heldout" or "all") from `path`'s `train.jsonl`."""
    base = path or DEFAULT_PATH
    file = base / "train.jsonl" if base.is_dir() else base
    out = []
    with file.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            c = _comment(json.loads(line))
            held = is_heldout(c.id)
            if split == "all" or (split == "heldout") == held:
                out.append(c)
    return out


def as_records(comments: list[Comment]) -> Iterator[dict[str, Any]]:
    """Labelled-post records (the format of the fictional sets) for `analysis.evaluate`."""
    for c in comments:
        cats = list(c.categories)
        yield {
            "id": f"jigsaw-{c.id}",
            "source": "forum",
            "local": False,
            "title": THREAD_TITLE,
            "text": c.text,
            "school": SCHOOL_ID,
            "labels": {"mentions": True, "categories": cats, "severity": "", "rung": -1},
            "clean": c.clean,
        }
