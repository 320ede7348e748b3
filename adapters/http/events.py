"""The per-thread event log behind `GET /api/v1/threads/{id}/events` (Server-Sent Events).

Every hub event of a web thread gets an id and is kept in a bounded in-memory log, so a client
that reconnects with `Last-Event-ID` receives what it missed. Ids grow across restarts too (they
start from the clock), so an id from before a restart never hides newer events.

With a store, events are also kept in the database, so a client that reconnects after a restart
(or after more than the in-memory log holds) is sent what it missed from there. They are written
in batches, off the turns' path: at most every `FLUSH_SECONDS`, one transaction for whatever
accumulated, and on `close`. A crash can lose the last fraction of a second of events; what they
said (plans, steps, answers, notices) is stored anyway and `GET /threads/{id}` shows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from typing import Protocol

from bot.model import Outbound

KEEP_PER_THREAD = 500
KEEP_THREADS = 2000
FLUSH_SECONDS = 0.05

log = logging.getLogger("chatops.http.events")


class EventStore(Protocol):
    """What the event log needs from `storage.Store`."""

    async def keep_thread_events(self, events: list[tuple[int, str, str]]) -> None: ...
    async def thread_events(self, thread_id: str, after: int, limit: int = 1000) -> list[tuple[int, str]]: ...
    async def last_thread_event(self, thread_id: str) -> int: ...


class ThreadEvents:
    def __init__(self, *, keep_per_thread: int = KEEP_PER_THREAD, keep_threads: int = KEEP_THREADS,
                 store: EventStore | None = None) -> None:
        self._next_id = time.time_ns() // 1000  # microseconds: later processes start higher
        self._first_id = self._next_id  # anything older was published by an earlier process
        self._logs: OrderedDict[str, deque[tuple[int, str]]] = OrderedDict()
        self._dropped: dict[str, int] = {}  # per thread, the newest id that fell out of memory
        self._subscribers: dict[str, set[asyncio.Queue[tuple[int, str] | None]]] = {}
        self._keep_per_thread = keep_per_thread
        self._keep_threads = keep_threads
        self._store = store
        self._pending: list[tuple[int, str, str]] = []
        self._flusher: asyncio.Task[None] | None = None

    def publish(self, thread_id: str, event: Outbound) -> int:
        event_id = self._next_id
        self._next_id += 1
        data = event.model_dump_json()
        log_ = self._logs.get(thread_id)
        if log_ is None:
            log_ = self._logs[thread_id] = deque(maxlen=self._keep_per_thread)
            while len(self._logs) > self._keep_threads:
                evicted, _ = self._logs.popitem(last=False)
                self._dropped.pop(evicted, None)
        else:
            self._logs.move_to_end(thread_id)
        if len(log_) == log_.maxlen:
            self._dropped[thread_id] = log_[0][0]
        log_.append((event_id, data))
        for queue in self._subscribers.get(thread_id, ()):
            queue.put_nowait((event_id, data))
        if self._store is not None:
            self._pending.append((event_id, thread_id, data))
            if self._flusher is None or self._flusher.done():
                self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())
        return event_id

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        """Write what accumulated (one transaction)."""
        batch, self._pending = self._pending, []
        if batch and self._store is not None:
            try:
                await self._store.keep_thread_events(batch)
            except Exception:  # the stream still works from memory; only a later resume misses these
                log.exception("could not keep %d event(s)", len(batch))

    def last_id(self, thread_id: str) -> str:
        log_ = self._logs.get(thread_id)
        return str(log_[-1][0]) if log_ else "0"

    async def last_id_kept(self, thread_id: str) -> str:
        """The last event id of the thread, from memory or, after a restart, from the store."""
        if thread_id in self._logs or self._store is None:
            return self.last_id(thread_id)
        return str(await self._store.last_thread_event(thread_id))

    def since(self, thread_id: str, after: int) -> list[tuple[int, str]]:
        return [item for item in self._logs.get(thread_id, ()) if item[0] > after]

    async def replay(self, thread_id: str, after: int) -> list[tuple[int, str]]:
        """What a client that last saw `after` missed: from memory when memory reaches back that
        far, else from the store (and memory for what is not written yet)."""
        in_memory = self.since(thread_id, after)
        covered = (thread_id in self._logs and after >= self._first_id - 1
                   and after >= self._dropped.get(thread_id, 0))
        if covered or self._store is None:
            return in_memory
        kept = await self._store.thread_events(thread_id, after)
        merged = dict(kept)
        merged.update(in_memory)
        return sorted(merged.items())

    def subscribe(self, thread_id: str) -> asyncio.Queue[tuple[int, str] | None]:
        queue: asyncio.Queue[tuple[int, str] | None] = asyncio.Queue()
        self._subscribers.setdefault(thread_id, set()).add(queue)
        return queue

    def unsubscribe(self, thread_id: str, queue: asyncio.Queue[tuple[int, str] | None]) -> None:
        queues = self._subscribers.get(thread_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._subscribers[thread_id]

    async def close(self) -> None:
        """Tell every open stream to end (the server is stopping) and write what is pending."""
        for queues in self._subscribers.values():
            for queue in queues:
                queue.put_nowait(None)
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self.flush()
