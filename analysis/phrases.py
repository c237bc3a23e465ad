"""Phrase lists with named slots, compiled to regular expressions.

The reviewed threat frames (`analysis/data/threat_frames.toml`) and the reviewed harm rules
(`analysis/data/harm_rules.toml`) are written in this small notation so that a safeguarding
lead can read them without knowing regular expressions:

| write | matches |
|---|---|
| `kill` | the word "kill" |
| `kill*` | "kill", "kills", "killed", "killing", "killer" |
| `i'll` | "i'll"; in the threat frames also "ill" (an inner apostrophe may be left out) |
| `*ing` | any word ending in "ing" |
| `*` | any one word |
| `y#` | "y7", "y10": `#` is a number (one or more digits) |
| `beat up` | "beat up", "beat-up", "beat  up" |
| `his/her/their` | any one of these words |
| `lost (all) faith` | "lost faith", "lost all faith": a word in brackets may be left out |
| `sick !of/and` | "sick", but not "sick of" or "sick and": `!` is a word that must not be there |
| `!were warn*` | "warned", but not "were warned" (at the start: the word before) |
| `{weapon}` | any phrase of the slot `weapon` |
| `...` | up to three other words in between, in the same sentence |
| `..6` | up to six other words in between |
| `~8` | up to eight other words in between, even across a full stop (harm rules only) |

Text is matched after `analysis.harm_normalize.for_rules` (lower case, leetspeak, spaced and
stretched letters undone), so phrases are written in plain lower-case words. In the threat
frames an intensifier may also sit between two words ("go fucking die", "I will bloody kill
him") and an apostrophe may be left out; the harm rules read their phrases strictly
(`fillers=False`): no intensifier, and an apostrophe must be there ("we're/were" lists both).
The threat frames are searched one sentence at a time, so they may not use `~` gaps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

GAP = re.compile(r"^(?:\.\.(\.|\d)|~\d)$")


def _word(token: str, loose: bool = True) -> str:
    if token == "*":
        return _ANY_WORD
    stem = token.endswith("*") and len(token) > 1
    body = token[:-1] if stem else token
    ending = body.startswith("*") and len(body) > 1
    body = body[1:] if ending else body
    out = [r"[a-z']*"] if ending else []
    for i, ch in enumerate(body):
        if ch == "'" and loose and 0 < i < len(body) - 1:
            out.append("'?")
        elif ch == "#":
            out.append(r"\d+")
        else:
            out.append(re.escape(ch))
    return "".join(out) + (r"[a-z']*" if stem else "")


_ANY_WORD = r"\w[\w']*"
# "3/5" and "24/7" are one word, not a choice between "3" and "5"
_NOT_CHOICE = re.compile(r"^[\d.]*/[\d.]*$")


def _choice(token: str, loose: bool) -> str:
    # "his/her/their": one of several words, the longest tried first
    split = "/" in token.strip("/") and not _NOT_CHOICE.match(token)
    words = token.split("/") if split else [token]
    if len(words) == 1:
        return _word(words[0], loose)
    alts = sorted(words, key=lambda w: (-len(w), w))
    return "(?:" + "|".join(_word(w, loose) for w in alts) + ")"


def _gap(token: str) -> str:
    # the words in between and the spaces after each
    if token.startswith("~"):  # also across a full stop
        return rf"(?:\S+[\s\-]+){{0,{int(token[1])}}}?"
    n = 3 if token == "..." else int(token[2])
    return rf"(?:[^\s.!?]+[\s\-]+){{0,{n}}}?"


def _optional(tok: str) -> bool:
    return len(tok) > 2 and tok.startswith("(") and tok.endswith(")")


def _negative(tok: str) -> bool:
    return len(tok) > 1 and tok.startswith("!")


def _token(tok: str, slots: Mapping[str, str], phrase: str, loose: bool) -> str:
    if GAP.match(tok):
        return _gap(tok)
    if _optional(tok) or _negative(tok):
        return _token(tok[1:-1] if _optional(tok) else tok[1:], slots, phrase, loose)
    if tok.startswith("{") and tok.endswith("}"):
        name = tok[1:-1]
        if name not in slots:
            raise ValueError(f"phrase {phrase!r}: unknown slot {{{name}}}")
        return f"(?:{slots[name]})"
    return _choice(tok, loose)


# between two words of a phrase: spaces, and an intensifier people put in ("go fucking die",
# "I will bloody kill him") without changing what the phrase means
_SEP = r"[\s\-]+(?:(?:fucking|fuckin|fkn|effing|bloody|frigging|friggin|flipping)[\s\-]+)?"
_PLAIN_SEP = r"[\s\-]+"
_END = ""  # trie key marking "a phrase ends here"


def compile_phrase(phrase: str, slots: Mapping[str, str], *, fillers: bool = True) -> str:
    """The regex body of one phrase; `slots` maps a slot name to its compiled alternation."""
    return alternation([phrase], slots, fillers=fillers)


def alternation(phrases: list[str], slots: Mapping[str, str], *, fillers: bool = True) -> str:
    """One alternation of several phrases. Phrases are merged into a tree by their leading
    words, so a slot that starts twenty phrases is compiled into the pattern once. Without
    `fillers` (the harm rules), no intensifier is allowed between two words and an apostrophe
    must be there as written ("we're" is not "were")."""
    sep = _SEP if fillers else _PLAIN_SEP
    return _compile_node(_trie(phrases), slots, "; ".join(phrases[:1]), sep, "", fillers)


def in_order(phrases: list[str]) -> list[str]:
    """The distinct phrases in the order `alternation` tries them at a position. Regex
    alternation distributes over what precedes and follows it (`x(?:a|b)y` tries exactly what
    `xay|xby` tries, in that order), so `alternation(phrases)` finds exactly what the
    alternation of these phrases one by one, in this order, finds; and a run of consecutive
    phrases of this list is one part of it."""
    out: list[str] = []

    def visit(node: dict, words: tuple[str, ...]) -> None:
        for tok in _ordered(node):
            child = node[tok]
            visit(child, (*words, tok))
            if _END in child:  # a phrase ending here is tried after those going on
                out.append(" ".join((*words, tok)))

    visit(_trie(phrases), ())
    return out


def _trie(phrases: list[str]) -> dict:
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for tok in phrase.split():
            node = node.setdefault(tok, {})
        node[_END] = {}
    return trie


def _ordered(node: dict) -> list[str]:
    """`node`'s tokens in the order `_compile_node` tries them: longer words first (so "beat
    up" is tried before "beat"), optional and negative words after the others."""
    toks = sorted((t for t in node if t != _END), key=lambda t: (-len(t), t))
    plain = [t for t in toks if not (_optional(t) or _negative(t))]
    return plain + [t for t in toks if _optional(t) or _negative(t)]


