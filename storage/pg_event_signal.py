"""PostgreSQL pushes "events were stored for thread T" to every replica (`LISTEN/NOTIFY`).

The store sends `pg_notify('chatops_events', '<last id> <thread id>')` inside the transaction
that keeps a batch of events (`notify_sql`), so the notification goes out exactly when the
events become visible, and never for a batch that rolled back. Each replica that has an event
stream open listens on one dedicated `psycopg.AsyncConnection` (not a pool connection: a
listening session must stay open, and the pool hands connections to whichever operation asks),
opened on the first wait, so a replica nobody listens to holds no extra connection.

While the listening connection is up, a stream is woken by the notification, and the poll only
runs rarely (`LISTENING_POLL_SECONDS`, a safety net); while it is down (the server restarted, the
network dropped) it is opened again in the background and the streams poll at the portable
interval meanwhile, so nothing is missed, only later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from chatops.storage.event_signal import POLL_SECONDS, EventSignal

CHANNEL = "chatops_events"
LISTENING_POLL_SECONDS = 2.0
RECONNECT_SECONDS = 1.0

log = logging.getLogger("chatops.storage.listen")


def notify_sql(latest: dict[str, int]) -> tuple[str, list[str]]:
    """The statement (portable `?` placeholders) that tells every listener which threads have new
    events: one `pg_notify` per thread, run inside the transaction that stored them."""
    payloads = [f"{event_id} {thread_id}" for thread_id, event_id in latest.items()]
    return ("SELECT " + ", ".join(f"pg_notify('{CHANNEL}', ?)" for _ in payloads)), payloads


class PgEventSignal(EventSignal):
    """`EventSignal` woken by PostgreSQL notifications from every replica."""

    def __init__(self, url: str) -> None:
        super().__init__(POLL_SECONDS)
        self._url = url
        self._listener: asyncio.Task[None] | None = None
        self._conn: Any = None  # psycopg.AsyncConnection while listening

    async def wait_for_events(self, thread_id: str, after: int, timeout: float) -> None:
        if self._listener is None:
            self._listener = asyncio.get_running_loop().create_task(self._listen(), name="chatops-listen-events")
        await super().wait_for_events(thread_id, after, timeout)

    async def _listen(self) -> None:
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self._url, autocommit=True) as conn:
                    self._conn = conn
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.poll_seconds = LISTENING_POLL_SECONDS
                    async for note in conn.notifies():
                        event_id, _, thread_id = note.payload.partition(" ")
                        if event_id.isdigit() and thread_id:
                            self.notify({thread_id: int(event_id)})
            except Exception as exc:  # psycopg.Error, mostly: the streams poll until it is back
                log.warning("listening for events from other replicas failed (%s); polling meanwhile", exc)
            finally:
                self._conn = None
                self.poll_seconds = POLL_SECONDS
            await asyncio.sleep(RECONNECT_SECONDS)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await super().close()
