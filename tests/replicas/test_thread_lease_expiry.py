"""Thread leases outlive neither a failed release nor a database outage (issue 22, item 5): a
lease its live owner stopped renewing (its release failed) is free after `lease_seconds`,
whoever owns it; a turn that runs longer than that keeps its lease by renewing it."""

from __future__ import annotations

import asyncio

from chatops.bot.thread_locks import ThreadLocks


async def test_a_lease_whose_live_owner_never_released_it_expires(open_store):
    owner, other = await open_store(lease_seconds=1), await open_store(lease_seconds=1)
    await owner.register_process()
    await other.register_process()
    assert await owner.take_thread_lease("web:t")  # ...and its release fails: nobody deletes the row
    assert not await other.take_thread_lease("web:t")
    for _ in range(3):  # the owner lives on (heartbeats), but does not renew the lease
        await asyncio.sleep(0.45)
        assert await owner.heartbeat() and await other.heartbeat()
    assert await other.take_thread_lease("web:t")  # main: held for as long as the owner lives


async def test_a_turn_longer_than_the_lease_keeps_it_by_renewing(open_store):
    owner, other = await open_store(lease_seconds=1), await open_store(lease_seconds=1)
    await owner.register_process()
    await other.register_process()
    locks = ThreadLocks(owner)
    async with locks.hold("web:long"):
        for _ in range(5):  # 2.25 s: more than twice the lease
            await asyncio.sleep(0.45)
            assert await owner.heartbeat() and await other.heartbeat()
            assert not await other.take_thread_lease("web:long")
    assert await other.take_thread_lease("web:long")  # released at the end of the turn
