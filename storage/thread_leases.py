"""One turn of a thread at a time across replicas: a lease row per thread, owned by a process.

A row of `thread_leases` says which process runs a turn of that thread now. Taking it is one
conditional upsert: written only when there is no row, the row is this process's own (a release
that failed; within a process the per-thread `asyncio.Lock` already serialises turns), its
owner stopped or stopped heartbeating (`ownership.live_owner_sql`), or it expired: its holder
renews `taken_at` while its turn runs, so a row not renewed for `storage.lease_seconds` is
free whoever owns it (a live replica whose release failed during a database outage no longer
keeps a thread's follow-ups waiting until it runs a turn there again). SQLite serialises writers and
PostgreSQL locks the conflicting row before it evaluates the `WHERE`, so two replicas asking at
once can never both win. Releasing deletes the row.

Why a lease row and not `pg_advisory_lock(hashtext(thread_id))`: a session advisory lock lives on
one connection, so every turn in progress would pin a pool connection for as long as it runs
(a runbook can run for minutes: a few busy threads exhaust the pool), and a connection the pool
recycles or loses would drop the lock silently; it also exists only on PostgreSQL, and the
deployment with two processes on one SQLite file needs the same guarantee. The row instead
follows the rule every other piece of live work follows: it belongs to a process, and is free
once that process's heartbeat lapses, so a SIGKILLed replica's threads are taken up again after
`storage.lease_seconds` without anyone renewing anything per thread (the process's one heartbeat
keeps all its leases alive). Named leases (`leases`, v10) expire and must be renewed by their
holder; a turn has no bound on its length, so tying it to the heartbeat is the simpler contract.

The SQL is portable (`?` placeholders, `INSERT … ON CONFLICT … DO UPDATE … WHERE`).
"""

from __future__ import annotations

import sqlite_utils

from chatops.storage.ownership import live_owner_sql


def take(db: sqlite_utils.Database, thread_id: str, owner: str, now: str, cutoff: str) -> bool:
    """Take the thread's lease for `owner` if it is free (or already `owner`'s); True if taken.
    `cutoff` is the oldest heartbeat that still counts as alive, and the oldest renewal that
    still holds a lease."""
    return db.execute(
        "INSERT INTO thread_leases (thread_id, owner, taken_at) VALUES (?, ?, ?) "
        "ON CONFLICT (thread_id) DO UPDATE SET owner = excluded.owner, taken_at = excluded.taken_at "
        "WHERE thread_leases.owner = excluded.owner OR thread_leases.taken_at < ? "
        f"OR {live_owner_sql('thread_leases.owner')}",
        [thread_id, owner, now, cutoff, cutoff]).rowcount == 1


def renew(db: sqlite_utils.Database, thread_id: str, owner: str, now: str) -> bool:
    """Keep the lease of a turn that is still running; False if it is no longer `owner`'s."""
    return db.execute("UPDATE thread_leases SET taken_at = ? WHERE thread_id = ? AND owner = ?",
                      [now, thread_id, owner]).rowcount == 1


def release(db: sqlite_utils.Database, thread_id: str, owner: str) -> bool:
    """Give the thread's lease up; only its owner can. True if this call released it."""
    return db.execute("DELETE FROM thread_leases WHERE thread_id = ? AND owner = ?",
                      [thread_id, owner]).rowcount == 1
