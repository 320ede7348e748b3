"""Thread leases outlive neither a failed release nor a database outage (issue 22, item 5): a
lease its live owner stopped renewing (its release failed) is free after `lease_seconds`,
whoever owns it; a turn that runs longer than that keeps its lease by renewing it."""

from __future__ import annotations

import pytest

from chatops.bot.faults import StorageUnavailable
from chatops.bot.thread_locks import ThreadLocks
from chatops.storage import Store
from tests.polling import eventually
from tests.postgres_server import running_postgres
from tests.replicas.heartbeats import thread_lease_renewed, thread_lease_taken_at


async def test_a_lease_whose_live_owner_never_released_it_expires(open_store):
    # a long lease whose renewal the test ages: a stalled machine can neither make the live owner's
    # lease look lapsed too early nor keep a lapsed one held
    owner, other = await open_store(lease_seconds=60), await open_store(lease_seconds=60)
    await owner.register_process()
    await other.register_process()
    assert await owner.take_thread_lease("web:t")  # ...and its release fails: nobody deletes the row
    assert not await other.take_thread_lease("web:t")
    await thread_lease_renewed(owner, "web:t", seconds_ago=30)  # unrenewed for half the lease: still held
    assert await owner.heartbeat() and await other.heartbeat()
    assert not await other.take_thread_lease("web:t")
    await thread_lease_renewed(owner, "web:t", seconds_ago=61)  # unrenewed for longer than the lease
    assert await owner.heartbeat() and await other.heartbeat()  # the owner lives on
    assert await other.take_thread_lease("web:t")  # before dd57d58: held for as long as the owner lived
    assert not await owner.take_thread_lease("web:t")  # taken over afresh: the other's now


async def test_a_turn_longer_than_the_lease_keeps_it_by_renewing(open_store):
    # the owner renews every third of its 1 s lease; the other replica judges by a 60 s lease, and
    # the test ages the last renewal past it each time: only another renewal holds the thread again
    owner, other = await open_store(lease_seconds=1), await open_store(lease_seconds=60)
    await owner.register_process()
    await other.register_process()
    locks = ThreadLocks(owner)

    async with locks.hold("web:long"):
        for _ in range(4):  # renewals a third of the lease apart: a turn longer than the owner's lease
            lapsed = await thread_lease_renewed(owner, "web:long", seconds_ago=61)

            async def renewed(since: str = lapsed) -> bool:
                return (await thread_lease_taken_at(owner, "web:long") or "") > since

            await eventually(renewed, timeout=20, what="the running turn to renew its lease")
            assert not await other.take_thread_lease("web:long")
    assert await thread_lease_taken_at(owner, "web:long") is None  # released at the end of the turn
    assert await other.take_thread_lease("web:long")


@pytest.fixture
def stoppable_server():
    """A PostgreSQL server no other test uses, so this one may stop it."""
    with running_postgres() as server:
        yield server


@pytest.mark.sqlite_only  # (the fixture's own backend: both stores below name the stoppable PostgreSQL server)
async def test_a_release_that_failed_in_an_outage_is_tried_again_when_the_database_returns(
        stoppable_server, tmp_path, caplog):
    """The release at the end of a turn fails while PostgreSQL is down; the owner tries it again,
    so the other replica gets the thread as soon as the database is back, long before the lease
    would expire (`lease_seconds` = 60 here; the wait allowed is 25 s)."""
    url = stoppable_server.create_database()
    owner = await Store.open(tmp_path / "a.db", url=url, lease_seconds=60)
    other = await Store.open(tmp_path / "b.db", url=url, lease_seconds=60)
    try:
        await owner.register_process()
        await other.register_process()
        locks = ThreadLocks(owner)
        async with locks.hold("web:t"):
            assert not await other.take_thread_lease("web:t")
            stoppable_server.stop(mode="fast")  # the outage: the release on leaving fails
        stoppable_server.start()

        async def taken() -> bool:
            try:
                await owner.heartbeat()  # the owner lives on: only its own release frees the thread
                return await other.take_thread_lease("web:t")
            except StorageUnavailable:  # a pooled connection the restart broke
                return False

        # main before the fix: the row stayed, owned by a live replica, until that replica ran a
        # turn on the same thread (the follow-ups that hung past 40 s)
        await eventually(taken, timeout=25, what="the other replica to get the thread")
        assert "could not release the lease on thread web:t" in caplog.text  # the outage did hit the release
    finally:
        await owner.close()
        await other.close()
