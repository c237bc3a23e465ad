"""Every file a run writes is its owner's only: the CLI sets umask 077 before anything else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Opens the warehouse, writes, and reports the modes while DuckDB's write-ahead log still
# exists (it is folded into the database file and removed on close).
WRITE_AND_STAT = """
import os, stat, sys
from pathlib import Path
from warehouse.connection import connect
if sys.argv[1] == "cli":
    from flows.cli import main
    main(["classify", "--config", "missing.toml"])  # any command: the umask comes first
path = Path(sys.argv[2])
con = connect(path)
con.execute("CREATE TABLE posts AS SELECT 'Parents at St Osric''s are furious' AS text")
wal = Path(str(path) + ".wal")
outbox = path.parent / "outbox"
outbox.mkdir()
(outbox / "digest.eml").write_text("Subject: digest")
for f in (wal, outbox, outbox / "digest.eml"):
    print(oct(stat.S_IMODE(f.stat().st_mode)))
con.close()
"""


def modes(tmp_path: Path, how: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", WRITE_AND_STAT, how, str(tmp_path / "wh.duckdb")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        # the umask a school's server usually has, whatever this test runner's is
        preexec_fn=lambda: os.umask(0o022),
    )
    return result.stdout.split()


def test_wal_outbox_and_their_files_are_owner_only(tmp_path):
    assert modes(tmp_path, "cli") == ["0o600", "0o700", "0o600"]


def test_without_the_cli_the_wal_would_be_world_readable(tmp_path):
    # what the first test guards against: DuckDB creates the log with the process's umask
    assert modes(tmp_path, "library") == ["0o644", "0o755", "0o644"]


SNAPSHOT = """
import os, stat, sys
from pathlib import Path
from schoolwatch.files import private_files
from warehouse import Warehouse
private_files()
wh = Warehouse(Path(sys.argv[1]) / "data" / "wh.duckdb")
wh.snapshot(Path(sys.argv[1]) / "data" / "snapshots", mode=0o640)
for f in ("data", "data/wh.duckdb", "data/snapshots", "data/snapshots/flagged.parquet"):
    print(oct(stat.S_IMODE((Path(sys.argv[1]) / f).stat().st_mode)))
"""


def test_snapshots_are_excepted_and_their_folder_lets_their_readers_in(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", SNAPSHOT, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert result.stdout.split() == ["0o700", "0o600", "0o750", "0o640"]
