"""bot/heap_trace.py, the memory trace a bench turns on (issue 22): off unless asked, and when
asked it writes snapshots and counts that separate what Python holds from what glibc keeps."""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from pathlib import Path

from chatops.bot.heap_trace import start_if_asked


async def test_nothing_runs_and_nothing_is_traced_unless_the_environment_asks() -> None:
    assert start_if_asked({}) is None
    assert start_if_asked({"CHATOPS_HEAP_TRACE": "  "}) is None
    assert not tracemalloc.is_tracing()


async def test_asked_it_writes_a_snapshot_and_the_counts_at_each_tick(tmp_path: Path) -> None:
    folder = tmp_path / "trace"
    task = start_if_asked({"CHATOPS_HEAP_TRACE": str(folder), "CHATOPS_HEAP_TRACE_EVERY": "1",
                           "CHATOPS_HEAP_TRACE_TRIM": "1"})
    assert task is not None
    try:
        counts = folder / "counts.jsonl"
        for _ in range(100):
            if counts.exists() and len(counts.read_text().splitlines()) >= 2:
                break
            await asyncio.sleep(0.1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        tracemalloc.stop()
    lines = [json.loads(line) for line in (folder / "counts.jsonl").read_text().splitlines()]
    assert [line["n"] for line in lines[:2]] == [0, 1]
    first = lines[0]
    assert first["rss_mb"] > 0 and first["rss_after_trim_mb"] > 0 and first["python_blocks"] > 0
    assert first["malloc"]["in_use_mb"] > 0 and first["malloc"]["arenas"] >= 1
    assert first["objects"]["dict"] > 0  # live objects by type
    snapshot = tracemalloc.Snapshot.load(str(folder / "heap-000.pickle"))
    assert snapshot.traces  # a real tracemalloc snapshot, for bench/heap_diff.py
    assert (folder / "tasks.jsonl").exists()
