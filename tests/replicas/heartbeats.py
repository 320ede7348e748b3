"""Making a process look silent without waiting for it: its heartbeat written back in time."""

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
