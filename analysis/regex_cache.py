"""Compiled regular expressions kept on disk between runs, as Python keeps compiled modules.

The classifier's threat frames compile to regular expressions of up to a quarter of a million
characters, and a scheduled run is a new process each day: compiling the fifty or so that the
first posts of a run need took about half a second of every run's start-up, to build exactly
what the day before had built. `compile(source, flags)` returns what `re.compile` returns, but
the first process to compile an expression also writes the engine's program for it to a file,
and later processes read that back instead of parsing and compiling the source again. The
faster scanners of `analysis.harm_regex` keep what they derive from an expression the same way
(`load` and `save`).

A cached expression is the same object `re.compile` makes (two compiled patterns compare equal
when their source, flags and program are the same; a test holds the two to it). What is stored
is the program Python's own compiler produced, so the cache belongs to one Python version and
engine: each has a folder of its own, and anything unexpected (no cache folder, a file that is
truncated, altered or from another engine, a Python whose compiler is laid out differently)
means the expression is compiled from its source as if there were no cache.

Where: `$SCHOOLWATCH_CACHE_DIR/regex/`, or `$XDG_CACHE_HOME/schoolwatch/regex/`, or
`~/.cache/schoolwatch/regex/`. `SCHOOLWATCH_CACHE_DIR=off` switches the cache off. A file not
read for `KEEP_DAYS` days is removed the next time something is written (the rules changed, or
Python did); deleting the folder is always safe.
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import importlib
import logging
import marshal
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ENV = "SCHOOLWATCH_CACHE_DIR"
OFF = "off"
KEEP_DAYS = 30
FORMAT = 1  # of the stored values; a new layout gets a new folder
SUFFIX = ".re"
_DIGEST = 32  # bytes of sha256 in front of each file: the rest must hash to it

# Python's regex parser and compiler (private, with no type stubs: `re.compile` is parse, then
# `_code`, then `_sre.compile`); None on a Python laid out differently, where nothing is cached
# (`analysis.harm_regex` uses them too)
_sre: Any
re_parser: Any
re_compiler: Any
re_constants: Any
try:
    _sre = importlib.import_module("_sre")
    re_compiler = importlib.import_module("re._compiler")
    re_parser = importlib.import_module("re._parser")
    re_constants = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - other Pythons compile every time
    _sre = re_parser = re_compiler = re_constants = None
# the program's words are stored as they are, four bytes each
_USABLE = _sre is not None and array.array("I").itemsize == getattr(_sre, "CODESIZE", 0)

# A compiled expression as stored: (flags, program words as bytes, groups, groupindex,
# indexgroup), the arguments `_sre.compile` takes besides the source
Program = tuple[int, bytes, int, dict[str, int], tuple[str | None, ...]]


def default_folder() -> Path | None:
    """The folder this process caches in (None: the cache is off)."""
    chosen = os.environ.get(ENV, "").strip()
    if chosen.lower() == OFF:
        return None
    if chosen:
        base = Path(chosen)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        try:
            base = (Path(xdg) if xdg else Path.home() / ".cache") / "schoolwatch"
        except RuntimeError:  # no home folder to be found: nowhere to keep it
            return None
    return base / "regex" / engine_tag()


def engine_tag() -> str:
    """The Python and regex engine a stored program is valid for."""
    magic = getattr(_sre, "MAGIC", "none")
    return f"{sys.implementation.cache_tag}-{sys.version_info.micro}-sre{magic}-f{FORMAT}"


def key(*parts: object) -> str:
    """A file name for what `parts` (texts and numbers) identify."""
    text = "\0".join(str(int(p)) if isinstance(p, int) else str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def program(tree: Any, flags: int, source: str | None = None) -> tuple[re.Pattern[str], Program]:
    """Compile a parsed expression as `re._compiler.compile` does, keeping its program."""
    code = re_compiler._code(tree, flags)
    groupindex = dict(tree.state.groupdict)
    indexgroup: list[str | None] = [None] * tree.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    stored: Program = (
        int(flags | tree.state.flags),  # a plain int: marshal does not write `re.RegexFlag`
        array.array("I", code).tobytes(),
        tree.state.groups - 1,
        groupindex,
        tuple(indexgroup),
    )
    pattern: re.Pattern[str] = _sre.compile(source, stored[0], code, *stored[2:])
    return pattern, stored


def from_program(stored: Program, source: str | None = None) -> re.Pattern[str]:
    """The compiled expression `program` kept (a ValueError or TypeError if it is not one)."""
    flags, words, groups, groupindex, indexgroup = stored
    code = array.array("I")
    code.frombytes(words)
    pattern: re.Pattern[str] = _sre.compile(
        source, flags, code.tolist(), groups, groupindex, indexgroup
    )
    return pattern


@dataclass
class RegexCache:
    """Values stored as files in `folder` (None: nothing stored, every expression compiled).
    Counts what it did, for tests and the bench."""

    folder: Path | None
    hits: int = 0
    misses: int = 0
    written: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _pruned: bool = field(default=False, repr=False)

    @property
    def on(self) -> bool:
        return self.folder is not None and _USABLE

    def compile(self, source: str, flags: int = 0) -> re.Pattern[str]:
        """`re.compile(source, flags)`, read from the cache when it holds it."""
        if not self.on:
            return re.compile(source, flags)
        name = key("re", flags, source)
        stored = self.load(name)
        if stored is not None:
            try:
                return from_program(stored, source)
            except Exception as e:  # not a program this engine takes: compile it again
                log.debug("regex cache: %s unusable (%s); compiling", name, e)
        pattern, stored = program(re_parser.parse(source, flags), flags, source)
        self.save(name, stored)
        return pattern

    def load(self, name: str) -> Any:
        """What `save` stored under `name`, or None (not stored, unreadable, or altered)."""
        if not self.on:
            return None
        path = self.folder / f"{name}{SUFFIX}"  # type: ignore[operator]
        value = None
        with contextlib.suppress(OSError):
            blob = path.read_bytes()
            if hashlib.sha256(blob[_DIGEST:]).digest() == blob[:_DIGEST]:
                with contextlib.suppress(Exception):
                    value = marshal.loads(blob[_DIGEST:])
        with self._lock:
            if value is None:
                self.misses += 1
            else:
                self.hits += 1
        if value is not None:
            _touch(path)
        return value

    def save(self, name: str, value: Any) -> None:
        """Store `value` (of the types `marshal` writes) under `name`; nothing when the cache
        is off or the folder cannot be written (a read-only or full disk costs only time)."""
        if not self.on:
            return
        folder: Path = self.folder  # type: ignore[assignment]
        try:
            payload = marshal.dumps(value)
        except ValueError as e:  # a value marshal does not write: a mistake in the caller
            log.warning("regex cache: %s not stored (%s)", name, e)
            return
        blob = hashlib.sha256(payload).digest() + payload
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=SUFFIX)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(blob)
                # whole or not at all, whoever else writes it meanwhile
                os.replace(tmp, folder / f"{name}{SUFFIX}")
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as e:
            log.debug("regex cache: cannot write in %s (%s)", folder, e)
            return
        with self._lock:
            self.written += 1
            prune, self._pruned = not self._pruned, True
        if prune:
            remove_unused(folder)


def _touch(path: Path) -> None:
    """Mark a file as read today (at most once a day), so `remove_unused` keeps it."""
    with contextlib.suppress(OSError):
        if time.time() - path.stat().st_mtime > 86_400:
            os.utime(path)


def remove_unused(folder: Path, keep_days: float = KEEP_DAYS) -> int:
    """Remove the files in `folder` not read for `keep_days` days; how many went."""
    cutoff = time.time() - keep_days * 86_400
    removed = 0
    with contextlib.suppress(OSError):
        for path in folder.iterdir():
            with contextlib.suppress(OSError):
                if path.suffix == SUFFIX and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
    return removed


_shared: RegexCache | None = None
_shared_lock = threading.Lock()


def shared() -> RegexCache:
    """This process's cache, in `default_folder()` as it was when first asked for."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = RegexCache(default_folder())
        return _shared


@contextlib.contextmanager
def using(folder: Path | None) -> Iterator[RegexCache]:
    """This process's cache in `folder` (None: off) for the block, then the one before."""
    global _shared
    cache = RegexCache(folder)
    with _shared_lock:
        before, _shared = _shared, cache
    try:
        yield cache
    finally:
        with _shared_lock:
            _shared = before


def compile(source: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(source, flags)` through this process's cache."""
    return shared().compile(source, flags)
