"""`Store`: the only code that touches the database, exposing what the bot does, not tables.

Two backends run the same operations and the same migrations: a SQLite file (the default) and
PostgreSQL (`[storage] url`, for several replicas). The SQL is one portable text; what differs is
in `storage.dialect` (spelling), `storage.sqlite` and `storage.postgres` (connections, faults).

`Store` only composes: each thing stored has its part in `storage/parts/` (messages, plans,
steps, decisions, the audit log, thread events, leases, live work, …), and every operation of
every part is queued to one group-commit writer (`storage.transactions`), the one place where
transactions are opened and committed. Concurrent turns' writes share a transaction and a
commit; each caller keeps its own result and error.

Every state change is a conditional UPDATE, so two approvals of the same plan, or a click racing
the expiry sweep, can never both win: the loser sees `False`.

SQLite: one writer thread owns the file's connection. PostgreSQL, which takes concurrent writers:
`writers` threads each borrow a pooled connection for one batch at a time.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from chatops.storage.checkpointer import Checkpointer
from chatops.storage.dialect import POSTGRESQL, SQLITE, Dialect, is_postgres_url
from chatops.storage.event_signal import EventSignal
from chatops.storage.files import FileStore
from chatops.storage.operations import new_id
from chatops.storage.ownership import ProcessIdentity
from chatops.storage.parts.alerts import AlertGroups
from chatops.storage.parts.attachments import Attachments
from chatops.storage.parts.audit import AuditLog
from chatops.storage.parts.decisions import Decisions
from chatops.storage.parts.events import ThreadEvents
from chatops.storage.parts.leases import THREAD_BUSY, Leases, ThreadBusy
from chatops.storage.parts.live_work import LiveWork
from chatops.storage.parts.messages import Messages
from chatops.storage.parts.plans import Plans, RoundAnswer, RoundEnd
from chatops.storage.parts.refs import PlatformRefs
from chatops.storage.parts.schedules import Schedules
from chatops.storage.parts.steps import Steps
from chatops.storage.parts.upkeep import Upkeep
from chatops.storage.parts.views import Views
from chatops.storage.pg_event_signal import PgEventSignal
from chatops.storage.sqlite import (
    SYNCHRONOUS,
    WAL_SIZE_LIMIT,
    SqliteSession,
    Synchronous,
    connect,
    free_bytes,
    storage_fault,
)
from chatops.storage.transactions import MAX_BATCH, GroupCommit, Kind

__all__ = ["THREAD_BUSY", "WAL_SIZE_LIMIT", "RoundAnswer", "RoundEnd", "Store", "ThreadBusy", "free_bytes", "new_id",
           "storage_fault"]

R = TypeVar("R")

Dispatch = Literal["writer_thread", "to_thread"]
# PostgreSQL batches in flight at once, each on its own pooled connection. When a turn sent two
# dozen statements, four writers overlapped their waits on the server (190 against 99 turns/s
# with one, issue 23). Now a turn's trips are one function call each, and more writers only cut
# the queue into smaller batches, each with its own pool checkout, `BEGIN`, `COMMIT` and thread
# wake-ups: the bot's CPU per turn at 100 clients was 0.98 ms with 1 writer, 1.02-1.18 with 2,
# 1.15 with 4, 1.33 with 8 (`bench/experiments/http_ab.py --pg`, alternating, 6 rounds each), the
# rate no lower with 2 than with 4. Two, not one: a writer waiting on a row lock another replica
# holds (up to the server's idle-transaction timeout) leaves the other to write heartbeats and
# every other thread's turns.
PG_WRITERS = 2


class Store(Messages, Plans, Steps, Decisions, AuditLog, ThreadEvents, Leases, LiveWork, Attachments,
            PlatformRefs, AlertGroups, Schedules, Views, Upkeep):
    """Threads, messages, plans, steps, decisions and the audit log: one SQLite file (WAL), or a
    PostgreSQL database that several replicas share."""

    def __init__(self, path: Path | str, *, url: str | None = None, pool_size: int = 10,
                 dispatch: Dispatch = "writer_thread", lease_seconds: float = 30.0,
                 thread_leases: bool = False, synchronous: Synchronous = SYNCHRONOUS,
                 max_batch: int = MAX_BATCH, writers: int | None = None) -> None:
        self.path = Path(path)
        self.url = url
        self.dialect: Dialect = POSTGRESQL if url else SQLITE
        self.dispatch = dispatch  # kept for callers that pass it: every operation goes to the writer now
        self.lease_seconds = lease_seconds
        self.synchronous = synchronous
        # turns of one thread are serialised across processes too (see storage/thread_leases.py)
        self.thread_leases = thread_leases
        # when to read a thread's stored events again (see storage/event_signal.py)
        self.event_signal = EventSignal(changed=self._others_wrote) if url is None else PgEventSignal(url)
        self._data_version: int | None = None
        self.identity: ProcessIdentity | None = None  # set by `register_process`
        self._pool_size = pool_size
        self._sqlite = None
        self._local = threading.local()
        self._thread_refs = OrderedDict()
        if url:
            from chatops.storage.postgres import PgSession

            self._session: Any = PgSession(self._local)
            threads = writers or min(PG_WRITERS, pool_size)
        else:
            self._session = SqliteSession(self.path)
            threads = 1  # one connection, owned by one thread
        self._writer_threads = threads
        self._writer = GroupCommit(self._session, threads=threads, max_batch=max_batch)
        self.files = FileStore.beside(self.path)

    @classmethod
    async def open(cls, path: Path | str, *, url: str | None = None, pool_size: int = 10,
                   dispatch: Dispatch = "writer_thread", lease_seconds: float = 30.0,
                   thread_leases: bool = False, synchronous: Synchronous = SYNCHRONOUS,
                   max_batch: int = MAX_BATCH, writers: int | None = None) -> Store:
        """Open (and migrate) the database: PostgreSQL when `url` is set, else the SQLite file
        `path`. With PostgreSQL, `path`'s folder still keeps attachments' bytes (`files/`)."""
        if url is not None and not is_postgres_url(url):
            raise ValueError("a storage url starts with postgresql:// (SQLite takes a path)")
        store = cls(path, url=url, pool_size=pool_size, dispatch=dispatch, lease_seconds=lease_seconds,
                    thread_leases=thread_leases, synchronous=synchronous, max_batch=max_batch, writers=writers)
        try:
            await asyncio.to_thread(store._connect)
        except BaseException:
            await store.close()
            raise
        return store

    @classmethod
    async def open_configured(cls, settings: Any) -> Store:
        """The store a `[storage]` section describes (`bot.config.StorageConfig`)."""
        leases = settings.thread_leases if settings.thread_leases is not None else bool(settings.database_url)
        return await cls.open(settings.path, url=settings.database_url, pool_size=settings.pool_size,
                              lease_seconds=settings.lease_seconds, thread_leases=leases)

    def _connect(self) -> None:
        """Open the backend (off the event loop): the SQLite file, or PostgreSQL's pool."""
        if self.url:
            from chatops.storage.postgres import open_pool, postgres_fault

            try:
                self._session.pool = open_pool(self.url, self._pool_size, ready=self._writer_threads)
            except Exception as exc:
                fault = postgres_fault(exc)
                if fault is None:
                    raise
                raise fault from exc
            return
        try:
            self._sqlite = self._session.db = connect(self.path, self.synchronous)
            if str(self.path) != ":memory:":
                self._session.checkpointer = Checkpointer(self.path, self.synchronous)
        except Exception as exc:
            fault = storage_fault(exc, self.path)
            if fault is None:
                raise
            raise fault from exc

    async def end_stuck_transactions(self) -> int:
        """On PostgreSQL, end any replica's bot transaction open past `STUCK_TRANSACTION_SECONDS`
        (a process frozen mid-transaction holds its row locks, and every other replica's writes to
        those rows wait behind them); how many. Off the writer threads, which may be the ones
        waiting. Nothing to do on SQLite: a frozen writer's lock ends with its process or busy timeout."""
        if not self.url:
            return 0
        from chatops.storage.postgres import STUCK_TRANSACTION_SECONDS, end_stuck_transactions

        return await asyncio.to_thread(end_stuck_transactions, self.url, STUCK_TRANSACTION_SECONDS)

    async def close(self) -> None:
        await self.event_signal.close()
        checkpointer = getattr(self._session, "checkpointer", None)
        if checkpointer is not None:  # first: the writer's connection, closed last, then checkpoints all
            self._session.checkpointer = None
            await asyncio.to_thread(checkpointer.close)
        if self._sqlite is not None:
            await self._dispatch(self._sqlite.close, kind="alone")
            self._sqlite = self._session.db = None
        await asyncio.to_thread(self._writer.close)
        pool = getattr(self._session, "pool", None)
        if pool is not None:
            self._session.pool = None
            await asyncio.to_thread(pool.close)

    async def _dispatch(self, fn: Callable[..., R], *args: Any, kind: Kind = "alone", **kwargs: Any) -> R:
        """Run any blocking `fn` as one operation of the writer (tests and tools reach raw SQL so):
        by default `alone`, outside any batch's transaction, its statements committed as it ran them
        (a pragma such as `query_only` cannot wait behind `BEGIN IMMEDIATE`)."""
        return await self._writer.submit(lambda: fn(*args, **kwargs), kind)

    @property
    def batches(self) -> Any:
        """What the group-commit writer did so far (`BatchFigures`)."""
        return self._writer.figures
