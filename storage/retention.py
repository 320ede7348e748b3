"""Retention: deleting what is older than a cut-off, never what is still live.

A thread goes with its messages, plans, steps, decisions, notices and kept stream events once
its last activity is older than the cut-off, unless it holds a plan that still waits for a
decision or runs, or a turn not yet ended. Delivery ids (`events`), cached perception and
stopped processes older than the cut-off go too. The audit log is append-only and is kept unless
asked for (`audit=True`), in which case its guard triggers are lifted for the deletion only,
inside the same transaction.
"""

from __future__ import annotations

import sqlite_utils

LIVE_PLAN = "('proposed', 'approved', 'running')"

AUDIT_GUARDS = (
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)


def prune(db: sqlite_utils.Database, before: str, *, audit: bool = False) -> dict[str, int]:
    """Delete what is older than `before` (a stored timestamp); returns rows deleted per table.
    The caller runs it in one transaction."""
    db.execute("DROP TABLE IF EXISTS temp.pruned_threads")
    db.execute(
        "CREATE TEMP TABLE pruned_threads AS SELECT id FROM threads t WHERE t.updated_at < ? "
        f"AND NOT EXISTS (SELECT 1 FROM plans p WHERE p.thread_id = t.id AND p.status IN {LIVE_PLAN}) "
        "AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = t.id AND m.role = 'user' "
        "AND m.turn_ended_at IS NULL)", [before])
    plans = "SELECT id FROM plans WHERE thread_id IN (SELECT id FROM temp.pruned_threads)"
    counts = {
        "decisions": db.execute(f"DELETE FROM decisions WHERE plan_id IN ({plans})").rowcount,
        "steps": db.execute(f"DELETE FROM steps WHERE plan_id IN ({plans})").rowcount,
        "platform_refs": db.execute(
            f"DELETE FROM platform_refs WHERE key IN ({plans}) OR (updated_at < ? AND key NOT IN "
            f"(SELECT id FROM plans WHERE status IN {LIVE_PLAN}))", [before]).rowcount,
        "plans": db.execute("DELETE FROM plans WHERE thread_id IN (SELECT id FROM temp.pruned_threads)").rowcount,
        "messages": db.execute(
            "DELETE FROM messages WHERE thread_id IN (SELECT id FROM temp.pruned_threads)").rowcount,
        "notices": db.execute(
            "DELETE FROM notices WHERE thread_id IN (SELECT id FROM temp.pruned_threads)").rowcount,
        "thread_events": db.execute(
            "DELETE FROM thread_events WHERE thread_id IN (SELECT id FROM temp.pruned_threads)").rowcount,
        "threads": db.execute("DELETE FROM threads WHERE id IN (SELECT id FROM temp.pruned_threads)").rowcount,
        "events": db.execute("DELETE FROM events WHERE received_at < ?", [before]).rowcount,
        "perception_cache": db.execute("DELETE FROM perception_cache WHERE created_at < ?", [before]).rowcount,
        "processes": db.execute("DELETE FROM processes WHERE stopped_at IS NOT NULL AND stopped_at < ?",
                                [before]).rowcount,
    }
    db.execute("DROP TABLE temp.pruned_threads")
    if audit:
        db.execute("DROP TRIGGER audit_no_delete")
        counts["audit"] = db.execute("DELETE FROM audit WHERE at < ?", [before]).rowcount
        db.execute(AUDIT_GUARDS[1])
    return counts
