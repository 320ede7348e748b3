"""The per-thread event log behind `GET /api/v1/threads/{id}/events` (Server-Sent Events).

Every hub event of a web thread gets an id and is kept in a bounded in-memory log, so a client
that reconnects with `Last-Event-ID` receives what it missed. Ids grow across restarts too (they
start from the clock), so an id from before a restart never hides newer events; the log itself
starts empty after a restart, and the thread's state is then read from `GET /threads/{id}`.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque

from bot.model import Outbound

KEEP_PER_THREAD = 500
KEEP_THREADS = 2000


class ThreadEvents:
    def __init__(self, *, keep_per_thread: int = KEEP_PER_THREAD, keep_threads: int = KEEP_THREADS) -> None:
        self._next_id = time.time_ns() // 1000  # microseconds: later processes start higher
        self._logs: OrderedDict[str, deque[tuple[int, str]]] = OrderedDict()
        self._subscribers: dict[str, set[asyncio.Queue[tuple[int, str] | None]]] = {}
        self._keep_per_thread = keep_per_thread
        self._keep_threads = keep_threads

    def publish(self, thread_id: str, event: Outbound) -> int:
        event_id = self._next_id
        self._next_id += 1
        data = event.model_dump_json()
        log = self._logs.get(thread_id)
        if log is None:
            log = self._logs[thread_id] = deque(maxlen=self._keep_per_thread)
            while len(self._logs) > self._keep_threads:
                self._logs.popitem(last=False)
        else:
            self._logs.move_to_end(thread_id)
        log.append((event_id, data))
        for queue in self._subscribers.get(thread_id, ()):
            queue.put_nowait((event_id, data))
        return event_id

    def last_id(self, thread_id: str) -> str:
        log = self._logs.get(thread_id)
        return str(log[-1][0]) if log else "0"

    def since(self, thread_id: str, after: int) -> list[tuple[int, str]]:
        return [item for item in self._logs.get(thread_id, ()) if item[0] > after]

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

    def close(self) -> None:
        """Tell every open stream to end (the server is stopping)."""
        for queues in self._subscribers.values():
            for queue in queues:
                queue.put_nowait(None)
