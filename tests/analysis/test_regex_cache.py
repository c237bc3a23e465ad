"""The cache of compiled expressions: what it gives back is what `re.compile` makes, a second
process reads what the first wrote and classifies exactly as without it, and a damaged, missing
or unwritable cache costs only time."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from analysis import harm_rules, regex_cache, threat
from analysis.harm_regex import Scanner
from analysis.regex_cache import RegexCache

ROOT = Path(__file__).resolve().parents[2]

# groups, named groups, flags, look-arounds, classes, repeats, non-ASCII and emoji
SOURCES = [
    (r"(?<![a-z])(?:kill|hurt)s?\s+(?P<who>him|her)\b", 0),
    (r"  (?<!\w) bomb (?: s | ed )?  # a comment\n", re.VERBOSE),
    (r"[a-zà-ÿ]{2,5}\d*|🔪+|💣", 0),
    (r"(?i)gonna\W{0,3}(get|batter)", 0),
    (r"(a|b)*?c(?=d)(?!e)", re.IGNORECASE),
    (r"^x$", re.MULTILINE),
]
TEXTS = ["i'll kill her tomorrow", "Bombed.", "café 🔪🔪 💣 x", "GONNA...get", "abacd\nx"]


def _spans(pattern: re.Pattern[str]) -> list[list[tuple[int, int]]]:
    return [[m.span() for m in pattern.finditer(t)] for t in TEXTS]


@pytest.mark.parametrize(("source", "flags"), SOURCES)
def test_an_expression_read_back_is_the_one_re_compiles(
    tmp_path: Path, source: str, flags: int
) -> None:
    expected = re.compile(source, flags)
    writer = RegexCache(tmp_path)
    assert writer.compile(source, flags) == expected
    assert (writer.misses, writer.written) == (1, 1)
    reader = RegexCache(tmp_path)  # another process, as far as the cache can tell
    got = reader.compile(source, flags)
    assert (reader.hits, reader.misses) == (1, 0)
    # equal patterns have the same source, flags and program
    assert got == expected
    assert got.pattern == source and got.groupindex == expected.groupindex
    assert _spans(got) == _spans(expected)


def test_the_shipped_rules_and_slots_read_back_as_compiled(tmp_path: Path) -> None:
    rules, frames = harm_rules.load_rules(), threat.load_frames()
    lazy = [r.pattern for r in rules.rules] + [p for p in frames.slot_patterns.values()]
    for p in lazy:
        RegexCache(tmp_path).compile(p.source, p.flags)
    reader = RegexCache(tmp_path)
    for p in lazy:
        assert reader.compile(p.source, p.flags) == re.compile(p.source, p.flags), p
    assert reader.misses == 0 and reader.hits == len(lazy)


def test_the_rules_scanners_read_back_find_what_their_expressions_find(tmp_path: Path) -> None:
    # every rule's scanner built and stored, then read back with no parse and no compile
    rules = harm_rules.load_rules().rules
    raw = tomllib.loads(harm_rules.RULES_PATH.read_text(encoding="utf-8"))["rules"]
    examples = [
        e.lower() for r in raw for e in (*r.get("examples", ()), *r.get("not_examples", ()))
    ]
    assert len(examples) > 100
    texts = [*TEXTS, *examples]
    with regex_cache.using(tmp_path) as built:
        fresh = [Scanner(r.pattern.source, r.pattern.flags) for r in rules]
    with regex_cache.using(tmp_path) as read:
        restored = [Scanner(r.pattern.source, r.pattern.flags) for r in rules]
    assert built.written >= len({r.pattern for r in rules}) and read.misses == 0
    found = 0
    for rule, a, b in zip(rules, fresh, restored, strict=True):
        expected = [[m.span() for m in rule.pattern.regex.finditer(t)] for t in texts]
        assert [a.spans(t) for t in texts] == expected, rule.name
        assert [b.spans(t) for t in texts] == expected, rule.name
        assert [b.first(t, 1) for t in texts] == [a.first(t, 1) for t in texts], rule.name
        found += sum(map(len, expected))
    assert found > 100  # the examples exercise the rules


def test_processes_writing_the_same_expressions_at_once_each_get_them_whole(
    tmp_path: Path,
) -> None:
    # a run's pool workers compile the same frames at the same time into one folder
    script = (
        "import sys, json, re; from pathlib import Path; from analysis.regex_cache import "
        "RegexCache; from analysis import harm_rules\n"
        "c = RegexCache(Path(sys.argv[1]))\n"
        "ps = [r.pattern for r in harm_rules.load_rules().rules]\n"
        "ok = all(c.compile(p.source, p.flags) == re.compile(p.source, p.flags) for p in ps)\n"
        "print(json.dumps({'ok': ok, 'n': len(ps)}))\n"
    )
    env = {**os.environ, regex_cache.ENV: "off", "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outs = [json.loads(p.communicate(timeout=300)[0]) for p in procs]
    assert all(o["ok"] for o in outs), outs
    reader = RegexCache(tmp_path)
    for rule in harm_rules.load_rules().rules:
        p = rule.pattern
        assert reader.compile(p.source, p.flags) == re.compile(p.source, p.flags)
    assert reader.misses == 0
    assert not list(tmp_path.glob(".tmp-*"))  # no half-written file left behind


def test_a_damaged_file_is_compiled_again_and_replaced(tmp_path: Path) -> None:
    source, flags = SOURCES[0]
    RegexCache(tmp_path).compile(source, flags)
    (path,) = tmp_path.glob("*.re")
    blob = bytearray(path.read_bytes())
    blob[-3] ^= 0xFF  # one flipped byte in the program: its checksum no longer holds
    path.write_bytes(bytes(blob))
    cache = RegexCache(tmp_path)
    assert cache.compile(source, flags) == re.compile(source, flags)
    assert (cache.hits, cache.misses, cache.written) == (0, 1, 1)
    path.write_bytes(b"")  # and a file cut short
    assert RegexCache(tmp_path).compile(source, flags) == re.compile(source, flags)
    again = RegexCache(tmp_path)
    again.compile(source, flags)
    assert again.hits == 1


def test_a_folder_that_cannot_be_written_costs_only_time(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be\n")
    cache = RegexCache(blocked / "regex")
    for source, flags in SOURCES:
        assert cache.compile(source, flags) == re.compile(source, flags)
    assert (cache.written, cache.hits) == (0, 0)
    assert list(tmp_path.iterdir()) == [blocked]


def test_where_the_cache_lives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    tag = regex_cache.engine_tag()
    monkeypatch.setenv(regex_cache.ENV, str(tmp_path / "chosen"))
    assert regex_cache.default_folder() == tmp_path / "chosen" / "regex" / tag
    monkeypatch.setenv(regex_cache.ENV, "off")
    assert regex_cache.default_folder() is None
    assert RegexCache(None).compile("a+") == re.compile("a+")
    monkeypatch.delenv(regex_cache.ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert regex_cache.default_folder() == tmp_path / "xdg" / "schoolwatch" / "regex" / tag
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    expected = tmp_path / "home" / ".cache" / "schoolwatch" / "regex" / tag
    assert regex_cache.default_folder() == expected
    # one folder per Python version and regex engine: a program is never read by another
    assert f"-{sys.version_info.micro}-" in tag and sys.implementation.cache_tag in tag


def test_files_not_read_for_a_month_are_removed(tmp_path: Path) -> None:
    old, recent = tmp_path / "old.re", tmp_path / "recent.re"
    other = tmp_path / "notes.txt"
    for p in (old, recent, other):
        p.write_bytes(b"x")
    month_ago = time.time() - (regex_cache.KEEP_DAYS + 1) * 86_400
    os.utime(old, (month_ago, month_ago))
    os.utime(other, (month_ago, month_ago))
    assert regex_cache.remove_unused(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "recent.re"]


CLASSIFY_PINNED = """
import json
from analysis import regex_cache
from analysis.assess import assess_posts
from bench import identity
pin = json.loads(identity.PIN.read_text(encoding="utf-8"))
posts, schools = identity.pinned_inputs(pin)
got = [identity.fingerprint(a) for a in assess_posts(posts, schools)]
changed = sum(g != r["fingerprint"] for g, r in zip(got, pin["posts"], strict=True))
c = regex_cache.shared()
print(json.dumps({"changed": changed, "posts": len(got), "hits": c.hits, "misses": c.misses,
                  "written": c.written, "stale": pin["data"] != identity.data_fingerprint()}))
"""


def _classify_pinned(cache: Path) -> dict:
    env = {**os.environ, regex_cache.ENV: str(cache), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CLASSIFY_PINNED],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result: dict = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_second_process_classifies_every_pinned_post_the_same_from_the_cache(
    tmp_path: Path,
) -> None:
    first = _classify_pinned(tmp_path / "cache")
    if first["stale"]:
        pytest.skip("the pin is stale (test_pinned_assessments says what to do)")
    assert first["written"] > 50, first
    assert first["changed"] == 0, first
    second = _classify_pinned(tmp_path / "cache")
    assert second["changed"] == 0, second
    # everything the first process compiled, the second read; it compiled nothing
    assert second["written"] == 0 and second["misses"] == 0, second
    assert second["hits"] >= first["written"], (first, second)
