"""`schoolwatch cases` and `schoolwatch rescore` on a real warehouse file."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace

import duckdb
import pytest

from analysis import CLASSIFIER_VERSION
from flows.cli import main
from tests.warehouse.builders import SCHOOL, flagged, make_post, store
from warehouse import Warehouse
from warehouse.screenprint import ScreenPrinter

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

    export = ["cases", "export", "C-000001", "--out", str(tmp_path / "ev"), "--no-screen-prints"]
    assert main([*export, "--config", cfg]) == 0
    bundle = tmp_path / "ev" / "C-000001.zip"
    assert capsys.readouterr().out.endswith(f"evidence bundle written to {bundle}\n")
    with zipfile.ZipFile(bundle) as zf:
        assert json.loads(zf.read("C-000001/case.json"))["case_id"] == "C-000001"
        files = zf.namelist()
    assert main(["cases", "verify", str(bundle)]) == 0
    assert capsys.readouterr().out == f"all {len(files) - 1} files match\n"

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


def test_verify_names_each_changed_file_and_exits_1(tmp_path, capsys):
    cfg, _ = _setup(tmp_path)
    main(["cases", "export", "C-000001", "--out", str(tmp_path), "--no-screen-prints",
          "--config", cfg])  # fmt: skip
    bundle = tmp_path / "C-000001.zip"
    with zipfile.ZipFile(bundle) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    with zipfile.ZipFile(bundle, "w") as zf:
        for name, data in files.items():
            if name.endswith("v1.txt"):
                data = data.replace(b"steals", b"stells")
            if not name.endswith("action_log.csv"):
                zf.writestr(name, data)
    capsys.readouterr()
    assert main(["cases", "verify", str(bundle)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "changed: posts/01/v1.txt (its sha256 differs from MANIFEST.sha256)",
        "missing: action_log.csv",
    ]


def test_verify_warehouse_finds_an_edited_row(tmp_path, capsys):
    cfg, wh = _setup(tmp_path)
    assert main(["cases", "verify", "--warehouse", "--config", cfg]) == 0
    assert capsys.readouterr().out == "all 1 versions match\n"
    con = duckdb.connect(str(wh.path))
    con.execute("UPDATE post_contents SET text = replace(text, 'steals', 'is kind')")
    con.close()
    assert main(["cases", "verify", "--warehouse", "--config", cfg]) == 1
    assert capsys.readouterr().out == (
        "st-aldrics-brackenford post p1 version 1: the chain hash does not match the row's "
        "fields (row edited)\n"
    )
    assert main(["cases", "verify", "--config", cfg]) == 2
    assert capsys.readouterr().err == (
        "schoolwatch: cases verify: give a BUNDLE to check, or --warehouse (one of the two)\n"
    )


def test_list_and_show_as_json(tmp_path, capsys):
    cfg, wh = _setup(tmp_path)
    wh.record_action("C-000001", 2, "reported", "Head")
    later = make_post(2, author="Concerned", text="Mr Haddon at St Aldric's Brackenford steals.")
    store(wh, [(later, flagged(later, rung=3))], run_id="run-2")
    assert main(["cases", "list", "--format", "json", "--config", cfg]) == 0
    [case] = json.loads(capsys.readouterr().out)
    due = wh.case_detail("C-000001").case.respond_by
    assert {k: case[k] for k in REQUIRED} == {
        "case_id": "C-000001",
        "school_id": SCHOOL,
        "site": "forum.example",
        "author": "Concerned",
        "status": "open",
        "recommended_rung": 3,
        "last_action_rung": 2,
        "respond_by": due.isoformat(),
        "post_ids": ["p1", "p2"],
    }
    assert main(["cases", "show", "C-000001", "--format", "json", "--config", cfg]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {k: shown[k] for k in REQUIRED} == {k: case[k] for k in REQUIRED}
    assert [p["post_id"] for p in shown["posts"]] == ["p1", "p2"]
    assert shown["actions"][0]["note"] == "reported"
    assert shown["posts"][0]["evidence"][0]["category"] == "defamation"


REQUIRED = ["case_id", "school_id", "site", "author", "status", "recommended_rung",
            "last_action_rung", "respond_by", "post_ids"]  # fmt: skip


@pytest.mark.skipif(ScreenPrinter.find().browser is None, reason="Chromium not installed")
def test_export_takes_a_stamped_screen_print_through_the_configured_client(
    tmp_path, capsys, httpserver
):
    httpserver.expect_request("/t/9").respond_with_data(
        "<h1>Brackenford forum</h1><p>Mr Haddon steals.</p>", content_type="text/html"
    )
    cfg = tmp_path / "schoolwatch.toml"
    cfg.write_text(
        CONFIG + "\n[http]\nrespect_robots = false\nmin_interval_s = 0\n"
        "\n[evidence]\nscreenprint_timeout_s = 60\n"
    )
    wh = Warehouse(tmp_path / "wh.duckdb")
    url = httpserver.url_for("/t/9")
    post = replace(make_post(9, author="Concerned", text="Mr Haddon at St Aldric's Brackenford "
                             "steals."), url=url, guid=url)  # fmt: skip
    store(wh, [(post, flagged(post))])
    args = ["cases", "export", "C-000001", "--out", str(tmp_path), "--config", str(cfg)]
    assert main(args) == 0
    with zipfile.ZipFile(tmp_path / "C-000001.zip") as zf:
        meta = json.loads(zf.read("C-000001/posts/01/metadata.json"))["screenprint"]
        png = zf.read("C-000001/posts/01/screenprint.png")
        summary = zf.read("C-000001/summary.html").decode()
    assert meta["taken"] is True and meta["page_status"] == "HTTP 200"
    assert png.startswith(b"\x89PNG")
    assert "St Aldric&#39;s C of E Primary School, Brackenford" in summary
