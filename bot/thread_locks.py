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

A turn (`hold_turn`) does not spend transactions of its own on the lease: its `TurnLease` asks
the turn's first store operation, the one that stores the message, to take the lease as its
first statement (`take_lease`), and the operation that stores the answer to give it up as its
last (`release_lease`). A busy lease makes the receiving operation store nothing and answer
`THREAD_BUSY`; the turn asks again with the same growing pause. Whatever the answer did not
release (a turn that ends waiting for an approval, or fails) is released on leaving, as above.
The guarantees are the lease's own: taken in a transaction that commits before anything of the
turn is visible, expiring by time, owned by a process.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol, TypeVar

T = TypeVar("T")

log = logging.getLogger("chatops.locks")

LEASE_RETRY_FIRST = 0.02
LEASE_RETRY_MAX = 0.5


class ThreadLease(Protocol):
    """A lock on a thread shared by every process on the database (`storage.Store`)."""

    lease_seconds: float

    async def take_thread_lease(self, thread_id: str) -> bool: ...
    async def renew_thread_lease(self, thread_id: str) -> bool: ...
    async def release_thread_lease(self, thread_id: str) -> None: ...


class TurnLease:
    """The thread's lease for one turn: taken by the turn's receiving operation, released by the
    one that stores its answer (or on leaving `hold_turn`). Without a database lease (one
    process) it asks nothing of the store."""

    def __init__(self, locks: ThreadLocks, thread_id: str) -> None:
        self._locks = locks
        self.thread_id = thread_id
        self.taken = False
        self.released = False
        self.active = True  # until the turn leaves `hold_turn`
        self._renewing: asyncio.Task[None] | None = None

    @property
    def leased(self) -> bool:
        return self._locks._lease is not None

    @property
    def held(self) -> bool:
        """The lease is this turn's now: the answer's transaction should give it up."""
        return self.leased and self.active and self.taken and not self.released

    async def take_with(self, receive: Callable[[bool], Awaitable[T]], busy: Callable[[T], bool]) -> T:
        """Run the receiving operation, asking it to take the lease (`receive(True)`) until it
        does; `busy(result)` says another process holds it (then nothing was stored)."""
        pause = LEASE_RETRY_FIRST
        while True:
            want = self.leased and not self.taken
            result = await receive(want)
            if not (want and busy(result)):
                if want:
                    self.taken = True
                    self._renewing = asyncio.create_task(self._locks._renew(self.thread_id),
                                                         name=f"chatops-lease-{self.thread_id}")
                return result
            await asyncio.sleep(pause)
            pause = min(pause * 2, LEASE_RETRY_MAX)

    def release_for(self, thread_id: str) -> bool:
        """Whether the answer about to be stored in `thread_id` should give the lease up with it."""
        return self.held and thread_id == self.thread_id

    def given_up(self) -> None:
        """The answer's transaction released the lease: nothing to renew or release any more."""
        self.released = True
        self._stop_renewing()

    def _stop_renewing(self) -> asyncio.Task[None] | None:
        renewing, self._renewing = self._renewing, None
        if renewing is not None:
            renewing.cancel()
        return renewing


# the lease of the turn running in this task (its answer gives the lease up with it)
turn_lease: contextvars.ContextVar[TurnLease | None] = contextvars.ContextVar("turn_lease", default=None)


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

    def hold_turn(self, key: str) -> _TurnHold:
        """`hold` for a turn: the local lock now, the database lease with the turn's first store
        operation (`TurnLease.take_with`), released with its answer or on leaving
        (`async with locks.hold_turn(thread_id) as lease:`)."""
        return _TurnHold(self, key)

    @contextlib.asynccontextmanager
    async def _local(self, key: str) -> AsyncIterator[None]:
        lock = self._join(key)
        try:
            async with lock:
                yield
        finally:
            self._leave(key)

    def _join(self, key: str) -> asyncio.Lock:
        """The thread's lock, counted as used until `_leave`."""
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._users[key] = self._users.get(key, 0) + 1
        return lock

    def _leave(self, key: str) -> None:
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
            await self._give_back(key, failed)

    async def _give_back(self, key: str, failed: bool) -> None:
        assert self._lease is not None
        if failed:  # often the database is away: the caller's answer must not wait for it again
            self._spawn(self._release_later(key, first_pause=0.0))
            return
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


class _TurnHold:
    """`ThreadLocks.hold_turn` as a plain async context manager (a turn enters one per message:
    a generator-based one cost two generators and their frames more, issue 23): `_local`'s lock,
    then a `TurnLease` current for the turn's task; on leaving, the lease's renewal stops and
    whatever the answer did not release is given back (as after a failure when the turn raised),
    before the lock is let go."""

    __slots__ = ("_key", "_lease", "_lock", "_locks", "_token")

    def __init__(self, locks: ThreadLocks, key: str) -> None:
        self._locks = locks
        self._key = key

    async def __aenter__(self) -> TurnLease:
        locks, key = self._locks, self._key
        lock = locks._join(key)
        try:
            await lock.acquire()
        except BaseException:
            locks._leave(key)
            raise
        self._lock = lock
        lease = self._lease = TurnLease(locks, key)
        self._token = turn_lease.set(lease)
        return lease

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: object) -> None:
        locks, key, lease = self._locks, self._key, self._lease
        try:
            turn_lease.reset(self._token)
            lease.active = False
            renewing = lease._stop_renewing()
            if renewing is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await renewing
            if lease.taken and not lease.released:
                await locks._give_back(key, isinstance(exc, Exception))
        finally:
            self._lock.release()
            locks._leave(key)
