"""The write-ahead log reaches the database file on a thread of its own (issue 23, item 2): the
writer's commits no longer wait for the checkpoint that syncs the disk twice, and what was
committed still reaches the file without any checkpoint on the writer's connection."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from chatops.storage import Store


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_committed_pages_reach_the_file_without_a_checkpoint_on_the_writer(open_store: Any) -> None:
    store: Store = await open_store()
    await store._dispatch(lambda: store.db.execute("PRAGMA wal_autocheckpoint = 0"), kind="alone")  # no safety net
    before = os.path.getsize(store.path)
    for batch in range(40):
        await store.append_audit("bulk", detail={"batch": batch, "padding": "x" * 50_000})
    for _ in range(600):  # the checkpointer runs at most every 20 ms, off the writer thread (30 s on a slow machine)
        if os.path.getsize(store.path) > before + 1_000_000:
            break
        await asyncio.sleep(0.05)
    assert os.path.getsize(store.path) > before + 1_000_000  # about 2 MB written: copied into the file
    assert store._session.checkpointer.runs > 0
    assert [row["detail"]["batch"] for row in await store.audit_log(100) if row["kind"] == "bulk"][-1] == 39


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_checkpointer_stops_with_the_store(open_store: Any) -> None:
    store: Store = await open_store()
    checkpointer = store._session.checkpointer
    await store.append_audit("one")
    await store.close()
    assert not checkpointer._thread.is_alive()
    assert not os.path.exists(f"{store.path}-wal")  # the last connection closed checkpoints and removes the log
