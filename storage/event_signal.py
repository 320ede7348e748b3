"""Waking the event streams when a thread may have new events, whichever replica stored them.

The stored events (`thread_events`) are the one source every stream reads, on every replica; this
only says *when* to read again. `EventSignal`, the portable default, is woken at once by events
this process stored (`notify`) and otherwise returns after `poll_seconds`, so a listener on
another replica reads what this one stored within that interval. A backend with a push channel
(PostgreSQL's `LISTEN/NOTIFY`) subclasses it and calls `notify` when the database says so; the
streams do not change.

Polling costs one indexed read per interval per open stream, and only while a stream is open:
a replica nobody listens to reads nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict

POLL_SECONDS = 0.25
REMEMBERED_THREADS = 10_000  # the newest id notified per thread, for this many threads


class EventSignal:
    """`await signal.wait_for_events(thread_id, after, timeout)` returns when events after `after`
    may have been stored for the thread: at once after a `notify` for it, else after at most
    `poll_seconds` (or `timeout`, if shorter). A spurious return is harmless: the caller reads."""

    def __init__(self, poll_seconds: float = POLL_SECONDS) -> None:
        self.poll_seconds = poll_seconds
        self._waiting: dict[str, set[asyncio.Event]] = {}
        # a notify that lands between a stream's read and its next wait must not be lost
        self._latest: OrderedDict[str, int] = OrderedDict()

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
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), min(timeout, self.poll_seconds))
        finally:
            waiters = self._waiting.get(thread_id)
            if waiters is not None:
                waiters.discard(woken)
                if not waiters:
                    del self._waiting[thread_id]

    async def close(self) -> None:
        """Stop listening (a backend's push channel closes here)."""
