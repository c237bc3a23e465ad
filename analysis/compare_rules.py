"""Compare two versions of the harm rules on labelled posts: which posts each rule hits.

    uv run python -m analysis.compare_rules OLD.toml [NEW.toml] --data FILE.jsonl ...

For every rule (and the `roles`, `crime`, `not_crime`, `sensitive` and `pupil` lists) it prints
how many posts only the old version hits and how many only the new one, with a few examples of
each. Rule hits are features of the trained model: when any differ, it must be retrained.
NEW defaults to the shipped `analysis/data/harm_rules.toml`. An old version can be taken from
git: `git show main:analysis/data/harm_rules.toml > /tmp/old.toml`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

from analysis import harm_normalize, harm_text
from analysis.harm_rules import RULES_PATH, RuleBook, find_hits, parse_rules

LISTS = ("roles", "crime", "not_crime", "sensitive", "pupil")


def _book(path: Path) -> RuleBook:
    with path.open("rb") as f:
        return parse_rules(tomllib.load(f))


def read_posts(paths: list[Path]) -> list[tuple[str, str]]:
    """(id, text) of every post; a line that is not a post is reported and skipped."""
    out = []
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text = " \n".join(x for x in (row.get("title"), row["text"]) if x)
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                print(f"{path}:{n}: skipped, not a post ({e})", file=sys.stderr)
                continue
            out.append((f"{path.name}:{row.get('id', n)}", text))
    return out


def hits(book: RuleBook, text: str) -> set[str]:
    """Names of the rules and lists that match `text`."""
    folded = harm_normalize.for_rules(harm_text.fold(text))
    found = {h.rule.name for h in find_hits(book, folded)}
    found.update(name for name in LISTS if book.first(name, folded))
    return found


def compare(
    old: RuleBook, new: RuleBook, posts: list[tuple[str, str]]
) -> dict[str, tuple[list, list]]:
    """rule -> (posts only the old rules hit, posts only the new rules hit)."""
    diff: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for pid, text in posts:
        a, b = hits(old, text), hits(new, text)
        for name in a - b:
            diff[name][0].append((pid, text))
        for name in b - a:
            diff[name][1].append((pid, text))
    return dict(diff)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old", type=Path, help="the older rules file")
    ap.add_argument("new", type=Path, nargs="?", default=RULES_PATH, help="the newer rules file")
    ap.add_argument("--data", type=Path, nargs="+", required=True, help="JSON-lines post files")
    ap.add_argument("--examples", type=int, default=3, help="examples shown per difference")
    args = ap.parse_args(argv)
    posts = read_posts(args.data)
    diff = compare(_book(args.old), _book(args.new), posts)
    print(f"{len(posts)} posts")
    if not diff:
        print("no differences")
    for name in sorted(diff):
        only_old, only_new = diff[name]
        print(f"{name}: old only {len(only_old)}, new only {len(only_new)}")
        for label, rows in (("old only", only_old), ("new only", only_new)):
            for pid, text in rows[: args.examples]:
                print(f"  {label} {pid}: {text[:160]!r}")
    return 1 if diff else 0


if __name__ == "__main__":
    raise SystemExit(main())
