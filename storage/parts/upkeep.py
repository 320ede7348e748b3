"""Keeping the database healthy: writability, size, checkpoints and pruning."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from pathlib import Path

from chatops.storage import ownership, retention, shared_files
from chatops.storage.dialect import SQLITE
from chatops.storage.operations import alone, reads, ts, writes
from chatops.storage.parts.part import Part
from chatops.storage.sqlite import free_bytes


class Upkeep(Part):
    """Keeping the database healthy: writability, size, checkpoints and pruning."""

    @alone
    def check_writable(self) -> None:
        """A real write (this process's heartbeat, or a lock taken and released when it has no
        identity) in a transaction of its own, whatever else is queued: raises a
        `StorageUnavailable` when the database cannot be written."""
        self.db.execute(self.dialect.begin_write)
        try:
            if self.identity is not None:
                ownership.heartbeat(self.db, self.identity.id, ts())
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT" if self.identity is not None else "ROLLBACK")

    def free_bytes(self) -> int:
        """Free space where the database lives (on PostgreSQL: where attachments are kept; the
        server's own disk is the server's to watch)."""
        return free_bytes(self.path)

    @alone
    def checkpoint(self) -> tuple[int, int]:
        """Copy the write-ahead log into the database (PASSIVE: never waits for readers), off the
        turn path; returns (log pages, pages copied). PostgreSQL checkpoints on its own."""
        if self.dialect is not SQLITE:
            return (0, 0)
        row = self.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return (int(row[1]), int(row[2])) if row else (0, 0)

    async def prune(self, before: datetime, *, audit: bool = False) -> dict[str, int]:
        """Delete threads, messages, plans, delivery ids and cached perception older than
        `before` (never a plan still pending or running); the audit log too only with `audit`."""
        counts, unused = await self._prune_rows(before, audit)
        self._thread_refs.clear()  # pruned threads are no longer found (see `Messages.thread_ref`)
        if self.url is None:  # after the commit: a failed prune keeps its files; one kept again since stays
            counts["files"] = await asyncio.to_thread(self.files.remove, unused, unless_kept_since=before)
        return counts

    @writes
    def _prune_rows(self, before: datetime, audit: bool) -> tuple[dict[str, int], set[str]]:
        unused: set[str] = set()
        counts = retention.prune(self.db, ts(before), audit=audit, unused_files=unused)
        if self.url is not None:  # the bytes are rows: they go in the same transaction
            counts["files"] = shared_files.remove(self.db, unused, ts(before))
        self._audit("storage.pruned", detail={"before": ts(before), "deleted": counts,
                                              "files": len(unused)})
        return counts, unused

    @alone
    def vacuum(self) -> None:
        """Give the space of deleted rows back to the file system (rewrites the file; on
        PostgreSQL, `VACUUM` marks it reusable)."""
        if self.dialect is not SQLITE:
            self.db.execute("VACUUM")
            return
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.execute("VACUUM")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @reads
    def database_bytes(self) -> int:
        """How much space the database takes: the file and its log, or PostgreSQL's own count."""
        if self.url:
            return int(self.db.execute("SELECT pg_database_size(current_database())").fetchone()[0])
        return self.size_bytes()

    def size_bytes(self) -> int:
        """The database and its write-ahead log, on disk (0 for PostgreSQL: see `database_bytes`)."""
        total = 0
        if self.url:
            return total
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                total += Path(f"{self.path}{suffix}").stat().st_size
        return total
