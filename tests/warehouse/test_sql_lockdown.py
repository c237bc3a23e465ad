"""`schoolwatch sql` reads the warehouse and nothing else: no files, URLs or extensions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from flows.cli import main
from schoolwatch.errors import WarehouseError
from warehouse import Warehouse

CONFIG = """
[warehouse]
path = "{path}"

[[schools]]
id = "fernhill-abbey"
name = "Fernhill Abbey Primary School, Coldbrook"
names = ["Fernhill Abbey Primary"]
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    Warehouse(tmp_path / "wh.duckdb")  # created, migrated, empty
    path = tmp_path / "schoolwatch.toml"
    path.write_text(CONFIG.format(path=tmp_path / "wh.duckdb"))
    return path


def sql(config: Path, query: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["sql", "--config", str(config), query])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("SELECT * FROM read_csv('/etc/passwd')", '"/etc/passwd"'),
        ("SELECT * FROM glob('/etc/*')", '"/etc/*"'),
        ("COPY (SELECT * FROM mentions) TO '{tmp}/stolen.csv'", "stolen.csv"),
        ("EXPORT DATABASE '{tmp}/export'", "export"),
        ("ATTACH '{tmp}/other.duckdb' AS other", "other.duckdb"),
        ("INSTALL httpfs", "extensions"),
        ("LOAD httpfs", "extensions"),
    ],
)
def test_files_and_extensions_are_refused_in_one_line(config, capsys, tmp_path, query, names):
    code, out, err = sql(config, query.format(tmp=tmp_path), capsys)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("schoolwatch: query refused: ")
    assert err.rstrip().endswith(
        "schoolwatch sql reads the warehouse only (no files, URLs or extensions)"
    )
    assert names in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schoolwatch.toml", "wh.duckdb"]


def test_urls_are_refused_and_never_requested(config, capsys, httpserver: HTTPServer):
    httpserver.expect_request("/data.csv").respond_with_data("a,b\n1,2\n")
    url = httpserver.url_for("/data.csv")
    code, _, err = sql(config, f"SELECT * FROM read_csv('{url}')", capsys)
    assert code == 1
    assert err.startswith("schoolwatch: query refused: ")
    assert httpserver.log == []


def test_the_lock_cannot_be_lifted_from_the_query(config, capsys):
    code, _, err = sql(config, "SET enable_external_access = true", capsys)
    assert code == 1
    assert "the configuration has been locked" in err
    assert err.count("\n") == 1


def test_queries_on_the_warehouse_still_work(config, capsys):
    code, out, _ = sql(config, "SELECT count(*) AS n FROM mentions", capsys)
    assert code == 0
    assert out.splitlines()[0].strip() == "n"


def test_library_query_is_locked_down_too(tmp_path):
    wh = Warehouse(tmp_path / "wh.duckdb")
    with pytest.raises(WarehouseError, match=r"^query refused: Cannot access file"):
        wh.query(f"COPY (SELECT 1) TO '{tmp_path}/x.csv'")
    # the next connection starts unlocked: the pipeline's own writes are unaffected
    assert wh.purge(datetime(2026, 1, 1, tzinfo=UTC), 90) == 0
