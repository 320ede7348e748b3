"""storage/event_signal.py remembers the newest event id notified per thread only while it can
matter (issue 22: a busy replica kept 10,000 threads' ids for good, part of the chaos soak's RSS
growth), and still never loses a notify that lands between a stream's read and its wait."""

from __future__ import annotations

import asyncio
import time

from chatops.storage.event_signal import REMEMBERED_SECONDS, REMEMBERED_THREADS, EventSignal


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_ids_older_than_the_window_are_forgotten_as_new_ones_come() -> None:
    clock = Clock()
    signal = EventSignal(clock=clock)
    signal.notify({f"http:t-{n}": n + 1 for n in range(5_000)})  # a flood of threads
    assert len(signal._latest) == 5_000
    clock.now += REMEMBERED_SECONDS + 1
    signal.notify({"http:t-late": 7})
    assert list(signal._latest) == ["http:t-late"]


async def test_a_busy_replica_keeps_only_the_last_window_of_threads() -> None:
    clock = Clock()
    signal = EventSignal(clock=clock)
    for second in range(600):  # ten minutes, 50 new threads a second
        clock.now += 1
        signal.notify({f"http:t-{second}-{n}": 1 for n in range(50)})
        assert len(signal._latest) <= min(REMEMBERED_THREADS, 50 * (REMEMBERED_SECONDS + 1))


async def test_a_notify_between_a_read_and_the_wait_still_returns_at_once() -> None:
    clock = Clock()
    signal = EventSignal(clock=clock)
    signal.notify({"http:t-1": 5})  # stored after the stream read up to 4, before it waits
    clock.now += REMEMBERED_SECONDS - 1
    signal.notify({"http:t-other": 1})
    started = time.monotonic()
    await signal.wait_for_events("http:t-1", after=4, timeout=5)
    assert time.monotonic() - started < 1
    await signal.close()


async def test_a_waiting_stream_is_woken_by_a_notify() -> None:
    signal = EventSignal(poll_seconds=10)
    waiting = asyncio.create_task(signal.wait_for_events("http:t-1", after=0, timeout=5))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    signal.notify({"http:t-1": 1})
    await waiting
    assert time.monotonic() - started < 1
    await signal.close()
