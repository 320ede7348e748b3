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
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

POLL_SECONDS = 0.25
REMEMBERED_THREADS = 10_000  # the newest id notified per thread, for at most this many threads
# ... and for this long: a notify matters only to a stream between its read and its next wait
# (a stream that missed one reads again at its keepalive anyway). Without it a busy replica, which
# on PostgreSQL hears every replica's threads, kept all 10,000 for good (issue 22's chaos soak)
REMEMBERED_SECONDS = 60.0

log = logging.getLogger("chatops.storage.events")

Changed = Callable[[], Awaitable[bool]]


class EventSignal:
    """`await signal.wait_for_events(thread_id, after, timeout)` returns when events after `after`
    may have been stored for the thread: at once after a `notify` for it, at the next tick when
    another process may have written, or after `timeout`. A spurious return is harmless: the
    caller reads."""

    def __init__(self, poll_seconds: float = POLL_SECONDS, changed: Changed | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.poll_seconds = poll_seconds
        self._changed = changed
        self._clock = clock
        self._waiting: dict[str, set[asyncio.Event]] = {}
        # a notify that lands between a stream's read and its next wait must not be lost:
        # thread id -> (newest event id notified, when), least recently notified first
        self._latest: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._ticker: asyncio.Task[None] | None = None

    def notify(self, latest: dict[str, int]) -> None:
        """Events up to these ids were stored for these threads (call on the event loop)."""
        now = self._clock()
        for thread_id, event_id in latest.items():
            if event_id > self._newest(thread_id):
                self._latest[thread_id] = (event_id, now)
                self._latest.move_to_end(thread_id)
            for woken in self._waiting.get(thread_id, ()):
                woken.set()
        while self._latest and (len(self._latest) > REMEMBERED_THREADS
                                or next(iter(self._latest.values()))[1] < now - REMEMBERED_SECONDS):
            self._latest.popitem(last=False)

    def _newest(self, thread_id: str) -> int:
        return self._latest.get(thread_id, (0, 0.0))[0]

    async def wait_for_events(self, thread_id: str, after: int, timeout: float) -> None:
        if self._newest(thread_id) > after:
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
