"""Waking the event streams when a thread may have new events, whichever replica stored them.

The stored events (`thread_events`) are the one source every stream reads, on every replica; this
only says *when* to read again. `EventSignal`, the portable default, wakes a thread's streams at
once when this process stored events for it (`notify`), and otherwise polls: every
`poll_seconds`, while any stream waits, one ticker asks `changed()` whether another process may
have written, and if so wakes every waiting stream to read. A replica nobody listens to does
nothing at all.

`changed` is what makes polling cheap: on a SQLite file it is `PRAGMA data_version` (which moves
only when another connection committed), so one process alone on its file costs one tiny pragma
per interval however many streams are open, and never a read of the events it already knows.
Without it every tick wakes every stream. A backend with a push channel (PostgreSQL's
`LISTEN/NOTIFY`, `storage/pg_event_signal.py`) calls `notify` when the database says so and
polls only as a safety net.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

POLL_SECONDS = 0.25
REMEMBERED_THREADS = 10_000  # the newest id notified per thread, for this many threads

log = logging.getLogger("chatops.storage.events")

Changed = Callable[[], Awaitable[bool]]


class EventSignal:
    """`await signal.wait_for_events(thread_id, after, timeout)` returns when events after `after`
    may have been stored for the thread: at once after a `notify` for it, at the next tick when
    another process may have written, or after `timeout`. A spurious return is harmless: the
    caller reads."""

    def __init__(self, poll_seconds: float = POLL_SECONDS, changed: Changed | None = None) -> None:
        self.poll_seconds = poll_seconds
        self._changed = changed
        self._waiting: dict[str, set[asyncio.Event]] = {}
        # a notify that lands between a stream's read and its next wait must not be lost
        self._latest: OrderedDict[str, int] = OrderedDict()
        self._ticker: asyncio.Task[None] | None = None

    def notify(self, latest: dict[str, int]) -> None:
        """Events up to these ids were stored for these threads (call on the event loop)."""
        for thread_id, event_id in latest.items():
            if event_id > self._latest.get(thread_id, 0):
                self._latest[thread_id] = event_id
                self._latest.move_to_end(thread_id)
            for woken in self._waiting.get(thread_id, ()):
                woken.set()
        while len(self._latest) > REMEMBERED_THREADS:
            self._latest.popitem(last=False)

    async def wait_for_events(self, thread_id: str, after: int, timeout: float) -> None:
        if self._latest.get(thread_id, 0) > after:
            return
        woken = asyncio.Event()
        self._waiting.setdefault(thread_id, set()).add(woken)
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.get_running_loop().create_task(self._tick(), name="chatops-event-poll")
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), timeout)
        finally:
            waiters = self._waiting.get(thread_id)
            if waiters is not None:
                waiters.discard(woken)
                if not waiters:
                    del self._waiting[thread_id]

    async def _tick(self) -> None:
        """While streams wait: every `poll_seconds`, wake them all if another process may have
        stored events."""
        while self._waiting:
            await asyncio.sleep(self.poll_seconds)
            try:
                changed = self._changed is None or await self._changed()
            except Exception:  # cannot tell: let the streams read (they handle a failing read)
                log.exception("could not tell whether other processes stored events")
                changed = True
            if changed:
                for waiters in list(self._waiting.values()):
                    for woken in waiters:
                        woken.set()

    async def close(self) -> None:
        """Stop polling (a backend's push channel closes here too)."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
