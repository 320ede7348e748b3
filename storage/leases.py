"""Named leases: one holder at a time for work only one replica may do, chosen through the database.

A lease is a row (`name`, `holder`, `acquired_at`, `expires_at`). Taking, keeping and renewing it
is one conditional upsert: the row is written only when the lease is free (no row, expired, or its
holder is a process that stopped or stopped heartbeating, see `ownership.live_owner_sql`) or is
already the caller's. SQLite serialises writers and PostgreSQL locks the conflicting row before it
evaluates the `WHERE`, so two replicas asking at the same moment can never both get `True`.

The SQL is portable (`?` placeholders, `INSERT … ON CONFLICT … DO UPDATE … WHERE`): the same text
runs on both databases.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from chatops.storage.ownership import live_owner_sql


@dataclass(frozen=True)
class Lease:
    """Who holds a lease now, as stored (timestamps are the store's fixed-width ISO text)."""

    name: str
    holder: str
    acquired_at: str
    expires_at: str


def hold(db: sqlite_utils.Database, name: str, holder: str, now: str, expires_at: str, cutoff: str) -> bool:
    """Take the lease if it is free, or renew it if `holder` has it; True if `holder` holds it now.
    `cutoff` is the oldest heartbeat that still counts as alive. `acquired_at` is kept on renewal,
    so it says since when the holder has held the lease without a break."""
    return db.execute(
        "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, "
        "acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at "
        "ELSE excluded.acquired_at END "
        "WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.acquired_at "
        f"OR {live_owner_sql('leases.holder')}",
        [name, holder, now, expires_at, cutoff]).rowcount == 1


def release(db: sqlite_utils.Database, name: str, holder: str) -> bool:
    """Give the lease up (a clean stop), so a standby need not wait for it to expire; only its
    holder can. True if this call released it."""
    return db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", [name, holder]).rowcount == 1


def holder_of(db: sqlite_utils.Database, name: str) -> Lease | None:
    """The lease's row as stored (which may have expired: `hold` decides whether it is free)."""
    row = db.execute("SELECT name, holder, acquired_at, expires_at FROM leases WHERE name = ?", [name]).fetchone()
    return Lease(*row) if row else None
