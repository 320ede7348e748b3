"""`bench/chaos.py` shows what the database holds of a thread never answered (issue 23: a
PostgreSQL soak at 90d24e5 left one, and the cluster was thrown away with the evidence)."""

from __future__ import annotations

import pytest

from bench.chaos import Database, _thread_rows
from tests.conftest import ScriptedModel, reply


@pytest.mark.asyncio
async def test_the_rows_of_a_thread_are_shown_with_every_column(make_bot, tmp_path):
    model = ScriptedModel([reply({"tool": "restart", "args": {"unit": "nginx"}})])
    bot = await make_bot(planner=model.planner())
    await bot.say("restart nginx", thread="t-soak")
    db = Database(tmp_path / "chatops.db", None)
    rows = _thread_rows(db, "console:t-soak")
    assert [row[2] for row in rows["messages"]][:1] == ["user"]  # id, thread_id, role, …
    assert any("restart nginx" in str(value) for row in rows["messages"] for value in row)
    assert len(rows["plans"]) == 1 and rows["plans"][0][5] == "proposed"  # waiting for approval
    assert [row[3] for row in rows["steps"]] == ["restart"]
    assert set(rows) == {"messages", "plans", "steps", "thread_leases"}


def test_a_table_it_cannot_read_is_said_and_the_rest_kept(tmp_path):
    import sqlite3

    with sqlite3.connect(tmp_path / "old.db") as conn:
        conn.execute("CREATE TABLE messages (id TEXT, thread_id TEXT, role TEXT, created_at TEXT)")
        conn.execute("INSERT INTO messages VALUES ('m1', 't1', 'user', '2026-12-06')")
    rows = _thread_rows(Database(tmp_path / "old.db", None), "t1")
    assert rows["messages"] == [["m1", "t1", "user", "2026-12-06"]]
    assert rows["plans"][0][0].startswith("OperationalError: no such table")
