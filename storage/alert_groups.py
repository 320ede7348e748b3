"""Alert groups: which thread an alert group (a sender's `groupKey`) lives in, and its alerts as
last seen, so a repeat notification changes nothing and a resolution finds its thread.

Plain functions over a connection (`sqlite_utils.Database` or `storage.postgres.PgDatabase`),
called inside the `Store`'s operations; the SQL is portable.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

LINK_PLATFORM, LINK_KIND = "alert", "group_of_thread"  # another surface's thread of a group
COLUMNS = "source, group_key, thread_id, status, alerts, fired_at, resolved_at, created_at, updated_at"


def row_of(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    names = [name.strip() for name in COLUMNS.split(",")]
    found = dict(zip(names, row, strict=True))
    found["alerts"] = json.loads(found["alerts"] or "[]")
    return found


def get(db: sqlite_utils.Database, source: str, group_key: str) -> dict[str, Any] | None:
    return row_of(db.execute(f"SELECT {COLUMNS} FROM alert_groups WHERE source = ? AND group_key = ?",
                           [source, group_key]).fetchone())


def of_thread(db: sqlite_utils.Database, thread_id: str) -> dict[str, Any] | None:
    """The alert group a thread was opened for (the newest, should a thread hold several): its
    own thread, or one of its other surfaces' threads (a Slack or Discord thread, linked in
    `platform_refs` as ("alert", "group_of_thread", thread id) → {"source", "group_key"})."""
    found = row_of(db.execute(f"SELECT {COLUMNS} FROM alert_groups WHERE thread_id = ? ORDER BY updated_at DESC "
                            "LIMIT 1", [thread_id]).fetchone())
    if found is not None:
        return found
    link = db.execute("SELECT ref FROM platform_refs WHERE platform = ? AND kind = ? AND key = ?",
                      [LINK_PLATFORM, LINK_KIND, thread_id]).fetchone()
    if link is None:
        return None
    group = json.loads(link[0])
    return get(db, group["source"], group["group_key"])


def save(db: sqlite_utils.Database, *, source: str, group_key: str, thread_id: str, status: str,
         alerts: list[dict[str, Any]], fired_at: str | None, resolved_at: str | None, now: str) -> None:
    """Insert the group or replace its state (its thread and creation time stay)."""
    db.execute(
        f"INSERT INTO alert_groups ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (source, group_key) DO UPDATE SET status = excluded.status, alerts = excluded.alerts, "
        "fired_at = excluded.fired_at, resolved_at = excluded.resolved_at, updated_at = excluded.updated_at",
        [source, group_key, thread_id, status, json.dumps(alerts, default=str, ensure_ascii=False), fired_at,
         resolved_at, now, now])


def delete(db: sqlite_utils.Database, source: str, group_key: str) -> None:
    db.execute("DELETE FROM alert_groups WHERE source = ? AND group_key = ?", [source, group_key])


def set_title(db: sqlite_utils.Database, thread_id: str, title: str) -> None:
    db.execute("UPDATE threads SET title = ? WHERE id = ?", [title, thread_id])
