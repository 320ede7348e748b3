"""Persistence: a SQLite file (sqlite-utils) or a shared PostgreSQL database, reached only through
`Store`'s intent operations."""

from chatops.storage.store import Store

__all__ = ["Store"]
