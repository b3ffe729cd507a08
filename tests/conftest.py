"""Shared fixtures: a real SQLite store file per test, and isolation from installed plugins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cobrokit.store.sqlite import SQLiteStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A fresh store in a real file."""
    s = SQLiteStore.open(tmp_path / "ledger.db")
    yield s
    s.close()


@pytest.fixture
def write_csv(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write text to a CSV file in tmp_path and return its path."""

    def write(name: str, text: str, *, bom: bool = False) -> Path:
        path = tmp_path / name
        data = text.encode("utf-8")
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
        return path

    return write
