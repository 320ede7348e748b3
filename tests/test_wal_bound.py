"""The write-ahead log stays under the 4 MB the README promises (issue 22, item 9), even when far
more than that is written between two heartbeat checkpoints (a burst of turns, or the backlog
after a disk that filled and emptied): the safety-net autocheckpoint fires before the limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatops.storage.store import WAL_SIZE_LIMIT


@pytest.mark.sqlite_only  # the log is SQLite's
async def test_the_log_stays_under_its_limit_through_ten_megabytes_of_writes(make_bot):
    bot = await make_bot()  # registered: the store's pragmas are set as under `chatops run`
    wal = Path(str(bot.store.path) + "-wal")
    largest = 0
    for batch in range(200):
        await bot.store.append_audit("bulk", detail={"batch": batch, "padding": "x" * 50_000})
        largest = max(largest, wal.stat().st_size if wal.exists() else 0)
    assert largest < WAL_SIZE_LIMIT, largest  # main: about 10 MB (autocheckpoint at 10,000 pages)


@pytest.mark.sqlite_only
async def test_small_commits_after_a_big_log_do_not_each_wait_for_a_checkpoint(make_bot):
    """The bound checks the log file's size, which a checkpoint that only rewinds the log leaves as it
    was (`journal_size_limit` cuts it down to the limit, not below): with a RESTART checkpoint, every
    commit after the log once passed the threshold waited for a checkpoint of its own (issue 23: half
    the writer's time on the fast path). The bound's checkpoint truncates the file, so it runs again
    only when the log has grown that much again."""
    bot = await make_bot()
    store = bot.store
    statements: list[str] = []
    for batch in range(80):  # ~4 MB: past the threshold at least once
        await store.append_audit("bulk", detail={"batch": batch, "padding": "x" * 50_000})
    await store._dispatch(lambda: store.db.conn.set_trace_callback(statements.append))
    try:
        for small in range(200):
            await store.append_audit("small", detail={"n": small})
    finally:
        await store._dispatch(lambda: store.db.conn.set_trace_callback(None))
    checkpoints = [sql for sql in statements if "wal_checkpoint" in sql.lower()]
    assert len(checkpoints) <= 2, checkpoints[:5]  # main: 200, one a commit
    assert [row["detail"]["n"] for row in await store.audit_log(5) if row["kind"] == "small"][-1] == 199
