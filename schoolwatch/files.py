"""Files a run writes hold posts about named people: readable by their owner only."""

from __future__ import annotations

import os

PRIVATE_UMASK = 0o077


def private_files() -> None:
    """From now on this process creates files 0600 and folders 0700: the warehouse, DuckDB's
    write-ahead log beside it, outbox messages, evidence bundles, logs. (Snapshots for
    analysts get their mode set explicitly.)"""
    os.umask(PRIVATE_UMASK)
