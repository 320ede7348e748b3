"""Attachments' bytes and what perception read from them, kept once per content."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

from chatops.storage import shared_files
from chatops.storage.files import SHA256
from chatops.storage.operations import dumps, loads, reads, statement, ts, writes
from chatops.storage.parts.part import Part


class Attachments(Part):
    """Attachments' bytes and what perception read from them, kept once per content."""

    @reads
    def cached_perception(self, sha256: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT part FROM perception_cache WHERE sha256 = ?", [sha256]).fetchone()
        return loads(row[0]) if row else None

    @statement
    def remember_perception(self, sha256: str, kind: str, part: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO perception_cache (sha256, kind, part, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (sha256) DO UPDATE SET kind = excluded.kind, part = excluded.part, "
            "created_at = excluded.created_at",
            [sha256, kind, dumps(part), ts()],
        )

    async def keep_file(self, data: bytes) -> str:
        """Keep an attachment's bytes (once per content); returns its SHA-256. Beside a SQLite
        database in `files/`; on PostgreSQL in the database, so every replica can show it."""
        if self.url is None:
            return await asyncio.to_thread(self.files.put, data)
        digest = await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
        await self._keep_file_rows(digest, data)
        return digest

    @writes
    def _keep_file_rows(self, digest: str, data: bytes) -> None:
        shared_files.put(self.db, digest, data, ts())

    def file_path(self, digest: str) -> Path | None:
        """Where a kept attachment is on disk, by its SHA-256, or None (also on PostgreSQL, whose
        files are rows: read them with `read_file`)."""
        return self.files.path(digest) if self.url is None else None

    async def read_file(self, digest: str) -> bytes | None:
        """A kept attachment's bytes, by its SHA-256, or None."""
        if not SHA256.fullmatch(digest):
            return None
        if self.url is None:
            path = self.files.path(digest)
            return await asyncio.to_thread(path.read_bytes) if path is not None else None
        return await self._read_file_rows(digest)

    @reads
    def _read_file_rows(self, digest: str) -> bytes | None:
        return shared_files.read(self.db, digest)
