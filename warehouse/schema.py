"""Migrations: the numbered `migrations/NNNN_name.sql` files, applied in order, each in its own
transaction and recorded in `schema_migrations`, so running them again does nothing.

To change the schema add a new file; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse import chain
from warehouse.connection import one_row

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Work a migration needs that SQL cannot do, run right after its file in its transaction.
AFTER: dict[int, Callable[[duckdb.DuckDBPyConnection], object]] = {8: chain.seal}


def available() -> list[tuple[int, str, Path]]:
    """(version, name, file) of every migration shipped, in order."""
    found = []
    for f in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        number, _, name = f.stem.partition("_")
        found.append((int(number), name, f))
    return found


def applied(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Versions already recorded in this database."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    return {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}


def pending(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Migrations not yet applied; works on a read-only connection."""
    (exists,) = one_row(
        con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations'"
    )
    done = set()
    if exists:
        done = {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
    return [f.stem for version, _, f in available() if version not in done]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the pending migrations on an open connection (outside any transaction).

    Returns the names applied now, e.g. `["0001_tables"]`; `[]` when up to date.
    """
    done = applied(con)
    names = []
    for version, name, f in available():
        if version in done:
            continue
        con.begin()
        try:
            con.execute(f.read_text(encoding="utf-8"))
            if version in AFTER:
                AFTER[version](con)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                [version, name, datetime.now(UTC)],
            )
        except BaseException:
            con.rollback()
            raise
        con.commit()
        names.append(f.stem)
    return names
