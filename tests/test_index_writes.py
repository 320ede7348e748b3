"""Migration v18 (issue 23): fewer index entries written per turn, every lookup still indexed.

A database of the previous release is upgraded with its rows kept; the indexes no query used are
gone, the ones left partial hold only what their queries look for, and the queries that used the
dropped ones (`chatops prune`) still read through an index, delete what they deleted before and
nothing newer."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from chatops.storage import Store
from chatops.storage.migrations import SCHEMA_VERSION, migrate, schema_version
from chatops.storage.retention import OLD_AUDIT, OLD_EVENTS_SQLITE, OLD_THREADS_SQLITE

FEWER_INDEX_WRITES_V18 = 18
OLD = "2026-01-01T00:00:00.000000+00:00"
CUTOFF = "2026-02-01T00:00:00.000000+00:00"
NEW = "2026-03-01T00:00:00.000000+00:00"


def _old_database(path) -> None:
    """A v17 database: threads on two platforms (old and new), a decided and an undecided plan,
    a running and a finished step, delivery ids and audit rows on both sides of the cut-off."""
    db = sqlite_utils.Database(path)
    migrate(db, FEWER_INDEX_WRITES_V18 - 1)
    db["events"].insert({"platform": "console", "event_id": "e-gone", "received_at": OLD, "message_id": "gone"})
    for tid, platform, at in (("slack:old", "slack", OLD), ("console:old", "console", OLD),
                              ("console:new", "console", NEW)):
        db["threads"].insert({"id": tid, "platform": platform, "channel": "c", "external_id": tid, "title": tid,
                              "created_at": at, "updated_at": at})
        db["messages"].insert({"id": f"m-{tid}", "thread_id": tid, "role": "user", "platform": platform,
                               "text": "hi", "created_at": at, "turn_ended_at": at})
        db["events"].insert({"platform": platform, "event_id": f"e-{tid}", "received_at": at,
                             "message_id": f"m-{tid}"})
    # received before the cut-off but stored after a newer one (out of order)
    db["events"].insert({"platform": "console", "event_id": "e-late", "received_at": OLD, "message_id": "gone"})
    db["plans"].insert({"id": "p-decided", "thread_id": "console:new", "message_id": "m-console:new", "round": 1,
                        "status": "succeeded", "decided_by": "console:alice", "created_at": NEW})
    db["plans"].insert({"id": "p-policy", "thread_id": "console:new", "message_id": "m-console:new", "round": 2,
                        "status": "running", "decided_by": None, "created_at": NEW})
    db["steps"].insert({"id": "s-running", "plan_id": "p-policy", "position": 0, "tool": "noop", "status": "running"})
    db["steps"].insert({"id": "s-done", "plan_id": "p-decided", "position": 0, "tool": "noop", "status": "succeeded"})
    for at, kind in ((OLD, "message.received"), (OLD, "plan.proposed"), (NEW, "message.received"),
                     (OLD, "step.succeeded")):  # the last one appended after a newer row
        db["audit"].insert({"at": at, "kind": kind, "actor": "console:alice", "thread_id": "console:old",
                            "plan_id": "", "step_id": "", "detail": "{}"})
    db.conn.commit()
    db.close()


def _plan(db, sql: str, params: list[str] | None = None) -> str:
    return " / ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params or []).fetchall())


def _indexes(db) -> dict[str, str | None]:
    return {r[0]: r[1] for r in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'").fetchall()}


async def test_an_old_database_is_upgraded_with_its_rows_kept_and_fewer_indexes(tmp_path):
    path = tmp_path / "old.db"
    _old_database(path)
    before = sqlite_utils.Database(path)
    counts = {t: before[t].count for t in ("threads", "messages", "events", "plans", "steps", "audit")}
    before.close()

    store = await Store.open(path)
    try:
        db = store.db
        assert await store._dispatch(schema_version, db) == SCHEMA_VERSION >= FEWER_INDEX_WRITES_V18
        assert await store._dispatch(lambda: {t: db[t].count for t in counts}) == counts
        indexes = await store._dispatch(_indexes, db)
        for gone in ("audit_by_thread", "audit_by_kind", "idx_audit_at", "idx_steps_status",
                     "idx_threads_updated_at", "idx_events_received_at"):
            assert gone not in indexes
        assert "WHERE decided_by IS NOT NULL" in indexes["plans_by_decider"]
        assert "WHERE status = 'running'" in indexes["steps_running"]
        # a plan approved by policy (every `!command` turn) has no entry in the decider index
        entries = await store._dispatch(lambda: db.execute(
            "SELECT count(*) FROM plans INDEXED BY plans_by_decider WHERE decided_by IS NOT NULL").fetchone()[0])
        assert entries == 1
        assert await store.list_threads(platform="console", channel="x", decided_by="console:alice") == [
            {"id": "console:new", "title": "console:new", "created_at": NEW, "updated_at": NEW}]
    finally:
        await store.close()


async def test_every_query_that_used_a_dropped_or_narrowed_index_still_uses_one(tmp_path):
    store = await Store.open(tmp_path / "new.db")
    try:
        def plans() -> dict[str, str]:
            db = store.db
            db.execute("CREATE TEMP TABLE IF NOT EXISTS pruned_threads (id TEXT PRIMARY KEY)")
            return {
                "decider": _plan(db, "SELECT thread_id FROM plans WHERE decided_by = ?", ["x"]),
                "operator rename": _plan(db, "UPDATE plans SET decided_by = 'operator' "
                                             "WHERE decided_by = 'local:operator'"),
                "orphan sweep": _plan(db, "UPDATE steps SET status = 'interrupted' WHERE status = 'running' "
                                          "AND (owner IS NULL OR owner NOT IN (SELECT id FROM processes))"),
                "decide steps": _plan(db, "UPDATE steps SET status = 'denied' WHERE plan_id = ? "
                                          "AND status = 'proposed'", ["p"]),
                "old threads": _plan(db, f"INSERT INTO pruned_threads {OLD_THREADS_SQLITE}", [CUTOFF]),
                "old events": _plan(db, f"DELETE FROM events WHERE {OLD_EVENTS_SQLITE}received_at < ?",
                                    [CUTOFF, CUTOFF]),
                "old audit": _plan(db, f"DELETE FROM audit WHERE {OLD_AUDIT}", [CUTOFF, CUTOFF]),
            }
        found = await store._dispatch(plans)
    finally:
        await store.close()
    assert "USING COVERING INDEX plans_by_decider (decided_by=?)" in found["decider"]
    assert "USING INDEX plans_by_decider (decided_by=?)" in found["operator rename"]
    assert "USING INDEX steps_running (status=?)" in found["orphan sweep"]
    assert "USING INDEX idx_steps_plan_id_position (plan_id=?)" in found["decide steps"]
    # old threads: one range of threads_by_activity per platform, the platforms walked on it too
    assert "SEARCH t USING COVERING INDEX threads_by_activity (platform=? AND updated_at<?)" in found["old threads"]
    assert "SCAN t" not in found["old threads"] and "SCAN threads" not in found["old threads"]
    assert found["old events"].startswith("SEARCH events USING INTEGER PRIMARY KEY (rowid<?)")
    assert found["old audit"].startswith("SEARCH audit USING INTEGER PRIMARY KEY (rowid<?)")


async def test_prune_after_the_upgrade_deletes_what_is_older_than_the_cutoff_and_nothing_newer(tmp_path):
    path = tmp_path / "old.db"
    _old_database(path)
    store = await Store.open(path)
    try:
        deleted = await store.prune(datetime.fromisoformat(CUTOFF), audit=True)
        db = store.db
        left = await store._dispatch(lambda: (
            [r[0] for r in db.execute("SELECT id FROM threads ORDER BY id")],
            [r[0] for r in db.execute("SELECT event_id FROM events ORDER BY event_id")],
            [(r[0], r[1]) for r in db.execute(
                "SELECT at, kind FROM audit WHERE kind <> 'storage.pruned' ORDER BY id")]))
    finally:
        await store.close()
    assert deleted["threads"] == 2  # the old thread of each platform
    assert left[0] == ["console:new"]
    # the old ones go (their messages pruned with their threads, or long gone); the old one stored
    # after a newer one stays until the next prune, like the audit row below
    assert left[1] == ["e-console:new", "e-late"]
    # the audit rows older than the cut-off up to the first newer one; the old row appended after
    # that newer one stays until the next prune (kept a little longer, never deleted early)
    assert left[2] == [(NEW, "message.received"), (OLD, "step.succeeded")]


def test_ids_made_later_sort_later_and_stay_unique():
    """Row ids are time-ordered (a turn's rows go to the end of their primary-key indexes) and keep
    their 48 random bits (replicas and bursts never collide)."""
    import time

    from chatops.storage.operations import new_id

    burst = [new_id("m") for _ in range(100_000)]
    assert len(set(burst)) == len(burst)
    assert all(len(i) == len("m-") + 20 for i in burst)
    time.sleep(0.05)  # a few ticks of the clock part (1/60 s each)
    later = new_id("m")
    assert later > max(burst)
