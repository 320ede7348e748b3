"""Per-thread serialisation that forgets threads nobody is using.

A `defaultdict(asyncio.Lock)` keeps one lock for every thread ever seen (about 200 bytes each,
200 MB per million threads); here a lock lives only while a turn holds it or waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class ThreadLocks:
    """`async with locks.hold(thread_id):` runs one turn per thread at a time."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:  # nobody holds it or waits for it: forget the thread
                del self._users[key], self._locks[key]

    def __len__(self) -> int:
        """How many threads have a lock right now (held or awaited)."""
        return len(self._locks)
