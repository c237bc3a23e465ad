"""Evidence bundles as zip files with a `MANIFEST.sha256`, and checking one later.

A bundle `C-000011.zip` holds one folder, `C-000011/`, whose last file `MANIFEST.sha256` lists
every other file's sha256 in the format of GNU `sha256sum` (`<64 hex digits>  <path>`), so
anyone can check an unzipped copy with `sha256sum -c MANIFEST.sha256` as well as with
`schoolwatch cases verify`. `verify_bundle` accepts the zip or the unzipped folder and names
every file that changed, is missing or was added.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO

MANIFEST = "MANIFEST.sha256"
MAX_MANIFEST = 16_000_000  # bytes read of a manifest: a bundle lists a few hundred files
CHUNK = 1 << 20
_LINE = re.compile(r"([0-9a-f]{64})  (\S.*)")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_text(files: Mapping[str, bytes]) -> str:
    """The `MANIFEST.sha256` of `files` (path → bytes), in the order given."""
    return "".join(f"{sha256_hex(data)}  {path}\n" for path, data in files.items())


def write_zip(target: Path, folder: str, files: Mapping[str, bytes], when: datetime) -> Path:
    """Write `files` and their manifest under `folder/` in the zip `target`, atomically.

    The zip is built beside `target` and renamed over it, so a reader (the board serving
    it, a person copying it) never sees half a bundle.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    entries = {**files, MANIFEST: manifest_text(files).encode("utf-8")}
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path, data in entries.items():
                info = zipfile.ZipInfo(f"{folder}/{path}", date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o600 << 16
                zf.writestr(info, data)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _digest(stream: IO[bytes]) -> str:
    """sha256 of a stream read in chunks (a bundle may hold large files)."""
    h = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        h.update(chunk)
    return h.hexdigest()


def _read_zip(path: Path) -> tuple[dict[str, str], bytes | None, dict[str, str]]:
    """(sha256 of every file in the zip by its path inside the one top folder, the manifest's
    bytes, the damaged files that cannot be read back: path → why)."""
    digests: dict[str, str] = {}
    manifest: bytes | None = None
    damaged: dict[str, str] = {}
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        tops = {PurePosixPath(n).parts[0] for n in names}
        nested = all(len(PurePosixPath(n).parts) > 1 for n in names)
        prefix = f"{next(iter(tops))}/" if len(tops) == 1 and nested else ""
        for name in names:
            rel = name[len(prefix) :]
            try:
                with zf.open(name) as member:
                    if rel == MANIFEST:
                        manifest = member.read(MAX_MANIFEST)
                    else:
                        digests[rel] = _digest(member)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as e:
                damaged[rel] = str(e)
    return digests, manifest, damaged


def _read_folder(path: Path) -> tuple[dict[str, str], bytes | None]:
    digests: dict[str, str] = {}
    manifest: bytes | None = None
    for f in sorted(path.rglob("*")):
        if not f.is_file():
            continue
        rel = f.relative_to(path).as_posix()
        with f.open("rb") as stream:
            if rel == MANIFEST:
                manifest = stream.read(MAX_MANIFEST)
            else:
                digests[rel] = _digest(stream)
    return digests, manifest


def _parse_manifest(manifest: bytes) -> tuple[dict[str, str], list[str]]:
    """(path → sha256 as listed, one line per malformed line). Strict: any byte changed in
    the manifest either breaks a line, or names another file or hash."""
    if not manifest:
        return {}, [f"changed: {MANIFEST} is empty"]
    listed: dict[str, str] = {}
    bad: list[str] = []
    *lines, last = manifest.decode("utf-8", "replace").split("\n")
    for n, line in enumerate(lines, 1):
        m = _LINE.fullmatch(line)
        if m is None:
            bad.append(f"changed: {MANIFEST} line {n} is not '<sha256>  <file>': {line!r}")
        else:
            listed[m.group(2)] = m.group(1)
    if last:
        bad.append(f"changed: {MANIFEST} does not end with a new line: {last!r}")
    return listed, bad


def verify_bundle(path: str | Path) -> tuple[int, list[str]]:
    """Recompute every file's sha256 against `MANIFEST.sha256` in a bundle (zip or folder).

    Returns (files listed, one line per problem): `changed: F`, `missing: F`, `extra: F`
    (a file the manifest does not list) or a malformed manifest line. No problems: intact.
    """
    path = Path(path)
    damaged: dict[str, str] = {}
    if path.is_dir():
        files, manifest = _read_folder(path)
    elif not path.exists():
        return 0, [f"{path}: no such file or folder"]
    else:
        try:
            files, manifest, damaged = _read_zip(path)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as e:
            return 0, [f"{path}: not a readable zip file ({e})"]
    problems = [f"changed: {name} (damaged inside the zip: {why})" for name, why in damaged.items()]
    if manifest is None:
        return 0, [*problems, f"missing: {MANIFEST} (is this an evidence bundle?)"]
    listed, bad = _parse_manifest(manifest)
    problems += bad
    for name, digest in listed.items():
        if name in damaged:
            continue
        if name not in files:
            problems.append(f"missing: {name}")
        elif files[name] != digest:
            problems.append(f"changed: {name} (its sha256 differs from {MANIFEST})")
    problems += [
        f"extra: {name} (not in {MANIFEST})"
        for name in [*files, *damaged]
        if name not in listed and name != MANIFEST
    ]
    return len(listed), problems
