"""Messages recorded before sending, so a run stopped between sending and marking is finished
by the next one rather than sent twice (see migrations/0006_outgoing.sql)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One recorded message: its Message-ID, the posts it carries, and its bytes as sent."""

    message_id: str
    school_id: str
    kind: str
    post_ids: tuple[str, ...]
    recipients: tuple[str, ...]
    message: bytes


def record(con: duckdb.DuckDBPyConnection, out: Outgoing, at: datetime) -> None:
    con.execute(
        "INSERT OR REPLACE INTO outgoing VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            out.message_id,
            out.school_id,
            out.kind,
            list(out.post_ids),
            list(out.recipients),
            out.message,
            at,
        ],
    )


def pending(con: duckdb.DuckDBPyConnection, school_id: str, kind: str) -> list[Outgoing]:
    rows = con.execute(
        "SELECT message_id, school_id, kind, post_ids, recipients, message FROM outgoing "
        "WHERE school_id = $1 AND kind = $2 ORDER BY recorded_at, message_id",
        [school_id, kind],
    ).fetchall()
    return [Outgoing(m, s, k, tuple(p), tuple(r), bytes(b)) for m, s, k, p, r, b in rows]


def forget(con: duckdb.DuckDBPyConnection, message_ids: Sequence[str]) -> None:
    con.execute(
        "DELETE FROM outgoing WHERE message_id IN (SELECT unnest($1::VARCHAR[]))",
        [list(message_ids)],
    )
