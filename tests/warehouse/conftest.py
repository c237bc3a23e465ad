"""A fresh warehouse file per test, in tmp_path (a folder that does not exist yet)."""

from __future__ import annotations

import pytest

from warehouse import Warehouse


@pytest.fixture
def wh(tmp_path) -> Warehouse:
    return Warehouse(tmp_path / "data" / "schoolwatch.duckdb", lock_timeout_s=0.3)
