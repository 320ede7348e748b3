"""Attachment bytes in the database itself, for replicas on PostgreSQL.

On one machine the bytes live in `files/` beside the database file (`storage/files.py`). Replicas
on several machines share nothing but the database, so there a screenshot uploaded to one replica
was a 404 on the other; here the bytes are rows of `file_chunks` (1 MiB each, keyed by the
file's SHA-256 and the chunk's number), which every replica reads, `migrate-storage` copies and
`prune` deletes like any other row. `kept_at` on chunk 0 says when the file was last kept, so
retention spares a file sent again since its cut-off.
"""

from __future__ import annotations

from typing import Any

CHUNK = 1024 * 1024


def put(db: Any, digest: str, data: bytes, now: str) -> None:
    """Keep `data` under `digest` once; keeping it again only refreshes `kept_at`."""
    if db.execute("UPDATE file_chunks SET kept_at = ? WHERE sha256 = ? AND seq = 0", [now, digest]).rowcount:
        return
    for seq, offset in enumerate(range(0, max(len(data), 1), CHUNK)):
        db.execute("INSERT INTO file_chunks (sha256, seq, data, kept_at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (sha256, seq) DO NOTHING", [digest, seq, data[offset:offset + CHUNK], now])


def read(db: Any, digest: str) -> bytes | None:
    rows = db.execute("SELECT data FROM file_chunks WHERE sha256 = ? ORDER BY seq", [digest]).fetchall()
    return b"".join(bytes(row[0]) for row in rows) if rows else None


def remove(db: Any, digests: set[str], kept_before: str) -> int:
    """Delete these files unless kept again at or after `kept_before`; returns how many went."""
    removed = 0
    for digest in sorted(digests):
        old = db.execute("SELECT 1 FROM file_chunks WHERE sha256 = ? AND seq = 0 AND kept_at < ?",
                         [digest, kept_before]).fetchone()
        if old:
            db.execute("DELETE FROM file_chunks WHERE sha256 = ?", [digest])
            removed += 1
    return removed
