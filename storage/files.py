"""Attachment bytes kept beside the database, named by their SHA-256, so that a thread can show a
screenshot's thumbnail or play a voice note again after a reload or a restart.

Files, not rows: the database keeps which message had which file (its hash, name and type), and
this folder keeps the bytes once, however often the same file is sent.
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import datetime
from pathlib import Path

SHA256 = re.compile(r"[0-9a-f]{64}")


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes) -> str:
        """Keep `data` (once) and return its SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.root / digest[:2] / digest
        if target.exists():
            os.utime(target)  # kept again now: retention counts from the newest keeping
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(data)
            partial.replace(target)  # readers never see half a file
        return digest

    def remove(self, digests: set[str], *, unless_kept_since: datetime) -> int:
        """Delete these files (retention: no kept message shows them any more), except any kept
        again at or after the cut-off (sent anew while the prune ran); returns how many went."""
        removed = 0
        cutoff = unless_kept_since.timestamp()
        for digest in digests:
            target = self.path(digest)
            try:
                if target is not None and target.stat().st_mtime < cutoff:
                    target.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def path(self, digest: str) -> Path | None:
        """Where the file with this hash is, or None (an unknown or malformed hash)."""
        if not SHA256.fullmatch(digest):
            return None
        target = self.root / digest[:2] / digest
        return target if target.is_file() else None

    @classmethod
    def beside(cls, database: Path) -> FileStore:
        """The folder next to a database file (`data/chatops.db` → `data/files/`)."""
        return cls(Path(database).parent / "files")
