"""A case's evidence bundle: the policies' "screen prints of messages or web pages, and the
time and date of the incident", as one zip anyone can open, check and hand over.

    C-000011.zip
      C-000011/
        summary.html            for a solicitor or the police: the case in plain words
        case.json               the same as data
        action_log.csv          every action SLT recorded, and the closing
        notice_of_complaint.html / .txt   defamation cases only: pre-filled, for SLT to complete
        posts/01/metadata.json  the post: URL, fetch times, HTTP status and Date, sha256s, chain
        posts/01/v1.raw         every stored version exactly as fetched
        posts/01/v1.txt         its title and text, readable
        posts/01/screenprint.png   the page in Chromium, stamped with the time and date
        MANIFEST.sha256         every other file's sha256 (`sha256sum -c` format)

`collect` reads everything from the warehouse (one short read); `write_bundle` takes the
screen prints (no warehouse connection open meanwhile: a slow site must not hold the file)
and writes the zip.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import jinja2

from schoolwatch.models import RUNG_NAMES, FlaggedItem
from warehouse.bundle import MANIFEST, write_zip
from warehouse.cases import case_detail
from warehouse.notice import defamation_notice, is_defamation_case
from warehouse.records import CaseDetail, utc
from warehouse.screenprint import ScreenPrint, ScreenPrinter

LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One stored version of a post, with the fetch that brought it."""

    version: int
    fetched_at: datetime
    url: str
    sha256: str
    raw: bytes
    title: str
    text: str
    prev_hash: str | None
    chain_hash: str | None
    fetched_from: str | None  # the feed or page the fetch asked for
    http_status: int | None
    http_date: str | None  # the server's Date header on that response


@dataclass(frozen=True, slots=True)
class CaseEvidence:
    """Everything a bundle holds that comes from the warehouse."""

    detail: CaseDetail
    versions: dict[str, tuple[StoredVersion, ...]]  # by post_id


def collect(con: duckdb.DuckDBPyConnection, case_id: str) -> CaseEvidence:
    """The case and every stored version of its posts; `WarehouseError` for an unknown id."""
    detail = case_detail(con, case_id)
    versions = {item.post_id: _versions(con, item) for item in detail.items}
    return CaseEvidence(detail, versions)


def _versions(con: duckdb.DuckDBPyConnection, item: FlaggedItem) -> tuple[StoredVersion, ...]:
    rows = con.execute(
        "SELECT v.version, v.fetched_at, v.url, v.sha256, v.raw, v.title, v.text, v.prev_hash, "
        "v.chain_hash, f.url, f.http_status, f.http_date FROM post_contents v "
        "LEFT JOIN fetches f ON f.run_id = v.run_id AND f.school_id = v.school_id "
        "AND f.source_id = $3 "
        "WHERE v.school_id = $1 AND v.post_id = $2 ORDER BY v.version",
        [item.school_id, item.post_id, item.source_id],
    ).fetchall()
    return tuple(
        StoredVersion(
            version=r[0],
            fetched_at=utc(r[1]),
            url=r[2],
            sha256=r[3],
            raw=bytes(r[4]),
            title=r[5],
            text=r[6],
            prev_hash=r[7],
            chain_hash=r[8],
            fetched_from=r[9],
            http_status=r[10],
            http_date=r[11],
        )
        for r in rows
    )


# ---- the files -------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return None if value is None else utc(value).isoformat()


def _uk(value: datetime | None) -> str:
    if value is None:
        return "unknown"
    local = value.astimezone(LONDON)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M:%S} UK time"


def _version_entry(folder: str, v: StoredVersion) -> dict:
    return {
        "version": v.version,
        "fetched_at": _iso(v.fetched_at),
        "url": v.url,
        "fetched_from": v.fetched_from,
        "http_status": v.http_status,
        "http_date": v.http_date,
        "sha256": v.sha256,
        "sha256_verified": hashlib.sha256(v.raw).hexdigest() == v.sha256,
        "prev_hash": v.prev_hash,
        "chain_hash": v.chain_hash,
        "raw_file": f"{folder}/v{v.version}.raw",
        "text_file": f"{folder}/v{v.version}.txt",
        "bytes": len(v.raw),
    }


def _print_entry(folder: str, shot: ScreenPrint | None) -> dict:
    if shot is None:
        return {"taken": False, "reason": "screen prints were turned off for this export"}
    checked = {"page_status": shot.page_status} if shot.page_status else {}
    if shot.png is None:
        return {
            "taken": False,
            "reason": shot.reason,
            "tried_at": _iso(shot.taken_at),
            **checked,
        }
    return {
        "taken": True,
        "file": f"{folder}/screenprint.png",
        "url": shot.url,
        "taken_at": _iso(shot.taken_at),
        "browser": shot.browser,
        **checked,
    }


