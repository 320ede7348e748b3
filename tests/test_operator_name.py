"""The local operator has one name, `operator` (issue 25, item 3): its key, its decisions as
stored (migration v15 renames the old `local:operator`), and the audit filter that finds both."""

from __future__ import annotations

import sqlite_utils

from chatops.bot.model import UserRef
from chatops.storage import Store
from chatops.storage.migrations import migrate, schema_version

OPERATOR_V15 = 15


def test_the_operator_key_is_its_one_name_and_no_platform_user_can_take_it():
    assert UserRef(platform="local", id="operator", name="operator").key == "operator"
    for platform in ("http", "console", "slack", "discord"):
        assert UserRef(platform=platform, id="operator", name="operator").key == f"{platform}:operator"


async def test_decisions_recorded_as_local_operator_are_renamed_and_the_audit_keeps_its_entries(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    migrate(db, OPERATOR_V15 - 1)  # a database of the previous release
    for thread in ("http:operator:t1", "http:alice:t2"):
        db["threads"].insert({"id": thread, "platform": "http", "channel": thread.split(":")[1], "external_id": "t",
                              "title": "t", "created_at": "2026-01-01T00:00:00+00:00",
                              "updated_at": "2026-01-01T00:00:00+00:00"})
    db["plans"].insert({"id": "p1", "thread_id": "http:operator:t1", "status": "succeeded",
                        "decided_by": "local:operator", "created_at": "2026-01-01T00:00:00+00:00"})
    db["plans"].insert({"id": "p2", "thread_id": "http:alice:t2", "status": "succeeded",
                        "decided_by": "http:alice", "created_at": "2026-01-01T00:00:00+00:00"})
    db["steps"].insert({"id": "s1", "plan_id": "p1", "position": 0, "tool": "ping", "status": "succeeded",
                        "decided_by": "local:operator"})
    db["audit"].insert({"at": "2026-01-01T00:00:00+00:00", "kind": "plan.decided", "actor": "local:operator",
                        "thread_id": "http:operator:t1", "plan_id": "p1", "step_id": "", "detail": "{}"})
    db.conn.commit()
    db.close()

    store = await Store.open(path)
    try:
        assert await store._dispatch(schema_version, store.db) >= OPERATOR_V15
        rows = await store._dispatch(lambda: (
            [r[0] for r in store.db.execute("SELECT decided_by FROM plans ORDER BY id").fetchall()],
            [r[0] for r in store.db.execute("SELECT decided_by FROM steps").fetchall()],
            [r[0] for r in store.db.execute("SELECT actor FROM audit").fetchall()]))
        assert rows == (["operator", "http:alice"], ["operator"], ["local:operator"])  # the audit log is append-only
        found = await store.audit_log(10, user="operator")
        assert [entry["actor"] for entry in found] == ["local:operator"]
    finally:
        await store.close()
