"""Persistence: one SQLite file through sqlite-utils, reached only through `Store`'s intent operations."""

from storage.store import Store

__all__ = ["Store"]