def _compile_node(
    node: dict, slots: Mapping[str, str], phrase: str, sep: str, lead: str, loose: bool
) -> str:
    """The alternation of `node`'s phrases, each preceded by `lead` (a separator, or nothing
    at the start of a phrase and after a gap)."""
    plain, special = [], []
    for tok in _ordered(node):
        child = node[tok]
        body = _token(tok, slots, phrase, loose)
        rest = {k: v for k, v in child.items() if k != _END}
        zero_width = _optional(tok) or _negative(tok)
        # what the next word starts with: no separator after a gap, nor after an optional or
        # negative word at the start
        next_lead = "" if GAP.match(tok) or (zero_width and not lead) else sep
        tail = ""
        if rest:
            tail = f"(?:{_compile_node(rest, slots, phrase, sep, next_lead, loose)})"
            if _END in child:
                tail += "?"
        if _negative(tok):
            special.append(_not_here(tok[1:], body, lead) + tail)
        elif _optional(tok):
            special.append((f"(?:{lead}{body})?" if lead else f"(?:{body}{sep})?") + tail)
        else:
            plain.append(body + tail)
    alts = []
    if plain:
        alts.append(f"{lead}(?:{'|'.join(plain)})" if lead else "|".join(plain))
    return "|".join(alts + special)


def _not_here(words: str, body: str, lead: str) -> str:
    if lead:
        return rf"(?!{lead}{body}(?![a-z0-9]))"
    # at the start of a phrase: the word before (each a fixed width, as look-behind needs)
    out = []
    for w in words.split("/"):
        if "*" in w or "#" in w or "'" in w:
            raise ValueError(f"{'!' + words!r}: a word before a phrase must be plain")
        out.append(rf"(?<!{re.escape(w)}\s)(?<!{re.escape(w)}-)")
    return "".join(out)


def bounded(body: str, chars: str = "a-z0-9") -> str:
    """`body` as whole words only (no character of `chars` either side)."""
    return rf"(?<![{chars}])(?:{body})(?![{chars}])"


def compile_slots(raw: Mapping[str, list[str]], *, fillers: bool = True) -> dict[str, str]:
    """Compile every slot (slots may use earlier slots, in file order)."""
    out: dict[str, str] = {}
    for name, phrases in raw.items():
        out[name] = alternation(phrases, out, fillers=fillers)
    return out
