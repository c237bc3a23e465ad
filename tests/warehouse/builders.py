"""Builders for the values a run hands the warehouse (tests construct them directly)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from schoolwatch.models import (
    Assessment,
    Evidence,
    FetchResult,
    FetchStatus,
    Post,
    Severity,
    Span,
)
from warehouse import Warehouse

SCHOOL = "st-aldrics-brackenford"
SOURCE = "brackenford-parents-forum"
# Wednesday 5 March 2025, 10:00 UTC (GMT: UK time is the same)
T0 = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)


def make_post(
    n: int = 1,
    *,
    text: str = "St Aldric's Brackenford has a lovely new library.",
    title: str = "Library",
    author: str = "ParentOfTwo",
    fetched_at: datetime = T0,
    published_at: datetime | None = T0,
    site: str = "forum.example",
    school_id: str = SCHOOL,
    source_id: str = SOURCE,
) -> Post:
    """A post whose raw bytes follow its text, so an edit changes the sha256."""
    url = f"https://{site}/t/brackenford/{n}"
    raw = f"<article class='post'><h2>{title}</h2><p>{text}</p></article>".encode()
    return Post(
        post_id=f"p{n}",
        source_id=source_id,
        school_id=school_id,
        url=url,
        guid=url,
        title=title,
        text=text,
        author=author,
        published_at=published_at,
        fetched_at=fetched_at,
        raw=raw,
        local=True,
    )


def make_assessment(
    post: Post,
    *,
    categories: tuple[str, ...] = (),
    severity: Severity = "none",
    rung: int = 0,
    sentiment: float = 0.5,
    mentions: bool = True,
    classifier_version: str = "v1",
) -> Assessment:
    evidence = tuple(
        Evidence(c, "text", 0, min(len(post.text), 10), post.text[:10], "test") for c in categories
    )
    return Assessment(
        school_id=post.school_id,
        post_id=post.post_id,
        mentions=mentions,
        matched=(Span("text", 0, 12, post.text[:12]),) if mentions else (),
        categories=categories,
        severity=severity,
        rung=rung,
        sentiment=sentiment,
        evidence=evidence,
        classifier_version=classifier_version,
    )


def flagged(post: Post, **kw) -> Assessment:
    """A defamation assessment (medium severity, rung 2) unless told otherwise."""
    kw.setdefault("categories", ("defamation",))
    kw.setdefault("severity", "medium")
    kw.setdefault("rung", 2)
    kw.setdefault("sentiment", -0.6)
    return make_assessment(post, **kw)


def make_result(
    posts: list[Post],
    *,
    status: FetchStatus = "ok",
    fetched_at: datetime = T0,
    source_id: str = SOURCE,
    error: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    school_id: str = SCHOOL,
) -> FetchResult:
    return FetchResult(
        school_id=school_id,
        source_id=source_id,
        url=f"https://forum.example/{source_id}",
        status=status,
        fetched_at=fetched_at,
        posts=tuple(posts),
        error=error,
        http_status=200 if status == "ok" else (304 if status == "not_modified" else None),
        etag=etag,
        last_modified=last_modified,
    )


def store(
    wh: Warehouse,
    pairs: list[tuple[Post, Assessment]],
    *,
    run_id: str = "run-1",
    fetched_at: datetime = T0,
):
    """Store one run in which one source returned these posts with these assessments."""
    posts = [p for p, _ in pairs]
    return wh.store_run(
        run_id,
        fetched_at,
        [make_result(posts, fetched_at=fetched_at)],
        [a for _, a in pairs],
        posts=posts,
    )


def count(wh: Warehouse, table: str) -> int:
    return wh.query(f"SELECT count(*) FROM {table}")[1][0][0]


HOLD_FILE = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read_only")
print("locked", flush=True)
sys.stdin.readline()
"""


def hold_file(path: Path, mode: str) -> subprocess.Popen:
    """An analyst: another process with the DuckDB file open ("read_only" or "read_write")
    until it reads a line on stdin (`holder.communicate("\\n")`)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_FILE, str(path), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder
