"""Scheduled checks' state: each schedule's thread, last run, last outcome and next run, so a
restart (or another replica) carries on where the last run left off and tells the channel only
about a real change.

Plain functions over a connection, called inside the `Store`'s operations; the SQL is portable.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

COLUMNS = ("name", "thread_id", "last_run_at", "last_outcome", "changed_at", "next_run_at")


def get(db: sqlite_utils.Database, name: str) -> dict[str, Any] | None:
    row = db.execute(f"SELECT {', '.join(COLUMNS)} FROM schedules WHERE name = ?", [name]).fetchone()
    return dict(zip(COLUMNS, row, strict=True)) if row else None


def all_states(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM schedules ORDER BY name").fetchall()
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def ensure(db: sqlite_utils.Database, name: str, thread_id: str, next_run_at: str) -> None:
    """The schedule's row, made on first sight (a known schedule keeps its state)."""
    db.execute("INSERT INTO schedules (name, thread_id, next_run_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
               [name, thread_id, next_run_at])


def record_run(db: sqlite_utils.Database, name: str, *, ran_at: str, outcome: str | None, changed: bool,
               next_run_at: str) -> None:
    """A run: its time, its outcome (None: it found nothing to judge by, the last outcome stays)
    and the next run."""
    db.execute("UPDATE schedules SET last_run_at = ?, last_outcome = COALESCE(?, last_outcome), next_run_at = ?, "
               "changed_at = CASE WHEN ? = 1 THEN ? ELSE changed_at END WHERE name = ?",
               [ran_at, outcome, next_run_at, 1 if changed else 0, ran_at, name])
