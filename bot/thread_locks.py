"""Per-thread serialisation that forgets threads nobody is using, and, with several processes on
one database, spans them.

A `defaultdict(asyncio.Lock)` keeps one lock for every thread ever seen (about 200 bytes each,
200 MB per million threads); here a lock lives only while a turn holds it or waits for it.

With a `ThreadLease` (the store's, when `[storage] thread_leases` is on) a turn also holds the
thread's lease row in the database (`storage/thread_leases.py`), taken after the local lock, so
only one turn per process ever asks for it and the single-process path costs nothing more when
the option is off. A lease held by another process is asked for again with a growing pause
(`LEASE_RETRY_FIRST` up to `LEASE_RETRY_MAX`); it is free at once when that process releases it,
or once its heartbeat lapses if it died.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Protocol

log = logging.getLogger("chatops.locks")

LEASE_RETRY_FIRST = 0.02
LEASE_RETRY_MAX = 0.5


class ThreadLease(Protocol):
    """A lock on a thread shared by every process on the database (`storage.Store`)."""

    async def take_thread_lease(self, thread_id: str) -> bool: ...
    async def release_thread_lease(self, thread_id: str) -> None: ...


class ThreadLocks:
    """`async with locks.hold(thread_id):` runs one turn per thread at a time (per process, and
    across processes with a `lease`)."""

    def __init__(self, lease: ThreadLease | None = None) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}
        self._lease = lease

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                if self._lease is None:
                    yield
                else:
                    async with self._leased(key):
                        yield
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:  # nobody holds it or waits for it: forget the thread
                del self._users[key], self._locks[key]

    @contextlib.asynccontextmanager
    async def _leased(self, key: str) -> AsyncIterator[None]:
        assert self._lease is not None
        pause = LEASE_RETRY_FIRST
        while not await self._lease.take_thread_lease(key):
            await asyncio.sleep(pause)
            pause = min(pause * 2, LEASE_RETRY_MAX)
        try:
            yield
        finally:
            try:  # shielded: a cancelled turn must still give the thread back
                await asyncio.shield(self._lease.release_thread_lease(key))
            except Exception:  # kept until this process stops; its next turn here takes it again
                log.exception("could not release the lease on thread %s", key)

    def __len__(self) -> int:
        """How many threads have a lock right now (held or awaited)."""
        return len(self._locks)
