"""Per-thread serialisation that forgets threads nobody is using, and, with several processes on
one database, spans them.

A `defaultdict(asyncio.Lock)` keeps one lock for every thread ever seen (about 200 bytes each,
200 MB per million threads); here a lock lives only while a turn holds it or waits for it.

With a `ThreadLease` (the store's, when `[storage] thread_leases` is on) a turn also holds the
thread's lease row in the database (`storage/thread_leases.py`), taken after the local lock, so
only one turn per process ever asks for it and the single-process path costs nothing more when
the option is off. A lease held by another process is asked for again with a growing pause
(`LEASE_RETRY_FIRST` up to `LEASE_RETRY_MAX`); it is free at once when that process releases it,
or once its heartbeat lapses if it died. While a turn runs its lease is renewed every third of
`lease_seconds`, since a lease not renewed for that long is free to anyone (a replica whose
release failed must not keep the thread); a release that fails is tried again, under the
thread's local lock so it can never release a later turn's lease.
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

    lease_seconds: float

    async def take_thread_lease(self, thread_id: str) -> bool: ...
    async def renew_thread_lease(self, thread_id: str) -> bool: ...
    async def release_thread_lease(self, thread_id: str) -> None: ...


class ThreadLocks:
    """`async with locks.hold(thread_id):` runs one turn per thread at a time (per process, and
    across processes with a `lease`)."""

    def __init__(self, lease: ThreadLease | None = None) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}
        self._lease = lease
        self._retries: set[asyncio.Task[None]] = set()  # releases being tried again

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with self._local(key):
            if self._lease is None:
                yield
            else:
                async with self._leased(key):
                    yield

    @contextlib.asynccontextmanager
    async def _local(self, key: str) -> AsyncIterator[None]:
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

    @contextlib.asynccontextmanager
    async def _leased(self, key: str) -> AsyncIterator[None]:
        assert self._lease is not None
        pause = LEASE_RETRY_FIRST
        while not await self._lease.take_thread_lease(key):
            await asyncio.sleep(pause)
            pause = min(pause * 2, LEASE_RETRY_MAX)
        renewing = asyncio.create_task(self._renew(key), name=f"chatops-lease-{key}")
        failed = False
        try:
            yield
        except Exception:  # (a cancelled turn still releases inline, shielded)
            failed = True
            raise
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            if failed:  # often the database is away: the caller's answer must not wait for it again
                self._spawn(self._release_later(key, first_pause=0.0))
            else:
                try:  # shielded: a cancelled turn must still give the thread back
                    await asyncio.shield(self._lease.release_thread_lease(key))
                except Exception as exc:  # tried again; it also expires on its own
                    log.warning("could not release the lease on thread %s (%s); trying again", key, exc)
                    self._spawn(self._release_later(key))

    async def _renew(self, key: str) -> None:
        assert self._lease is not None
        while True:
            await asyncio.sleep(self._lease.lease_seconds / 3)
            try:
                if not await self._lease.renew_thread_lease(key):
                    log.warning("the lease on thread %s lapsed while its turn ran", key)
            except Exception as exc:  # the database is away: the next renewal may get through
                log.warning("could not renew the lease on thread %s: %s", key, exc)

    async def _release_later(self, key: str, first_pause: float = LEASE_RETRY_MAX) -> None:
        """Release in the background, trying for one lease period (after that it has expired
        anyway): a release that failed, or the release of a turn that failed."""
        assert self._lease is not None
        pause, deadline = first_pause, asyncio.get_running_loop().time() + self._lease.lease_seconds
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(pause)
            pause = min(max(pause * 2, LEASE_RETRY_MAX), 5.0)
            async with self._local(key):  # no turn of this thread runs here meanwhile
                try:
                    await self._lease.release_thread_lease(key)
                    return
                except Exception:
                    continue

    def _spawn(self, work) -> None:
        task = asyncio.create_task(work)
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    def __len__(self) -> int:
        """How many threads have a lock right now (held or awaited)."""
        return len(self._locks)
