"""Faults of the machine the bot runs on, named so every layer can answer them clearly.

Storage raises these instead of a bare `sqlite3.OperationalError`; the HTTP API turns them into
`507 storage_full` / `503 storage_read_only`, the hub into a notice in the thread. They live here,
not in `storage/`, because adapters must be able to name them without importing the store.
"""

from __future__ import annotations


class StorageUnavailable(Exception):
    """The database cannot take a write right now; nothing was stored, nothing was run."""

    code = "storage_unavailable"
    status = 503

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StorageFull(StorageUnavailable):
    """The disk (or the database's size limit) is full. Writes work again once space returns."""

    code = "storage_full"
    status = 507


class StorageReadOnly(StorageUnavailable):
    """The database file or its file system is read-only."""

    code = "storage_read_only"
    status = 503


class NotServing(Exception):
    """The process cannot serve turns: its tools or planner failed to load, or it is stopping
    while they loaded. Another replica (or this one, restarted) can: a caller says "try again",
    never "internal error"."""

    code = "not_serving"
    status = 503

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
