"""The database two replicas share: one SQLite file (two processes), and, with the PostgreSQL
backend, one PostgreSQL database (the test server in `tests/postgres_server.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.replicas.replicas import sqlite_database


@pytest.fixture(params=["sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The `[storage]` lines that point both replicas at one database."""
    return sqlite_database(tmp_path)
