"""The database two replicas share: one SQLite file opened by two processes (`thread_leases` on),
and one PostgreSQL database (a fresh one on the run's throwaway server, `tests/postgres_server.py`;
thread leases are on by default there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.postgres_server import shared_server
from tests.replicas.replicas import sqlite_database


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The `[storage]` lines that point both replicas at one database."""
    if request.param == "postgresql":
        # `path` only places the attachments' folder; the data is in PostgreSQL
        return f'path = "{tmp_path / "files.db"}"\nurl = "{shared_server().create_database()}"\n'
    return sqlite_database(tmp_path)
