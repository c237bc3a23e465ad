"""A case's evidence bundle: the policies' "screen prints of messages or web pages, and the
time and date of the incident", as a folder anyone can open and hand over.

    C-000001/
      summary.txt         what, who, where, when, in plain words
      manifest.json       the same as data, with each file's sha256
      posts/01/v1.raw     every stored version exactly as fetched
      posts/01/v1.txt     its title and text, readable
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

import duckdb

from schoolwatch.models import RUNG_NAMES, FlaggedItem
from warehouse.cases import case_detail
from warehouse.records import CaseDetail, utc


def _versions(con: duckdb.DuckDBPyConnection, school_id: str, post_id: str) -> list[tuple]:
    return con.execute(
        "SELECT version, fetched_at, url, sha256, raw, title, text FROM post_contents "
        "WHERE school_id = $1 AND post_id = $2 ORDER BY version",
        [school_id, post_id],
    ).fetchall()


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _write_post(folder: Path, item: FlaggedItem, versions: list[tuple]) -> dict:
    folder.mkdir(parents=True)
    entries = []
    for version, fetched_at, url, sha, raw, title, text in versions:
        (folder / f"v{version}.raw").write_bytes(raw)
        (folder / f"v{version}.txt").write_text(f"{title}\n\n{text}\n", encoding="utf-8")
        entries.append(
            {
                "version": version,
                "fetched_at": _iso(utc(fetched_at)),
                "url": url,
                "sha256": sha,
                "sha256_verified": hashlib.sha256(raw).hexdigest() == sha,
                "raw_file": f"posts/{folder.name}/v{version}.raw",
                "text_file": f"posts/{folder.name}/v{version}.txt",
                "bytes": len(raw),
            }
        )
    return {
        "post_id": item.post_id,
        "source_id": item.source_id,
        "url": item.url,
        "author": item.author,
        "title": item.title,
        "published_at": _iso(item.published_at),
        "first_seen_at": _iso(item.first_seen_at),
        "categories": list(item.categories),
        "severity": item.severity,
        "rung": item.rung,
        "rung_name": RUNG_NAMES[item.rung],
        "evidence": [e.as_dict() for e in item.evidence],
        "versions": entries,
    }


def _manifest(detail: CaseDetail, posts: list[dict], now: datetime) -> dict:
    c = detail.case
    return {
        "case_id": c.case_id,
        "school_id": c.school_id,
        "site": c.site,
        "author": c.author,
        "status": c.status,
        "opened_at": _iso(c.opened_at),
        "respond_by": _iso(c.respond_by),
        "closed_at": _iso(c.closed_at),
        "exported_at": _iso(now),
        "actions": [
            {
                "rung": a.rung,
                "rung_name": RUNG_NAMES[a.rung],
                "note": a.note,
                "by": a.by,
                "recorded_at": _iso(a.recorded_at),
            }
            for a in detail.actions
        ],
        "posts": posts,
    }


def _summary(manifest: dict) -> str:
    m = manifest
    lines = [
        f"Evidence for case {m['case_id']} ({m['status']})",
        f"School: {m['school_id']}",
        f"Poster: {m['author'] or '(no name given)'} on {m['site']}",
        f"Opened: {m['opened_at']}   Respond by: {m['respond_by']}",
        f"Exported: {m['exported_at']} (times are UTC)",
        "",
    ]
    for n, p in enumerate(m["posts"], 1):
        lines += [
            f"Post {n}: {p['title'] or '(no title)'}",
            f"  URL: {p['url']}",
            f"  Published: {p['published_at'] or 'unknown'}   First seen: {p['first_seen_at']}",
            f"  Categories: {', '.join(p['categories'])}   Severity: {p['severity']}   "
            f"Recommended rung: {p['rung']} {p['rung_name']}",
        ]
        lines += [f'  Evidence ({e["category"]}): "{e["text"]}"' for e in p["evidence"]]
        for v in p["versions"]:
            lines.append(
                f"  Version {v['version']}: fetched {v['fetched_at']} from {v['url']}, "
                f"sha256 {v['sha256']}, file {v['raw_file']}"
            )
        lines.append("")
    lines.append("Actions recorded:" if m["actions"] else "No actions recorded.")
    lines += [
        f"  {a['recorded_at']} rung {a['rung']} {a['rung_name']} by {a['by']}: {a['note']}"
        for a in m["actions"]
    ]
    return "\n".join(lines) + "\n"


def export_evidence(
    con: duckdb.DuckDBPyConnection, case_id: str, dest_dir: Path, now: datetime
) -> Path:
    """Write the bundle to `dest_dir/<case_id>/` (replacing an earlier export); return it."""
    detail = case_detail(con, case_id)
    dest_dir.mkdir(parents=True, exist_ok=True)
    # built beside the target and renamed in, so a reader never sees half a bundle
    tmp = Path(tempfile.mkdtemp(prefix=f".{case_id}-", dir=dest_dir))
    try:
        posts = []
        for n, item in enumerate(detail.items, 1):
            versions = _versions(con, item.school_id, item.post_id)
            posts.append(_write_post(tmp / "posts" / f"{n:02d}", item, versions))
        manifest = _manifest(detail, posts, now)
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        (tmp / "summary.txt").write_text(_summary(manifest), encoding="utf-8")
        target = dest_dir / case_id
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
