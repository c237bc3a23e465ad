"""The command line: one clear line and a non-zero exit for bad input, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.cli import main

ROOT = Path(__file__).resolve().parents[2]

MINIMAL = """
[[schools]]
id = "fernhill-abbey"
name = "Fernhill Abbey Primary School, Coldbrook"
names = ["Fernhill Abbey Primary"]
ambiguous_names = ["Fernhill Abbey"]
context = ["Coldbrook"]
people = [{ name = "Ruth Linden", role = "headteacher", aliases = ["Mrs Linden"] }]
"""


def run_cli(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real console entry point in a subprocess, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[[schools]\nid = 1", "not valid TOML"),
        (
            '[[schools]]\nid = "x"\nname = "X"\n[[schools.sources]]\nid = "s"\nkind = "gopher"\n'
            'url = "https://a.example/"',
            "schools[0].sources[0].kind: unknown source kind 'gopher'; valid kinds: rss, web",
        ),
        (
            '[[schools]]\nid = "x"\nname = "X"\n[[schools.sources]]\nid = "s"\nkind = "rss"\n'
            'url = "ftp://a.example/"',
            "schools[0].sources[0].url: 'ftp://a.example/' is not an http(s) URL",
        ),
        ('[http]\ntimeout_s = -1\n[emial]\nfrom = "a@b.example"', "http.timeout_s"),
        ("[email]\nmax_message_bytes = 100", "email.max_message_bytes"),
        (
            '[[schools]]\nid = "x"\nname = "X"\n[[schools.sources]]\nid = "s"\nkind = "web"\n'
            'url = "https://a.example/"\nitem = "article..post"\ntext = "p"',
            "schools[0].sources[0].item: invalid CSS selector 'article..post'",
        ),
    ],
)
def test_invalid_config_is_one_line_per_problem_and_exit_2(tmp_path, capsys, toml, expected):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(toml)
    assert main(["run", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err
    assert not (tmp_path / "data").exists(), "nothing written for an invalid config"


def test_every_problem_is_reported_not_just_the_first(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[http]\ntimeout_s = -1\n[emial]\nfrom = "a@b.example"')
    main(["sql", "--config", str(cfg), "SELECT 1"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    assert any("emial: unknown key" in line for line in lines)


def test_missing_config_file(tmp_path, capsys):
    assert main(["run", "--config", str(tmp_path / "nope.toml")]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_unwritable_warehouse_path_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[warehouse]\npath = "{blocker}/sub/wh.duckdb"\n' + MINIMAL)
    result = run_cli("run", "--config", str(cfg))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("schoolwatch: ")


def test_classify_reads_json_lines_and_writes_one_per_input(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(MINIMAL)
    posts = [
        {"id": "a", "text": "Lovely nativity at Fernhill Abbey in Coldbrook today."},
        {"id": "b", "text": "Nothing about any school here."},
    ]
    result = run_cli(
        "classify", "--config", str(cfg), stdin="".join(json.dumps(p) + "\n" for p in posts)
    )
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b"]
    assert [o["mentions"] for o in out] == [True, False]
    for o in out:
        assert set(o) >= {
            "id",
            "mentions",
            "categories",
            "severity",
            "rung",
            "sentiment",
            "evidence",
        }


def test_sql_explains_a_missing_warehouse_and_bad_queries(tmp_path, capsys):
    from warehouse import Warehouse

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[warehouse]\npath = "{tmp_path}/wh.duckdb"\n' + MINIMAL)
    assert main(["sql", "--config", str(cfg), "SELECT 1"]) == 1
    assert "no warehouse at" in capsys.readouterr().err
    assert not (tmp_path / "wh.duckdb").exists()

    Warehouse(tmp_path / "wh.duckdb")
    assert main(["sql", "--config", str(cfg), "SELECT count(*) AS n FROM mentions"]) == 0
    out = capsys.readouterr().out
    assert "n" in out.splitlines()[0] and "0" in out
    assert main(["sql", "--config", str(cfg), "SELECT * FROM no_such_view"]) == 1
    err = capsys.readouterr().err
    assert "no_such_view" in err and "Traceback" not in err


def test_readme_documents_every_command():
    from flows.cli import build_parser

    readme = (ROOT / "README.md").read_text()
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert sub.choices is not None
    for name in sub.choices:
        assert f"schoolwatch {name}" in readme, f"README does not document `schoolwatch {name}`"


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--dask-address", "tcp://127.0.0.1:8786"], "need --task-runner dask"),
        (["--dask-workers", "2"], "need --task-runner dask"),
        (["--task-runner", "dask", "--dask-workers", "0"], "must be 1 or more"),
    ],
)
def test_run_refuses_dask_flags_that_cannot_work(tmp_path, capsys, flags, says):
    """Before Prefect or Dask start: one line, exit 2, nothing created."""
    cfg = tmp_path / "schoolwatch.toml"
    cfg.write_text(f'[warehouse]\npath = "{tmp_path}/wh.duckdb"\n' + MINIMAL)
    assert main(["run", "--config", str(cfg), "--no-send", *flags]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "wh.duckdb").exists()
