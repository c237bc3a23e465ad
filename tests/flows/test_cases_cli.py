"""`schoolwatch cases` and `schoolwatch rescore` on a real warehouse file."""

from __future__ import annotations

import json

from analysis import CLASSIFIER_VERSION
from flows.cli import main
from tests.warehouse.builders import SCHOOL, flagged, make_post, store
from warehouse import Warehouse

CONFIG = """
[warehouse]
path = "wh.duckdb"

[[schools]]
id = "st-aldrics-brackenford"
name = "St Aldric's C of E Primary School, Brackenford"
names = ["St Aldric's Brackenford"]
people = [{ name = "Luke Haddon", role = "teaching assistant", aliases = ["Mr Haddon"] }]
"""


def _setup(tmp_path):
    cfg = tmp_path / "schoolwatch.toml"
    cfg.write_text(CONFIG)
    wh = Warehouse(tmp_path / "wh.duckdb")
    post = make_post(1, author="Concerned", text="Mr Haddon at St Aldric's Brackenford steals.")
    store(wh, [(post, flagged(post))])
    return str(cfg), wh


def test_list_show_act_close_export(tmp_path, capsys):
    cfg, wh = _setup(tmp_path)
    assert main(["cases", "list", "--config", cfg]) == 0
    listing = capsys.readouterr().out
    assert "C-000001" in listing and "Concerned" in listing

    assert main(["cases", "show", "C-000001", "--config", cfg]) == 0
    shown = capsys.readouterr().out
    assert "report_and_hide" in shown and "Mr Haddon" in shown and "evidence (defamation)" in shown

    args = ["cases", "action", "C-000001", "--rung", "2", "--note", "reported", "--by", "Head"]
    assert main([*args, "--config", cfg]) == 0
    assert wh.last_action_rungs(SCHOOL) == {("forum.example", "Concerned"): 2}

    assert (
        main(["cases", "export", "C-000001", "--out", str(tmp_path / "ev"), "--config", cfg]) == 0
    )
    bundle = tmp_path / "ev" / "C-000001"
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["case_id"] == "C-000001"

    assert main(["cases", "close", "C-000001", "--by", "Head", "--config", cfg]) == 0
    capsys.readouterr()
    assert main(["cases", "list", "--config", cfg]) == 0
    assert "C-000001" not in capsys.readouterr().out


def test_unknown_case_is_one_clear_line(tmp_path, capsys):
    cfg, _ = _setup(tmp_path)
    assert main(["cases", "show", "C-999999", "--config", cfg]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "schoolwatch: no case C-999999; try 'schoolwatch cases list'"


def test_rescore_reassesses_old_versions_and_keeps_history(tmp_path, capsys):
    cfg, wh = _setup(tmp_path)  # stored with classifier_version "v1"
    assert main(["rescore", "--config", cfg]) == 0
    assert "re-assessed 1 stored posts" in capsys.readouterr().out
    versions = wh.query(
        "SELECT classifier_version FROM assessments ORDER BY assessed_at, classifier_version"
    )[1]
    assert [v for (v,) in versions] == ["v1", CLASSIFIER_VERSION]
    assert main(["rescore", "--config", cfg]) == 0
    assert "re-assessed 0 stored posts" in capsys.readouterr().out
