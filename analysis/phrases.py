"""Phrase lists with named slots, compiled to regular expressions.

The reviewed threat frames (`analysis/data/threat_frames.toml`) are written in this small
notation so that a safeguarding lead can read them without knowing regular expressions:

| write | matches |
|---|---|
| `kill` | the word "kill" |
| `kill*` | "kill", "kills", "killed", "killing", "killer" |
| `i'll` | "i'll", "ill" (an apostrophe may be left out) |
| `beat up` | "beat up", "beat-up", "beat  up" |
| `{weapon}` | any phrase of the slot `weapon` |
| `...` | up to three other words in between, in the same sentence |
| `..6` | up to six other words in between |

Text is matched after `analysis.harm_normalize.for_rules` (lower case, leetspeak, spaced and
stretched letters undone), so phrases are written in plain lower-case words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_GAP = re.compile(r"^\.\.(\.|\d)$")


def _word(token: str) -> str:
    stem = token.endswith("*") and len(token) > 1
    body = token[:-1] if stem else token
    out = []
    for ch in body:
        if ch == "'":
            out.append("'?")
        else:
            out.append(re.escape(ch))
    return "".join(out) + (r"[a-z']*" if stem else "")


def _gap(token: str) -> str:
    # the words in between and the spaces after each
    n = 3 if token == "..." else int(token[2])
    return rf"(?:[^\s.!?]+[\s\-]+){{0,{n}}}?"


def _token(tok: str, slots: Mapping[str, str], phrase: str) -> str:
    if _GAP.match(tok):
        return _gap(tok)
    if tok.startswith("{") and tok.endswith("}"):
        name = tok[1:-1]
        if name not in slots:
            raise ValueError(f"phrase {phrase!r}: unknown slot {{{name}}}")
        return f"(?:{slots[name]})"
    return _word(tok)


_SEP = r"[\s\-]+"
_END = ""  # trie key marking "a phrase ends here"


def compile_phrase(phrase: str, slots: Mapping[str, str]) -> str:
    """The regex body of one phrase; `slots` maps a slot name to its compiled alternation."""
    return alternation([phrase], slots)


def alternation(phrases: list[str], slots: Mapping[str, str]) -> str:
    """One alternation of several phrases. Phrases are merged into a tree by their leading
    words, so a slot that starts twenty phrases is compiled into the pattern once."""
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for tok in phrase.split():
            node = node.setdefault(tok, {})
        node[_END] = {}
    return _compile_node(trie, slots, "; ".join(phrases[:1]))


def _compile_node(node: dict, slots: Mapping[str, str], phrase: str) -> str:
    alts = []
    # longer words first, so "beat up" is tried before "beat"
    for tok in sorted((t for t in node if t != _END), key=lambda t: (-len(t), t)):
        child = node[tok]
        piece = _token(tok, slots, phrase)
        rest = {k: v for k, v in child.items() if k != _END}
        if rest:
            sep = "" if _GAP.match(tok) else _SEP
            tail = f"{sep}(?:{_compile_node(rest, slots, phrase)})"
            piece += f"(?:{tail})?" if _END in child else tail
        alts.append(piece)
    return "|".join(alts)


def bounded(body: str) -> str:
    """`body` as whole words only."""
    return rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])"


def compile_slots(raw: Mapping[str, list[str]]) -> dict[str, str]:
    """Compile every slot (slots may use earlier slots, in file order)."""
    out: dict[str, str] = {}
    for name, phrases in raw.items():
        out[name] = alternation(phrases, out)
    return out
