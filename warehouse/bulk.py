"""Bulk appends through Arrow: a run's rows go into each table in one columnar statement.

Rows are built in Python by the store's row functions (one function per table, so a column
added to a table is one change there), turned into one Arrow table per target table and
appended with `INSERT ... SELECT` from it: DuckDB reads the Arrow buffers directly instead of
converting a Python object per value. `warehouse.connection.insert_rows` is the same contract
through unnested list parameters; both store exactly the same values (a test holds them to it).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

import duckdb
import pyarrow as pa

_names = itertools.count()


class RowWriter(Protocol):
    """Inserts `rows` (tuples in the order of `columns`) into `table` in one statement."""

    def __call__(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[object]],
        *,
        on_conflict: str = "",
    ) -> None: ...


def arrow_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> pa.Table:
    """The rows as one Arrow table, a column per name (types inferred: DuckDB casts on insert)."""
    values = zip(*rows, strict=True)
    return pa.table({name: _array(col) for name, col in zip(columns, values, strict=True)})


# Text and bytes columns are most of a run's values: named, their type is not inferred value
# by value (pyarrow still refuses a value of another type, as inference would)
_NAMED: dict[type, pa.DataType] = {str: pa.string(), bytes: pa.binary()}


def _array(values: Sequence[object]) -> pa.Array:
    first = next((v for v in values if v is not None), None)
    return pa.array(values, type=_NAMED.get(type(first)))


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


def append_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    on_conflict: str = "",
) -> None:
    """Append `rows` to `table` through one Arrow table; `on_conflict` as in `insert_rows`."""
    if not rows:
        return
    with registered(con, arrow_table(columns, rows)) as name:
        names = ", ".join(f'"{c}"' for c in columns)
        insert = f"INSERT INTO {table} ({names}) SELECT {names} FROM {name} {on_conflict}"
        con.execute(insert).complete()