def _post_metadata(
    folder: str, item: FlaggedItem, versions: tuple[StoredVersion, ...], shot: ScreenPrint | None
) -> dict:
    return {
        "post_id": item.post_id,
        "source_id": item.source_id,
        "url": item.url,
        "author": item.author,
        "title": item.title,
        "published_at": _iso(item.published_at),
        "first_seen_at": _iso(item.first_seen_at),
        "categories": list(item.categories),
        "confidence": item.confidence,
        "severity": item.severity,
        "rung": item.rung,
        "rung_name": RUNG_NAMES[item.rung],
        "evidence": [e.as_dict() for e in item.evidence],
        "versions": [_version_entry(folder, v) for v in versions],
        "screenprint": _print_entry(folder, shot),
    }


def case_data(ev: CaseEvidence, posts: list[dict], now: datetime) -> dict:
    """`case.json`: the case, its actions and every post's metadata."""
    d = ev.detail
    c = d.case
    return {
        "case_id": c.case_id,
        "school_id": c.school_id,
        "site": c.site,
        "author": c.author,
        "status": c.status,
        "recommended_rung": c.rung,
        "recommended_rung_name": RUNG_NAMES[c.rung],
        "last_action_rung": c.last_action_rung,
        "opened_at": _iso(c.opened_at),
        "respond_by": _iso(c.respond_by),
        "closed_at": _iso(c.closed_at),
        "closed_by": d.closed_by,
        "close_note": d.close_note,
        "exported_at": _iso(now),
        "actions": [
            {
                "rung": a.rung,
                "rung_name": RUNG_NAMES[a.rung],
                "note": a.note,
                "by": a.by,
                "recorded_at": _iso(a.recorded_at),
            }
            for a in d.actions
        ],
        "posts": posts,
    }


def action_log_csv(ev: CaseEvidence) -> str:
    """Every action on the case, oldest first, then its closing (if closed)."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(["recorded_at_utc", "rung", "rung_name", "by", "note"])
    for a in ev.detail.actions:
        out.writerow([_iso(a.recorded_at), a.rung, RUNG_NAMES[a.rung], a.by, a.note])
    c = ev.detail.case
    if c.closed_at is not None:
        out.writerow([_iso(c.closed_at), "", "closed", ev.detail.closed_by, ev.detail.close_note])
    return buf.getvalue()


def _marked(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is_evidence) at the evidence spans (overlaps merged)."""
    pieces, at = [], 0
    for start, end in sorted(spans):
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        pieces += [(text[at:start], False), (text[start:end], True)]
        at = end
    pieces.append((text[at:], False))
    return [p for p in pieces if p[0]]


def _summary_view(data: dict, items: tuple[FlaggedItem, ...]) -> dict:
    by_id = {i.post_id: i for i in items}
    posts = []
    for p in data["posts"]:
        item = by_id[p["post_id"]]
        spans = [(e.start, e.end) for e in item.evidence if e.field == "text"]
        posts.append({**p, "marked": _marked(item.text, spans)})
    return {**data, "posts": posts}


def _html(name: str, **values: object) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("warehouse", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["uk"] = lambda iso: _uk(None if iso is None else datetime.fromisoformat(iso))
    return env.get_template(name).render(**values)


def bundle_files(
    ev: CaseEvidence,
    now: datetime,
    prints: dict[str, ScreenPrint],
    school_name: str = "",
) -> dict[str, bytes]:
    """Every file of the bundle but the manifest (path → bytes), in order. Pure."""
    files: dict[str, bytes] = {}
    posts = []
    for n, item in enumerate(ev.detail.items, 1):
        folder = f"posts/{n:02d}"
        versions = ev.versions.get(item.post_id, ())
        shot = prints.get(item.post_id)
        for v in versions:
            files[f"{folder}/v{v.version}.raw"] = v.raw
            files[f"{folder}/v{v.version}.txt"] = f"{v.title}\n\n{v.text}\n".encode()
        if shot is not None and shot.png is not None:
            files[f"{folder}/screenprint.png"] = shot.png
        meta = _post_metadata(folder, item, versions, shot)
        files[f"{folder}/metadata.json"] = _json(meta)
        posts.append(meta)
    data = case_data(ev, posts, now)
    notice = defamation_notice(ev.detail, school_name) if is_defamation_case(ev.detail) else None
    if notice is not None:
        files["notice_of_complaint.html"] = notice.html.encode()
        files["notice_of_complaint.txt"] = notice.text.encode()
    files["action_log.csv"] = action_log_csv(ev).encode()
    files["case.json"] = _json(data)
    files["summary.html"] = _html(
        "summary.html.j2",
        v=_summary_view(data, ev.detail.items),
        school_name=school_name or data["school_id"],
        notice=notice is not None,
        manifest=MANIFEST,
    ).encode()
    return files


def _json(value: object) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()


def write_bundle(
    ev: CaseEvidence,
    dest_dir: Path,
    now: datetime,
    printer: ScreenPrinter | None,
    school_name: str = "",
) -> Path:
    """Take the screen prints (unless `printer` is None) and write `dest_dir/<case_id>.zip`."""
    prints: dict[str, ScreenPrint] = {}
    case_id = ev.detail.case.case_id
    for n, item in enumerate(ev.detail.items, 1):
        if printer is not None:
            prints[item.post_id] = printer.take(item.url, f"case {case_id}, post {n}")
    files = bundle_files(ev, now, prints, school_name)
    return write_zip(dest_dir / f"{case_id}.zip", case_id, files, now)
