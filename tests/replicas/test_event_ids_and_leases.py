"""The store's part of several replicas, on both backends with several stores (each its own
connection or pool, as separate processes have): event ids from the database, the wake-up
PostgreSQL pushes, and thread leases."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.polling import eventually
from tests.replicas.heartbeats import last_heartbeat


async def test_event_ids_from_many_writers_are_unique_and_in_publish_order_per_thread(open_store):
    stores = [await open_store() for _ in range(3)]

    async def write(store, writer: int) -> list[tuple[int, str, str]]:
        kept = []
        for batch in range(15):
            events = [(f"web:t{n}", f"w{writer}-b{batch}-{n}") for n in range(3)]
            ids = await store.keep_thread_events(events)
            kept += [(event_id, thread, data) for event_id, (thread, data) in zip(ids, events, strict=True)]
        return kept

    written = [row for rows in await asyncio.gather(*(write(s, i) for i, s in enumerate(stores))) for row in rows]
    ids = [event_id for event_id, _, _ in written]
    assert len(set(ids)) == len(ids) == 3 * 15 * 3
    for n in range(3):
        stored = await stores[0].thread_events(f"web:t{n}", 0)
        assert [data for _, data in stored] == [data for _, thread, data in sorted(written) if thread == f"web:t{n}"]
        for writer in range(3):  # each writer's events keep the order it published them in
            mine = [event_id for event_id, data in stored if data.startswith(f"w{writer}-")]
            assert mine == sorted(mine)
    assert await stores[1].last_thread_event("web:t2") == max(i for i, thread, _ in written if thread == "web:t2")


async def test_the_first_id_is_above_the_clock_based_ids_kept_before_the_upgrade(open_store):
    store = await open_store()
    old = time.time_ns() // 1000  # what the per-process counter handed out before v11

    def keep_old() -> None:
        store.db.execute("INSERT INTO thread_events (id, thread_id, data) VALUES (?, ?, ?)", [old, "web:t", "{}"])

    await store._dispatch(keep_old, kind="write")  # in a transaction of its own
    [new] = await store.keep_thread_events([("web:t", "{}")])
    assert new == old + 1
    assert [event_id for event_id, _ in await store.thread_events("web:t", old)] == [new]


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_postgresql_wakes_a_listener_of_another_replica_when_events_are_stored(open_store):
    writer, reader = await open_store(), await open_store()
    signal = reader.event_signal
    await signal.wait_for_events("web:t", 0, 0.01)  # the first wait opens the listening connection
    for _ in range(200):
        if signal._conn is not None and signal.poll_seconds > 1:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the reader never started listening")
    await asyncio.sleep(0.2)  # LISTEN has run on the connection
    started = time.monotonic()
    [event_id] = await writer.keep_thread_events([("web:t", "{}")])
    # only a notification tells the reader's signal an id (it never wrote one itself)
    await eventually(lambda: signal._newest("web:t") == event_id, timeout=5, what="the notification")
    assert time.monotonic() - started < 1.0  # pushed, not found by its 2 s safety poll


async def test_a_thread_lease_has_one_live_holder_across_processes(open_store):
    # a long process lease: a stalled machine cannot make a live holder look dead; the test ages
    # the heartbeat that has to look lapsed
    first, second = await open_store(lease_seconds=60), await open_store(lease_seconds=60)
    await first.register_process()
    await second.register_process()
    assert await first.take_thread_lease("web:t")
    assert not await second.take_thread_lease("web:t")
    assert await second.take_thread_lease("web:other")  # other threads are not held
    assert await first.take_thread_lease("web:t")  # its own (a release that failed): taken again
    await first.release_thread_lease("web:t")
    assert await second.take_thread_lease("web:t")
    assert not await first.take_thread_lease("web:t")

    await last_heartbeat(second, seconds_ago=61)  # the holder stopped heartbeating: its threads are free
    assert await first.heartbeat()
    assert await first.take_thread_lease("web:t")
