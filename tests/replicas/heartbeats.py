"""Making a process look silent, or a thread's lease look unrenewed, without waiting for it: its
heartbeat or its lease's last renewal written back in time."""

from __future__ import annotations

from datetime import timedelta

from chatops.bot.model import utcnow
from chatops.storage import Store
from chatops.storage.operations import ts


async def last_heartbeat(store: Store, seconds_ago: float) -> None:
    """Write `store`'s process heartbeat as `seconds_ago` old, as a process that went silent then
    leaves it. The test decides who looks alive, not how fast the machine ran between two calls:
    with a short real process lease instead, a stalled machine made a live holder look dead."""
    at = ts(utcnow() - timedelta(seconds=seconds_ago))
    await store._dispatch(lambda: store.db.execute("UPDATE processes SET heartbeat_at = ? WHERE id = ?",
                                                   [at, store.process_id]), kind="write")


async def thread_lease_renewed(store: Store, thread_id: str, seconds_ago: float) -> str:
    """Write the last renewal of the lease on `thread_id` as `seconds_ago` old, as an owner that
    stopped renewing it then leaves it; returns the stamp written. The test decides whether the
    lease looks lapsed: with a short real lease, a stalled machine made a renewing owner's lease
    look expired to the other replica."""
    at = ts(utcnow() - timedelta(seconds=seconds_ago))
    await store._dispatch(lambda: store.db.execute("UPDATE thread_leases SET taken_at = ? WHERE thread_id = ?",
                                                   [at, thread_id]), kind="write")
    return at


async def thread_lease_taken_at(store: Store, thread_id: str) -> str | None:
    """When the lease on `thread_id` was last taken or renewed, as stored (None: nobody holds it)."""
    row = await store._dispatch(lambda: store.db.execute(
        "SELECT taken_at FROM thread_leases WHERE thread_id = ?", [thread_id]).fetchone())
    return row[0] if row else None
