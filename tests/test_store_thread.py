"""`StoreThread`, the store's trip to its own thread and back: what `run_in_executor` did before
it (results, exceptions, order, a cancelled job never run), on one named thread."""

from __future__ import annotations

import asyncio
import threading

import pytest

from storage.store_thread import StoreThread


async def test_results_exceptions_and_order_come_back_from_one_named_thread():
    worker = StoreThread("chatops-store-test")
    seen: list[tuple[int, str]] = []

    def job(n: int) -> int:
        seen.append((n, threading.current_thread().name))
        if n == 3:
            raise ValueError("three")
        return n * 10

    results = await asyncio.gather(*(worker.run(job, n) for n in range(6)), return_exceptions=True)
    worker.stop()
    assert results[:3] == [0, 10, 20] and isinstance(results[3], ValueError) and results[4:] == [40, 50]
    assert seen == [(n, "chatops-store-test") for n in range(6)]


async def test_a_job_whose_caller_gave_up_before_it_started_never_runs():
    worker = StoreThread("chatops-store-test")
    gate = threading.Event()
    ran: list[str] = []
    first = asyncio.ensure_future(worker.run(gate.wait))
    queued = asyncio.ensure_future(worker.run(ran.append, "queued"))
    await asyncio.sleep(0.01)
    queued.cancel()  # still waiting behind the first job
    gate.set()
    assert await first is True
    with pytest.raises(asyncio.CancelledError):
        await queued
    await worker.run(ran.append, "after")
    worker.stop()
    assert ran == ["after"]


async def test_a_stopped_thread_takes_no_more_work():
    worker = StoreThread("chatops-store-test")
    assert await worker.run(lambda: "ok") == "ok"
    worker.stop()
    with pytest.raises(RuntimeError, match="stopped"):
        await worker.run(lambda: "late")
