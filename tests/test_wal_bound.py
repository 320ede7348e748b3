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
