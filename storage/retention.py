"""Retention: deleting what is older than a cut-off, never what is still live.

A thread goes with its messages, plans, steps, decisions, notices and kept stream events once
its last activity is older than the cut-off, unless it holds a plan that still waits for a
decision or runs, or a turn not yet ended; the attachment bytes its messages kept (`files/`) go
too (and the files its steps made, such as charts), unless another message or step still shows
the same file. Delivery ids (`events`) older than the
cut-off go unless their message is still kept (a retried delivery, or an `Idempotency-Key`, of a
kept thread's message must still be recognised); cached perception and stopped processes older
than the cut-off go too. The audit log is append-only and is kept unless
asked for (`audit=True`), in which case its guard triggers are lifted for the deletion only,
inside the same transaction.
"""

from __future__ import annotations

import json
from typing import Any

from chatops.storage.dialect import SQLITE, dialect_of

LIVE_PLAN = "('proposed', 'approved', 'running')"

# The threads whose last activity is older than the cut-off (`t.updated_at < ?`). On SQLite
# there is no index on `updated_at` alone (migration v18: a turn rewrote it twice), so the old
# threads are read through `threads_by_activity` (platform, updated_at, id), one range per
# platform: the platforms are walked from the index too (each the next one above the last, a
# handful of seeks), `CROSS JOIN` keeping that walk outside.
OLD_THREADS = "SELECT id FROM threads t WHERE t.updated_at < ?"
OLD_THREADS_SQLITE = (
    "WITH RECURSIVE platforms(name) AS (SELECT MIN(platform) FROM threads UNION ALL "
    "SELECT (SELECT MIN(platform) FROM threads WHERE platform > name) FROM platforms WHERE name IS NOT NULL) "
    "SELECT t.id FROM platforms CROSS JOIN threads t WHERE t.platform = platforms.name AND t.updated_at < ?")
# Audit rows older than the cut-off: the log has no index on `at` (v18), and its rows are appended
# in time order, so they are read by id up to the first one newer than the cut-off; as with events,
# a row appended out of order by a few milliseconds (another replica's clock, a batch's commit) is
# deleted at the next prune, never early.
OLD_AUDIT = (
    "id < COALESCE((SELECT id FROM audit WHERE at >= ? ORDER BY id LIMIT 1), (SELECT MAX(id) FROM audit) + 1) "
    "AND at < ?")
# Delivery ids older than the cut-off, on SQLite (no index on `received_at` since v18): rows are
# stored in the order they were received (`received_at` is the time the bot made the event), so
# they are read in rowid order up to the first one received after the cut-off, which costs what
# the deletion does. A row received out of that order by a few milliseconds (two processes on one
# file, or a thread's lock waited for) stays until the next prune: a delivery id kept a little
# longer, never one deleted early (`received_at < ?` still holds for every row deleted).
OLD_EVENTS_SQLITE = (
    "rowid < COALESCE((SELECT rowid FROM events WHERE received_at >= ? ORDER BY rowid LIMIT 1), "
    "(SELECT MAX(rowid) FROM events) + 1) AND ")


def prune(db: Any, before: str, *, audit: bool = False, unused_files: set[str] | None = None) -> dict[str, int]:
    """Delete what is older than `before` (a stored timestamp); returns rows deleted per table,
    and adds to `unused_files` the SHA-256 of every attachment only the deleted messages showed
    (the caller removes those bytes once the transaction committed). The caller runs it in one
    transaction. The temporary table is named without a schema: both SQLite and PostgreSQL look
    in the connection's temporary schema first."""
    db.execute("DROP TABLE IF EXISTS pruned_threads")
    db.execute("CREATE TEMP TABLE pruned_threads (id TEXT PRIMARY KEY)")
    sqlite = dialect_of(db) is SQLITE
    db.execute(  # filled by an INSERT: PostgreSQL takes no parameters in CREATE TABLE … AS
        f"INSERT INTO pruned_threads {OLD_THREADS_SQLITE if sqlite else OLD_THREADS} "
        f"AND NOT EXISTS (SELECT 1 FROM plans p WHERE p.thread_id = t.id AND p.status IN {LIVE_PLAN}) "
        "AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = t.id AND m.role = 'user' "
        "AND m.turn_ended_at IS NULL)", [before])
    plans = "SELECT id FROM plans WHERE thread_id IN (SELECT id FROM pruned_threads)"
    shown = _digests(db.execute("SELECT attachments FROM messages WHERE thread_id IN "
                                "(SELECT id FROM pruned_threads) AND attachments LIKE '%sha256%'").fetchall())
    shown |= _digests(db.execute(f"SELECT files FROM steps WHERE plan_id IN ({plans}) "  # charts steps made
                                 "AND files LIKE '%sha256%'").fetchall())
    counts = {
        "decisions": db.execute(f"DELETE FROM decisions WHERE plan_id IN ({plans})").rowcount,
        "steps": db.execute(f"DELETE FROM steps WHERE plan_id IN ({plans})").rowcount,
        "platform_refs": db.execute(
            f"DELETE FROM platform_refs WHERE key IN ({plans}) OR (updated_at < ? AND key NOT IN "
            f"(SELECT id FROM plans WHERE status IN {LIVE_PLAN}))", [before]).rowcount,
        "plans": db.execute("DELETE FROM plans WHERE thread_id IN (SELECT id FROM pruned_threads)").rowcount,
        "messages": db.execute(
            "DELETE FROM messages WHERE thread_id IN (SELECT id FROM pruned_threads)").rowcount,
        "notices": db.execute(
            "DELETE FROM notices WHERE thread_id IN (SELECT id FROM pruned_threads)").rowcount,
        "thread_events": db.execute(
            "DELETE FROM thread_events WHERE thread_id IN (SELECT id FROM pruned_threads)").rowcount,
        "threads": db.execute("DELETE FROM threads WHERE id IN (SELECT id FROM pruned_threads)").rowcount,
        "events": db.execute(f"DELETE FROM events WHERE {OLD_EVENTS_SQLITE if sqlite else ''}received_at < ? "
                             "AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = events.message_id)",
                             [before, before] if sqlite else [before]).rowcount,
        "perception_cache": db.execute("DELETE FROM perception_cache WHERE created_at < ?", [before]).rowcount,
        "processes": db.execute("DELETE FROM processes WHERE stopped_at IS NOT NULL AND stopped_at < ?",
                                [before]).rowcount,
    }
    db.execute("DROP TABLE pruned_threads")
    if shown and unused_files is not None:
        still = _digests(db.execute("SELECT attachments FROM messages WHERE attachments LIKE '%sha256%'").fetchall())
        still |= _digests(db.execute("SELECT files FROM steps WHERE files LIKE '%sha256%'").fetchall())
        unused_files |= shown - still
    if audit:
        dialect_of(db).lift_audit_delete_guard(db)
        counts["audit"] = db.execute(f"DELETE FROM audit WHERE {OLD_AUDIT}", [before, before]).rowcount
        dialect_of(db).restore_audit_delete_guard(db)
    return counts


def _digests(rows: list[Any]) -> set[str]:
    """The SHA-256 of every attachment in these `messages.attachments` values."""
    found: set[str] = set()
    for (value,) in rows:
        try:
            attachments = json.loads(value) if value else []
        except ValueError:
            continue
        found |= {a["sha256"] for a in attachments if isinstance(a, dict) and a.get("sha256")}
    return found
