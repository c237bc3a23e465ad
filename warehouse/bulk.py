"""Bulk appends through Arrow: a run's rows go into each table in one columnar statement.

The store builds each table's values column by column (a list per column name, from the
run's posts and assessments), never a Python tuple per row; each becomes one Arrow array and
the table is appended with `INSERT ... SELECT` from them: DuckDB reads the Arrow buffers
directly instead of converting a Python object per value. Building no row objects also keeps
the run's rows from waking Python's cyclic garbage collector, which otherwise walked every
object of the process at least once per large store. `warehouse.connection.insert_columns`
is the same contract through unnested list parameters; both store exactly the same values (a
test holds them to it).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Protocol

import duckdb
import pyarrow as pa

from warehouse.connection import row_count

_names = itertools.count()

Columns = Mapping[str, Sequence[object]]  # column name -> its values, every list as long


class ColumnWriter(Protocol):
    """Inserts the rows `columns` hold into `table` in one statement."""

    def __call__(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str,
        columns: Columns,
        *,
        on_conflict: str = "",
    ) -> None: ...


def arrow_table(columns: Columns) -> pa.Table:
    """The columns as one Arrow table (types inferred: DuckDB casts on insert)."""
    row_count(columns)
    return pa.table({name: _array(values) for name, values in columns.items()})


# Text and bytes columns are most of a run's values: named, their type is not inferred value
# by value (pyarrow still refuses a value of another type, as inference would)
_NAMED: dict[type, pa.DataType] = {str: pa.string(), bytes: pa.binary()}


def _array(values: Sequence[object]) -> pa.Array:
    first = next((v for v in values if v is not None), None)
    return pa.array(values, type=_NAMED.get(type(first)))


# A run's store writes megabytes in one transaction. Left to its defaults, DuckDB writes all of
# it to the write-ahead log at commit, then again into the file at close (the checkpoint),
# compressing each text column with dictionary and FSST encoding. With no checkpoint threshold
# the commit checkpoints, and a transaction of more than about 100 kB goes straight into the
# file without the log: as durable (the commit returns once the file is synced), written once.
# zstd compresses the text in less time and smaller (numbers and times keep DuckDB's choice).
BULK_WRITE_SETTINGS = ("SET checkpoint_threshold = '0 KiB'", "SET force_compression = 'zstd'")


def prepare_bulk_write(con: duckdb.DuckDBPyConnection) -> None:
    """Settings for a transaction that writes a run (for the connection's database until it
    closes): its commit checkpoints, text compressed with zstd."""
    for setting in BULK_WRITE_SETTINGS:
        con.execute(setting)


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, table: pa.Table) -> Iterator[str]:
    """`table` readable in SQL under the name yielded, for one or more statements."""
    name = f"_arrow_{next(_names)}"
    con.complete()  # a statement before this one (an UPDATE) may still hold the connection
    con.register(name, table)
    try:
        yield name
    finally:
        con.unregister(name)


def append_columns(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Columns,
    *,
    on_conflict: str = "",
) -> None:
    """Append the rows of `columns` to `table` through one Arrow table; `on_conflict` as in
    `insert_columns`."""
    if not row_count(columns):
        return
    with registered(con, arrow_table(columns)) as name:
        names = ", ".join(f'"{c}"' for c in columns)
        insert = f"INSERT INTO {table} ({names}) SELECT {names} FROM {name} {on_conflict}"
        con.execute(insert).complete()
