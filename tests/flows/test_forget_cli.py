"""`schoolwatch forget`: what it erased, which posts an open case holds, snapshots rewritten."""

from __future__ import annotations

import duckdb

from flows.cli import main
from tests.warehouse.builders import SCHOOL, flagged, make_assessment, make_post, store
from warehouse import Warehouse


def _setup(tmp_path):
    config = tmp_path / "schoolwatch.toml"
    config.write_text(f'[[schools]]\nid = "{SCHOOL}"\nname = "St Aldric\'s Brackenford"\n')
    wh = Warehouse(tmp_path / "data" / "schoolwatch.duckdb")
    calm = make_post(1, author="DawnK", text="St Aldric's Brackenford: the jumpers cost a lot")
    accused = make_post(2, author="DawnK", text="St Aldric's Brackenford: Mr X stole a minibus")
    store(wh, [(calm, make_assessment(calm)), (accused, flagged(accused))])
    wh.snapshot(tmp_path / "data" / "snapshots")
    return config, wh


def test_forget_erases_says_what_an_open_case_holds_and_rewrites_snapshots(tmp_path, capsys):
    config, wh = _setup(tmp_path)
    [case] = wh.list_cases()
    assert main(["forget", "--config", str(config), "--author", "DawnK"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "erased 1 post by 'DawnK'"
    assert out[1] == f"  erased  {SCHOOL}  https://forum.example/t/brackenford/1"
    assert out[2].endswith(f"held by open case {case.case_id}")
    assert "close the case (schoolwatch cases close), then run forget again" in out[3]
    assert out[4].startswith("Parquet snapshots in ") and out[4].endswith("rewritten without them")
    snap = tmp_path / "data" / "snapshots" / "mentions.parquet"
    assert duckdb.execute(f"SELECT post_id FROM '{snap}'").fetchall() == [("p2",)]

    # once the case is closed, the held post goes too
    assert main(["cases", "close", case.case_id, "--by", "Head", "--config", str(config)]) == 0
    assert main(["forget", "--config", str(config), "--author", "DawnK"]) == 0
    assert "erased 1 post by 'DawnK'" in capsys.readouterr().out
    assert wh.query("SELECT count(*) FROM posts")[1] == [(0,)]
    assert duckdb.execute(f"SELECT count(*) FROM '{snap}'").fetchone() == (0,)


def test_forget_an_unknown_author_is_one_line_and_exit_1(tmp_path, capsys):
    config, _ = _setup(tmp_path)
    assert main(["forget", "--config", str(config), "--author", "dawnk"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "no stored posts by 'dawnk'; stored authors spelt alike: 'DawnK' on forum.example"
    ]
