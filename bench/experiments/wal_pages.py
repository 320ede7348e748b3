"""Write-ahead-log pages a `!command` fast-path turn writes on SQLite (issue 23), at 1 and at 100
turns in flight: the checkpoints are turned off for the timed turns, so the log keeps every
frame each commit appended, and the growth of the file divided by one frame (page + 24-byte
header) is the pages written. Each page is one index or table b-tree page a commit dirtied.

    PYTHONPATH=. .venv/bin/python bench/experiments/wal_pages.py [CHECKOUT]
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

TREE = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TREE))

import bench.pipeline as pipeline  # noqa: E402
from chatops.storage import checkpointer, sqlite  # noqa: E402
from chatops.storage.store import Store  # noqa: E402

FRAME = 4096 + 24
opened: list[Any] = []
checkpointer.Checkpointer.poke = lambda self: None  # type: ignore[method-assign]
sqlite.SqliteSession._bound_the_log = lambda self, conn: None  # type: ignore[method-assign]  # nor the writer's bound
_open = Store.open.__func__  # type: ignore[attr-defined]


async def _open_and_keep(cls: type, *args: Any, **kwargs: Any) -> Any:
    store = await _open(cls, *args, **kwargs)
    opened.append(store)
    return store


Store.open = classmethod(_open_and_keep)  # type: ignore[method-assign, assignment]
_drive = pipeline.drive


async def drive(concurrency: int, turns: int, fn: Any) -> Any:
    if turns < 100:  # the warm-up
        return await _drive(concurrency, turns, fn)
    store = opened[-1]
    await store._dispatch(lambda: store.db.execute("PRAGMA wal_autocheckpoint = 0"))
    await store._dispatch(lambda: store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)"))
    wal = f"{store.path}-wal"
    before = os.path.getsize(wal)
    result = await _drive(concurrency, turns, fn)
    print(f"  {concurrency:3d} in flight: {(os.path.getsize(wal) - before) / FRAME / turns:.1f} WAL pages per turn")
    return result


pipeline.drive = drive
if __name__ == "__main__":
    print(TREE)
    for concurrency, turns in ((1, 500), (100, 2000)):
        asyncio.run(pipeline.bench_hub(pipeline.VARIANTS["fast"], concurrency, turns, "writer_thread"))
