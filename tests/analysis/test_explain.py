"""`schoolwatch classify --explain` says which steps decided each category."""

from __future__ import annotations

import io
import json
from pathlib import Path

from analysis.explain import explain_stream
from schoolwatch.config import load_config

CONFIG = Path(__file__).resolve().parents[1] / "data" / "analysis" / "core_schools.toml"


def _explain(*posts: dict) -> str:
    config = load_config(CONFIG)
    out = io.StringIO()
    lines = [json.dumps({"school": config.schools[0].id, "local": True, **p}) for p in posts]
    explain_stream(config, lines, out)
    return out.getvalue()


def test_a_framed_threat_names_its_frame_and_confidence() -> None:
    config = load_config(CONFIG)
    school = config.schools[0]
    text = f"{school.names[0]}: im gonna st4b that teacher tomorrow"
    out = _explain({"id": "t1", "text": text})
    assert "intent:" in out
    assert "read as:" in out and "stab" in out  # the leetspeak undone
    assert "threat: confidence" in out
    assert "severity critical" in out


def test_counter_evidence_is_shown_and_no_category_set() -> None:
    config = load_config(CONFIG)
    text = f"{config.schools[0].names[0]} netball team: we're gonna kill them on saturday"
    out = _explain({"id": "t2", "text": text})
    assert "set aside: intent" in out and "sport" in out
    assert "no category" in out


def test_unreadable_line_is_reported_and_the_rest_goes_on() -> None:
    config = load_config(CONFIG)
    out = io.StringIO()
    bad = explain_stream(
        config,
        ["not json", json.dumps({"id": "ok", "text": "hello", "school": config.schools[0].id})],
        out,
    )
    assert bad == 1
    assert "line 1:" in out.getvalue() and "post ok" in out.getvalue()
