"""Named leases (migration v10): one holder at a time across processes sharing one database.

Each `Store` here is its own connection (or pool) with its own process identity, as two replicas
are; the database is shared, a SQLite file or a PostgreSQL database. A lease is free when it was
never taken, has expired, was released, or its holder stopped or stopped heartbeating, and only
then can another process take it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio

from chatops.storage import Store
from chatops.storage.migrations import SCHEMA_VERSION
from tests.replicas.heartbeats import last_heartbeat

NAME = "discord:test"
Opener = Callable[..., Awaitable[Store]]


@pytest_asyncio.fixture
async def replica(open_store) -> AsyncIterator[Opener]:
    """`await replica(lease_seconds=…)` → a registered store on the shared database (one SQLite
    file, or one PostgreSQL database: every test runs on both)."""

    async def open_one(lease_seconds: float = 30.0) -> Store:
        store = await open_store(lease_seconds=lease_seconds)
        await store.register_process()
        return store

    yield open_one


async def test_the_schema_has_leases(replica):
    store = await replica()
    assert SCHEMA_VERSION >= 10
    assert await store.lease_holder(NAME) is None


async def test_one_holder_at_a_time_and_the_holder_renews(replica):
    first, second = await replica(), await replica()
    assert await first.hold_lease(NAME)
    taken = await first.lease_holder(NAME)
    assert taken is not None and taken.holder == first.process_id
    assert not await second.hold_lease(NAME)
    await asyncio.sleep(0.01)
    assert await first.hold_lease(NAME)  # renewed: same holder, later expiry, same acquired_at
    renewed = await first.lease_holder(NAME)
    assert renewed.holder == first.process_id and renewed.expires_at > taken.expires_at
    assert renewed.acquired_at == taken.acquired_at
    assert not await second.hold_lease(NAME)


async def test_an_expired_lease_is_taken_and_the_old_holder_cannot_renew_it(replica):
    first, second = await replica(), await replica()
    assert await first.hold_lease(NAME, seconds=60)
    assert not await second.hold_lease(NAME, seconds=60)
    # a renewal for 0.2 s: the lease runs out however long the machine stalls after it (a stall
    # before it cannot make the lease look expired to `second` above, as a 0.2 s first hold could)
    assert await first.hold_lease(NAME, seconds=0.2)
    await asyncio.sleep(0.3)  # first is still alive (heartbeat fresh) but did not renew in time
    assert await first.heartbeat()
    assert await second.hold_lease(NAME, seconds=60)
    assert not await first.hold_lease(NAME, seconds=60)  # paused past expiry: it lost the lease
    assert (await second.lease_holder(NAME)).holder == second.process_id


async def test_the_lease_of_a_silent_or_stopped_holder_is_free_before_it_expires(replica):
    first = await replica(lease_seconds=60)
    watcher = await replica(lease_seconds=60)
    assert await first.hold_lease(NAME, seconds=600)
    assert not await watcher.hold_lease(NAME, seconds=600)
    await last_heartbeat(first, seconds_ago=30)  # silent for half the process lease: still alive
    assert not await watcher.hold_lease(NAME, seconds=600)
    await last_heartbeat(first, seconds_ago=61)  # older than the process lease: it died
    assert await watcher.hold_lease(NAME, seconds=600)
    assert (await watcher.lease_holder(NAME)).holder == watcher.process_id

    stopping = await replica()
    other = await replica()
    assert await stopping.hold_lease("other", seconds=60)
    assert not await other.hold_lease("other", seconds=60)
    await stopping.retire_process()  # stopped (cleanly or found dead): its leases are free at once
    assert await other.hold_lease("other", seconds=60)


async def test_a_released_lease_is_taken_at_once_and_only_its_holder_can_release_it(replica):
    first, second = await replica(), await replica()
    assert await first.hold_lease(NAME)
    assert not await second.release_lease(NAME)
    assert not await second.hold_lease(NAME)
    assert await first.release_lease(NAME)
    assert await first.lease_holder(NAME) is None
    assert await second.hold_lease(NAME)


async def test_many_replicas_asking_at_once_get_one_holder(replica):
    stores = [await replica() for _ in range(6)]
    for attempt in range(5):
        name = f"race-{attempt}"
        won = await asyncio.gather(*(store.hold_lease(name) for store in stores))
        assert won.count(True) == 1, won
        holder = (await stores[0].lease_holder(name)).holder
        assert holder == stores[won.index(True)].process_id


async def test_a_lease_needs_a_registered_process(tmp_path):
    store = await Store.open(tmp_path / "alone.db")
    try:
        with pytest.raises(RuntimeError, match="register_process"):
            await store.hold_lease(NAME)
        assert not await store.release_lease(NAME)
    finally:
        await store.close()
