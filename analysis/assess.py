"""One post in, one `Assessment` out: match, then harm, sentiment and the ladder.

Also `classify_stream`, the body of `schoolwatch classify` (DESIGN.md §7): JSON lines in,
one JSON line out per input, no network and no database.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from analysis import CLASSIFIER_VERSION, ladder
from analysis.harm import assess_harm
from analysis.matching import match_school
from analysis.sentiment import sentiment
from schoolwatch.config import Config, SchoolConfig
from schoolwatch.errors import ConfigError
from schoolwatch.models import Assessment, Post


def assess(school: SchoolConfig, *, post_id: str, title: str, text: str, local: bool) -> Assessment:
    """Assess one post for one school.

    A post that does not mention the school gets `mentions=False`, no categories, severity
    "none", rung 0 and sentiment 0.0 (it is not stored, so its sentiment is not computed).
    """
    title, text = title or "", text or ""
    match = match_school(school, title, text, local=local)
    if not match.mentions:
        return Assessment(
            school_id=school.id,
            post_id=post_id,
            mentions=False,
            matched=(),
            categories=(),
            severity="none",
            rung=0,
            sentiment=0.0,
            evidence=(),
            classifier_version=CLASSIFIER_VERSION,
        )
    matched = tuple(sorted(match.spans + match.people, key=lambda s: (s.field != "title", s.start)))
    harm = assess_harm(title, text, school, matched, local=local)
    serious = ladder.is_serious_defamation(harm.evidence)
    return Assessment(
        school_id=school.id,
        post_id=post_id,
        mentions=True,
        matched=matched,
        categories=harm.categories,
        severity=ladder.severity(harm.categories, serious_defamation=serious),
        rung=ladder.first_rung(harm.categories),
        sentiment=sentiment(title, text, matched),
        evidence=harm.evidence,
        classifier_version=CLASSIFIER_VERSION,
        confidence=dict(harm.confidence),
    )


def assess_posts(posts: Iterable[Post], schools: dict[str, SchoolConfig]) -> list[Assessment]:
    """Assess each post for the school it was collected for (`post.school_id`).

    Raises `ConfigError` for a post whose school is not in `schools`.
    """
    out = []
    for post in posts:
        school = schools.get(post.school_id)
        if school is None:
            known = ", ".join(sorted(schools)) or "none"
            raise ConfigError(
                f"post {post.post_id}: unknown school {post.school_id!r}; known: {known}"
            )
        out.append(
            assess(school, post_id=post.post_id, title=post.title, text=post.text, local=post.local)
        )
    return out


def assessment_json(a: Assessment) -> dict[str, Any]:
    """The `schoolwatch classify` output object for one assessment (DESIGN.md §7).

    `confidence` maps each category given to its calibrated probability (0..1). Beyond the
    contract's fields: `reason` on each evidence span, and `matched`, the spans that made the
    post a mention of the school (names, or people's names on a local source).
    """
    return {
        "id": a.post_id,
        "mentions": a.mentions,
        "categories": list(a.categories),
        "severity": a.severity,
        "rung": a.rung,
        "sentiment": round(a.sentiment, 4),
        "confidence": {c: round(p, 4) for c, p in a.confidence.items()},
        "evidence": [e.as_dict() for e in a.evidence],
        "matched": [m.as_dict() for m in a.matched],
    }


class BadLine(ValueError):
    """One input line that cannot be classified; the message goes into its `error` field."""


def _field(obj: dict[str, Any], key: str, kind: type, default: Any = None) -> Any:
    value = obj.get(key, default)
    if value is not None and not isinstance(value, kind):
        raise BadLine(f"{key!r} must be a {kind.__name__}")
    return value


def parse_line(config: Config, line: str) -> tuple[str, SchoolConfig, dict[str, Any]]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise BadLine(f"not valid JSON: {e}") from None
    if not isinstance(obj, dict):
        raise BadLine("each line must be a JSON object")
    post_id = obj.get("id")
    if not isinstance(post_id, str | int) or isinstance(post_id, bool) or str(post_id) == "":
        raise BadLine("'id' is required (a string)")
    text = _field(obj, "text", str)
    if text is None:
        raise BadLine("'text' is required (a string)")
    school_id = _field(obj, "school", str)
    if school_id is None:
        if len(config.schools) != 1:
            known = ", ".join(s.id for s in config.schools) or "none"
            raise BadLine(f"'school' is required when the config has several schools ({known})")
        school = config.schools[0]
    else:
        try:
            school = config.school(school_id)
        except ConfigError as e:
            raise BadLine(str(e)) from None
    fields = {
        "title": _field(obj, "title", str, "") or "",
        "text": text,
        "local": bool(_field(obj, "local", bool, False)),
    }
    return str(post_id), school, fields


def _error_id(line: str) -> Any:
    """The input's id as given, if the line is readable enough to have one."""
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        return None
    return obj.get("id") if isinstance(obj, dict) else None


def classify_stream(config: Config, lines: Iterable[str], out: TextIO) -> int:
    """`schoolwatch classify`: one JSON object per input line in, one JSON line out each.

    Input objects: `{"id", "text", "title"?, "school"?, "local"?}`; `school` defaults to
    the only school in `config`. Output: `{"id", "mentions", "categories", "severity",
    "rung", "sentiment", "confidence", "evidence"}`. A line that cannot be classified gets
    `{"id", "line", "error"}` instead and processing continues; blank lines are skipped.
    Returns the number of bad lines.
    """
    bad = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            post_id, school, fields = parse_line(config, line)
            result = assessment_json(assess(school, post_id=post_id, **fields))
            result["id"] = _error_id(line)  # echo the id as given (a number stays a number)
        except (BadLine, RecursionError) as e:
            bad += 1
            message = str(e) if isinstance(e, BadLine) else "JSON nested too deeply"
            result = {"id": _error_id(line), "line": number, "error": message}
        # ASCII escapes keep the output valid whatever the input held (lone surrogates too).
        out.write(json.dumps(result) + "\n")
        out.flush()
    return bad
