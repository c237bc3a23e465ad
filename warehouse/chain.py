"""The hash chain over stored versions: an edited `post_contents` row is detectable.

Each version of a post records `prev_hash` (the previous version's `chain_hash`, NULL for
version 1) and its own `chain_hash`:

    chain_hash = sha256( UTF-8 of the compact JSON array
        [prev_hash or "", school_id, post_id, version, fetched_at, url, sha256, title, text] )

`fetched_at` is written in UTC as `2025-03-05T10:00:00.000000+00:00`; `sha256` is the stored
digest of the raw bytes, so the raw item is covered through it (`verify` recomputes that
digest from the bytes too). `run_id` is not covered: it is bookkeeping, not evidence.

The store computes both as it builds a run's rows (`version_hash`), so every version is
appended sealed; `seal` fills them for rows stored without them (once, by the migration that
added the chain, for every row stored before it); `verify` recomputes everything and returns
one line per problem.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring

import duckdb


@dataclass(frozen=True, slots=True)
class Link:
    """The fields of one stored version that the chain covers."""

    school_id: str
    post_id: str
    version: int
    fetched_at: datetime
    url: str
    sha256: str
    title: str
    text: str


@functools.lru_cache(maxsize=1024)
def _instant(when: datetime) -> str:
    """`when` as the chain writes it; a run's posts share a few fetch times, each written once."""
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="microseconds")


def chain_hash(link: Link, prev_hash: str | None) -> str:
    """The chain hash of one version given the previous version's (None for version 1)."""
    return version_hash(
        prev_hash,
        link.school_id,
        link.post_id,
        link.version,
        link.fetched_at,
        link.url,
        link.sha256,
        link.title,
        link.text,
    )


def version_hash(
    prev_hash: str | None,
    school_id: str,
    post_id: str,
    version: int,
    fetched_at: datetime,
    url: str,
    sha256: str,
    title: str,
    text: str,
) -> str:
    """`chain_hash` from the fields themselves: the store computes a run's versions with it
    as it builds their rows, so they are appended sealed.

    The canonical text is what `json.dumps(fields, ensure_ascii=False, separators=(",", ":"))`
    writes, put together here with json's own string escaping (a test holds the two to the same
    text): a run hashes every new version, and the general encoder costs more than the hash.
    """
    canonical = (
        f"[{_string(prev_hash or '')},{_string(school_id)},{_string(post_id)},"
        f"{_int(version)},{_string(_instant(fetched_at))},{_string(url)},{_string(sha256)},"
        f"{_string(title)},{_string(text)}]"
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_string = encode_basestring  # json's escaping when ensure_ascii=False
_int = int.__repr__  # how json writes an int; refuses anything else instead of misprinting


_LINK_COLUMNS = "school_id, post_id, version, fetched_at, url, sha256, title, text"


def seal(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> int:
    """Chain the unsealed versions stored by `run_id` (every unsealed one when None).

    Only the run's own rows: a row whose chain hash was blanked later is reported by
    `verify`, never silently sealed again by the next run. Returns the rows sealed.
    """
    rows = con.execute(
        f"SELECT {_LINK_COLUMNS} FROM post_contents WHERE chain_hash IS NULL "
        "AND ($1::VARCHAR IS NULL OR run_id = $1) ORDER BY school_id, post_id, version",
        [run_id],
    ).fetchall()
    if not rows:
        return 0
    links = [Link(*r) for r in rows]
    prior = _previous_hashes(con, links)
    sealed: list[tuple[str, str, int, str | None, str]] = []
    for link in links:
        prev = prior.get((link.school_id, link.post_id, link.version - 1))
        digest = chain_hash(link, prev)
        prior[(link.school_id, link.post_id, link.version)] = digest
        sealed.append((link.school_id, link.post_id, link.version, prev, digest))
    cols = list(zip(*sealed, strict=True))
    con.execute(
        "UPDATE post_contents SET prev_hash = s.prev, chain_hash = s.digest FROM ("
        " SELECT unnest($1) AS school_id, unnest($2) AS post_id, unnest($3) AS version,"
        " unnest($4::VARCHAR[]) AS prev, unnest($5) AS digest) s "
        "WHERE post_contents.school_id = s.school_id AND post_contents.post_id = s.post_id "
        "AND post_contents.version = s.version",
        [list(c) for c in cols],
    )
    return len(sealed)


def _previous_hashes(
    con: duckdb.DuckDBPyConnection, links: Iterable[Link]
) -> dict[tuple[str, str, int], str | None]:
    """The stored chain hashes of the versions just before `links` (already sealed ones)."""
    keys = {(k.school_id, k.post_id, k.version - 1) for k in links if k.version > 1}
    if not keys:
        return {}
    schools, posts, versions = (list(c) for c in zip(*keys, strict=True))
    rows = con.execute(
        "SELECT v.school_id, v.post_id, v.version, v.chain_hash FROM post_contents v JOIN ("
        " SELECT unnest($1) AS school_id, unnest($2) AS post_id, unnest($3) AS version) k "
        "USING (school_id, post_id, version)",
        [schools, posts, versions],
    ).fetchall()
    return {(s, p, v): h for s, p, v, h in rows}


def verify(con: duckdb.DuckDBPyConnection) -> tuple[int, list[str]]:
    """Recompute every version's digest and chain: (versions checked, one line per problem)."""
    rows = con.execute(
        f"SELECT {_LINK_COLUMNS}, sha256(raw) = sha256 AS raw_ok, prev_hash, chain_hash "
        "FROM post_contents ORDER BY school_id, post_id, version"
    ).fetchall()
    problems: list[str] = []
    previous: dict[tuple[str, str], tuple[int, str | None]] = {}
    for *fields, raw_ok, prev, stored in rows:
        link = Link(*fields)
        problems += _check(link, raw_ok, prev, stored, previous.get((link.school_id, link.post_id)))
        previous[(link.school_id, link.post_id)] = (link.version, stored)
    problems += _missing_latest(con)
    return len(rows), problems


def _check(
    link: Link,
    raw_ok: bool,
    prev: str | None,
    stored: str | None,
    before: tuple[int, str | None] | None,
) -> list[str]:
    where = f"{link.school_id} post {link.post_id} version {link.version}"
    if stored is None:
        return [f"{where}: not sealed (its chain hash is empty)"]
    out = []
    if not raw_ok:
        out.append(f"{where}: the raw bytes do not match their sha256 (raw or sha256 edited)")
    if chain_hash(link, prev) != stored:
        out.append(f"{where}: the chain hash does not match the row's fields (row edited)")
    expected_version = 1 if before is None else before[0] + 1
    if link.version != expected_version:
        out.append(f"{where}: version {expected_version} is missing before it")
    elif before is not None and prev != before[1]:
        out.append(f"{where}: its previous hash is not version {before[0]}'s chain hash")
    elif before is None and prev is not None:
        out.append(f"{where}: version 1 must have no previous hash")
    return out


def _missing_latest(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT p.school_id, p.post_id, p.latest_version, max(v.version) FROM posts p "
        "LEFT JOIN post_contents v USING (school_id, post_id) GROUP BY ALL "
        "HAVING max(v.version) IS DISTINCT FROM p.latest_version ORDER BY ALL"
    ).fetchall()
    return [
        f"{s} post {p}: the latest version is {latest} but versions stop at {top or 0} "
        "(versions deleted)"
        for s, p, latest, top in rows
    ]
