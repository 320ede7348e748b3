"""Where an adapter put something (a card's message), remembered for later edits."""

from __future__ import annotations

from typing import Any

from chatops.storage.operations import dumps, loads, reads, statement, ts
from chatops.storage.parts.part import Part


class PlatformRefs(Part):
    """Where an adapter put something (a card's message), remembered for later edits."""

    @statement
    def remember_ref(self, platform: str, kind: str, key: str, ref: dict[str, Any]) -> None:
        """Remember where an adapter put something, e.g. `("slack", "plan_card", plan_id)` →
        `{"channel": …, "ts": …}`; a later call for the same key replaces it."""
        self.db.execute(
            "INSERT INTO platform_refs (platform, kind, key, ref, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (platform, kind, key) DO UPDATE SET ref = excluded.ref, updated_at = excluded.updated_at",
            [platform, kind, key, dumps(ref), ts()],
        )

    @reads
    def ref_of(self, platform: str, kind: str, key: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT ref FROM platform_refs WHERE platform = ? AND kind = ? AND key = ?",
                              [platform, kind, key]).fetchone()
        return loads(row[0]) if row else None
