"""`Store`: the only code that touches the database, exposing what the bot does, not tables.

Two backends run the same operations and the same migrations: a SQLite file (the default) and
PostgreSQL (`[storage] url`, for several replicas). The SQL is one portable text; what differs is
in `storage.dialect` (spelling) and `storage.postgres` (the connection and the DDL).

Every state change is one conditional UPDATE inside one transaction, so two approvals of the same
plan, or a click racing the expiry sweep, can never both win: the loser sees `False`.

All SQLite work runs on one dedicated thread that owns the connection (`dispatch="writer_thread"`,
the default) rather than on `asyncio.to_thread`'s pool behind a lock: `bench/storage.py` measured
both at the same throughput (within noise), and the owner thread kept event-loop lag 2–3× lower
under concurrency and needs no lock (see README). On PostgreSQL, which takes concurrent writers,
`pool_size` threads each borrow a pooled connection for one operation. A turn makes as few trips as it can, each
operation one transaction (`receive_planned`, `propose_and_start`, `finish_round` and
`receive_with_plans` group a turn's work). A dedicated thread handing results back with
`call_soon_threadsafe` instead of `run_in_executor` was measured too: 40 % less CPU per trip in a
no-op micro-benchmark, but no difference `bench/pipeline.py` could see over 1,500-turn runs (a
trip's SQL and commit dwarf it), so the executor stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import secrets
import shutil
import sqlite3
import threading
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, ParamSpec, TypeVar

import sqlite_utils

from chatops.bot.faults import StorageFull, StorageReadOnly, StorageUnavailable
from chatops.bot.model import (
    Decision,
    Inbound,
    Plan,
    PlanStatus,
    Risk,
    Step,
    StepResult,
    StepStatus,
    ThreadRef,
    UserRef,
    utcnow,
)
from chatops.bot.states import plan_may_move
from chatops.storage import alert_groups, leases, ownership, retention, schedules, shared_files, thread_leases, views
from chatops.storage.dialect import POSTGRESQL, SQLITE, Dialect, is_postgres_url
from chatops.storage.event_signal import EventSignal
from chatops.storage.files import SHA256, FileStore
from chatops.storage.leases import Lease
from chatops.storage.migrations import migrate
from chatops.storage.ownership import ProcessIdentity, TakenOver
from chatops.storage.pg_event_signal import PgEventSignal, notify_sql

P = ParamSpec("P")
R = TypeVar("R")

Dispatch = Literal["writer_thread", "to_thread"]


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


def _ts(moment: datetime | None = None) -> str:
    """Fixed-width UTC ISO timestamps, so text comparison in SQL is time comparison
    (`isoformat` rather than `strftime`: the same text, about twice as fast, a dozen times a turn)."""
    moment = utcnow() if moment is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


# SQLite primary result codes (the low byte of `sqlite_errorcode`)
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN = 5, 6, 8, 10, 13, 14
LOW_SPACE_BYTES = 1024 * 1024  # below this, an I/O error is taken for a full disk
WAL_SIZE_LIMIT = 4 * 1024 * 1024  # bytes the write-ahead log keeps on disk once checkpointed
POOL_WAIT_SECONDS = 5.0  # PostgreSQL: how long an operation waits for a connection before the turn is told


def storage_fault(exc: sqlite3.Error, path: Path) -> StorageUnavailable | None:
    """The named fault behind a SQLite error, or None for a plain bug (bad SQL, a constraint)."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code == SQLITE_FULL:
        return StorageFull(f"the database is full ({exc}); free some disk space (or run `chatops prune`)")
    if code == SQLITE_READONLY:
        return StorageReadOnly(f"the database is read-only ({exc})")
    if code in (SQLITE_BUSY, SQLITE_LOCKED):  # the busy timeout (30 s) ran out: another process holds the lock
        return StorageUnavailable(f"the database is busy ({exc}); try again")
    if code in (SQLITE_IOERR, SQLITE_CANTOPEN):
        if free_bytes(path) < LOW_SPACE_BYTES:
            return StorageFull(f"the disk holding the database is full ({exc})")
        return StorageUnavailable(f"the database cannot be written ({exc})")
    return None


def free_bytes(path: Path) -> int:
    """Free space on the file system that holds `path` (its folder, if the file is not there yet)."""
    folder = path if path.is_dir() else path.parent
    try:
        return shutil.disk_usage(folder if folder.exists() else Path.cwd()).free
    except OSError:
        return 0


@dataclass(frozen=True)
class RoundAnswer:
    """The bot's answer to store with the end of a round (see `Store.finish_round`)."""

    thread: ThreadRef
    text: str
    ends_turn_of: str


@dataclass(frozen=True)
class RoundEnd:
    """What `Store.finish_round` stored: whether the step was still this process's, the plan's
    final status (None when the plan was no longer running here), the answer's id if stored."""

    step_won: bool
    plan_status: PlanStatus | None
    answer_id: str | None


def on_store_thread(method: Callable[..., R]) -> Callable[..., Coroutine[Any, Any, R]]:
    """Run a blocking `Store` method off the event loop, where the store runs its SQLite work."""

    @functools.wraps(method)
    async def offloaded(self: Store, *args: Any, **kwargs: Any) -> R:
        return await self._dispatch(method, self, *args, **kwargs)

    offloaded.blocking = method  # type: ignore[attr-defined]
    return offloaded


class Store:
    """Threads, messages, plans, steps, decisions and the audit log: one SQLite file (WAL), or a
    PostgreSQL database that several replicas share."""

    def __init__(self, path: Path | str, *, url: str | None = None, pool_size: int = 10,
                 dispatch: Dispatch = "writer_thread", lease_seconds: float = 30.0,
                 thread_leases: bool = False) -> None:
        self.path = Path(path)
        self.url = url
        self.dialect: Dialect = POSTGRESQL if url else SQLITE
        self.dispatch = dispatch
        self.lease_seconds = lease_seconds
        # turns of one thread are serialised across processes too (see storage/thread_leases.py)
        self.thread_leases = thread_leases
        # when to read a thread's stored events again (see storage/event_signal.py)
        self.event_signal = EventSignal(changed=self._others_wrote) if url is None else PgEventSignal(url)
        self._data_version: int | None = None
        self.identity: ProcessIdentity | None = None  # set by `register_process`
        workers = pool_size if url else 1
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chatops-store")
        self._lock = threading.Lock()
        self._db: sqlite_utils.Database | None = None
        self._pool: Any = None  # psycopg_pool.ConnectionPool on PostgreSQL
        self._pool_size = pool_size
        self._local = threading.local()  # PostgreSQL: the connection the current operation borrowed
        self.files = FileStore.beside(self.path)

    # --- lifecycle ---------------------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path | str, *, url: str | None = None, pool_size: int = 10,
                   dispatch: Dispatch = "writer_thread", lease_seconds: float = 30.0,
                   thread_leases: bool = False) -> Store:
        """Open (and migrate) the database: PostgreSQL when `url` is set, else the SQLite file
        `path`. With PostgreSQL, `path`'s folder still keeps attachments' bytes (`files/`)."""
        if url is not None and not is_postgres_url(url):
            raise ValueError("a storage url starts with postgresql:// (SQLite takes a path)")
        store = cls(path, url=url, pool_size=pool_size, dispatch=dispatch, lease_seconds=lease_seconds,
                    thread_leases=thread_leases)
        try:
            await store._dispatch(store._connect_postgres if url else store._connect)
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

    def _connect_postgres(self) -> None:
        """Migrate (under an advisory lock, so replicas starting together migrate once), then
        open the pool."""
        import psycopg
        from psycopg_pool import ConnectionPool

        from chatops.storage.postgres import PgDatabase

        # one direct connection first: a refused login or an unreachable host is named at once
        with psycopg.connect(self.url, autocommit=True, connect_timeout=int(POOL_WAIT_SECONDS)) as conn:
            migrate(PgDatabase(conn))
        self._pool = ConnectionPool(self.url, min_size=1, max_size=self._pool_size, open=False,
                                    kwargs={"autocommit": True, "connect_timeout": int(POOL_WAIT_SECONDS)},
                                    name="chatops")
        self._pool.open(wait=True, timeout=30)

    def _connect(self) -> None:
        if str(self.path) != ":memory:":
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageUnavailable(f"cannot create the folder {self.path.parent}: {exc.strerror}") from exc
        conn = sqlite3.connect(str(self.path), check_same_thread=self.dispatch == "writer_thread", timeout=30)
        db = sqlite_utils.Database(conn)
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")  # durable across process crashes in WAL mode
        db.execute("PRAGMA foreign_keys = ON")
        migrate(db)
        self._db = db

    async def close(self) -> None:
        await self.event_signal.close()
        if self._db is not None:
            await self._dispatch(self._db.close)
            self._db = None
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await asyncio.get_running_loop().run_in_executor(self._executor, pool.close)
        self._executor.shutdown(wait=True)

    async def _dispatch(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        if self.url:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, functools.partial(self._pooled, fn, *args, **kwargs))
        if self.dispatch == "to_thread":
            return await asyncio.to_thread(self._locked, fn, *args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(self._named_faults, fn, *args, **kwargs))

    def _named_faults(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """Run `fn` (on the store's thread) with SQLite errors of a full or read-only disk raised
        as named faults; naming one reads the free space, which must stay off the event loop."""
        try:
            return fn(*args, **kwargs)
        except sqlite3.Error as exc:
            fault = storage_fault(exc, self.path)
            if fault is None:
                raise
            raise fault from exc

    def _pooled(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """Run `fn` on a worker thread with a connection borrowed from the pool for the whole
        operation. A deadlock or serialization failure rolled the transaction back: it runs once
        more. Connection loss and a full or read-only server are raised as named faults."""
        from psycopg_pool import PoolTimeout

        from chatops.storage.postgres import PgDatabase, postgres_fault, retryable

        if self._pool is None and fn != self._connect_postgres:
            raise RuntimeError("the store is not open")
        for attempt in (1, 2):
            try:
                if fn == self._connect_postgres:
                    return fn(*args, **kwargs)
                with self._pool.connection(timeout=POOL_WAIT_SECONDS) as conn:
                    self._local.db = PgDatabase(conn)
                    try:
                        return fn(*args, **kwargs)
                    finally:
                        self._local.db = None
            except Exception as exc:
                if attempt == 1 and retryable(exc):
                    continue
                fault = StorageUnavailable(f"no database connection within {POOL_WAIT_SECONDS:g} s") \
                    if isinstance(exc, PoolTimeout) else postgres_fault(exc)
                if fault is None:
                    raise
                if self._pool is not None and not isinstance(exc, PoolTimeout):
                    self._pool.check()  # drop the other idle connections the same outage broke
                raise fault from exc
        raise AssertionError("unreachable")

    def _locked(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        with self._lock:
            return self._named_faults(fn, *args, **kwargs)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Every write transaction takes the write lock first (`BEGIN IMMEDIATE`). A deferred one
        that happens to read first (sqlite-utils' `insert` reads the schema) fails at once with
        "database is locked" when another process wrote in between, instead of waiting its turn:
        found by the chaos soak with two processes on one file. Nested uses join the outer one."""
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        conn.execute(self.dialect.begin_write)
        try:
            yield
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    @property
    def process_id(self) -> str | None:
        return self.identity.id if self.identity else None

    def _owned(self, column: str = "owner") -> tuple[str, list[str]]:
        """`AND owner = <this process>` for a conditional UPDATE, when this process registered."""
        return (f" AND {column} = ?", [self.identity.id]) if self.identity else ("", [])

    def _cutoff(self) -> str:
        """The oldest heartbeat that still counts as alive."""
        return _ts(utcnow() - timedelta(seconds=self.lease_seconds))

    @property
    def db(self) -> Any:
        """The connection of the running operation: the SQLite file's `sqlite_utils.Database`, or
        on PostgreSQL the pooled connection this thread borrowed (`storage.postgres.PgDatabase`)."""
        if self.url:
            db = getattr(self._local, "db", None)
            if db is None:
                raise RuntimeError("a PostgreSQL store is used only inside its operations")
            return db
        if self._db is None:
            raise RuntimeError("the store is not open")
        return self._db

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        self._insert_many(table, [row])

    def _insert_many(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Plain `INSERT`s: sqlite-utils' `insert` reads the schema back (`sqlite_master`) on every
        call, about a dozen times a turn; every row of one call has the same keys."""
        if not rows:
            return
        columns = list(rows[0])
        self.db.conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
            [[row[column] for column in columns] for row in rows])

    def _audit(self, kind: str, *, actor: str = "", thread_id: str = "", plan_id: str = "",
               step_id: str = "", detail: Any = None) -> None:
        # plain SQL: the most frequent insert of a turn; sqlite-utils' insert re-reads the schema each call
        self.db.execute(
            "INSERT INTO audit (at, kind, actor, thread_id, plan_id, step_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [_ts(), kind, actor, thread_id, plan_id, step_id, _dumps(detail) if detail is not None else None],
        )

    # --- inbound, threads and messages -----------------------------------------------------

    @on_store_thread
    def record_inbound(self, inbound: Inbound, *, title: str = "") -> str | None:
        """Store a user's message unless its platform event was seen before (a retry or a
        replay). Returns the new message id, or None for a duplicate."""
        db = self.db
        with self._writing():
            cursor = db.execute(
                "INSERT INTO events (platform, event_id, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [inbound.thread.platform, inbound.event_id, _ts(inbound.received_at)],
            )
            if cursor.rowcount == 0:
                return None
            self._ensure_thread(inbound.thread, title or inbound.text[:80])
            message_id = new_id("m")
            db.execute(
                "INSERT INTO messages (id, thread_id, role, platform, user_id, user_name, text, perceived_text, "
                "attachments, created_at, owner, turn_ended_at) VALUES (?, ?, 'user', ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                [message_id, inbound.thread.id, inbound.user.platform, inbound.user.id, inbound.user.name,
                 inbound.text, inbound.text, _dumps([a.model_dump(mode="json") for a in inbound.attachments]),
                 _ts(inbound.received_at), self.process_id],
            )
            db.execute("UPDATE events SET message_id = ? WHERE platform = ? AND event_id = ?",
                       [message_id, inbound.thread.platform, inbound.event_id])
            self._audit("message.received", actor=inbound.user.key, thread_id=inbound.thread.id,
                        detail={"message_id": message_id, "event_id": inbound.event_id})
        return message_id

    @on_store_thread
    def receive(self, inbound: Inbound, *, history_limit: int = 20) -> tuple[str | None, list[dict[str, Any]]]:
        """`record_inbound` and the thread's history before it, in one trip to the store thread."""
        message_id = Store.record_inbound.blocking(self, inbound)  # type: ignore[attr-defined]
        if message_id is None:
            return None, []
        history = Store.thread_history.blocking(self, inbound.thread.id, history_limit + 1)  # type: ignore[attr-defined]
        return message_id, history[:-1]

    @on_store_thread
    def receive_with_plans(self, inbound: Inbound, *, history_limit: int = 20,
                           plans_limit: int = 3) -> tuple[str | None, list[dict[str, Any]], list[Plan]]:
        """`receive` and, when the thread has history, its newest `plans_limit` plans (what a
        planner is shown for follow-ups), in one trip to the store thread."""
        message_id, history = Store.receive.blocking(  # type: ignore[attr-defined]
            self, inbound, history_limit=history_limit)
        if message_id is None or not history:
            return message_id, history, []
        plans = Store.thread_plans.blocking(self, inbound.thread.id, plans_limit)  # type: ignore[attr-defined]
        return message_id, history, plans

    def _ensure_thread(self, thread: ThreadRef, title: str) -> None:
        now = _ts()
        self.db.execute(
            "INSERT INTO threads (id, platform, channel, external_id, title, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at",
            [thread.id, thread.platform, thread.channel, thread.thread, title, now, now],
        )

    @on_store_thread
    def set_perceived_text(self, message_id: str, perceived_text: str,
                           attachments: list[dict[str, Any]] | None = None) -> None:
        """What the planner read for a message; attachments now carry their content hashes."""
        with self._writing():
            self.db.execute("UPDATE messages SET perceived_text = ? WHERE id = ?", [perceived_text, message_id])
            if attachments is not None:
                self.db.execute("UPDATE messages SET attachments = ? WHERE id = ?", [_dumps(attachments), message_id])

    @on_store_thread
    def cached_perception(self, sha256: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT part FROM perception_cache WHERE sha256 = ?", [sha256]).fetchone()
        return _loads(row[0]) if row else None

    @on_store_thread
    def remember_perception(self, sha256: str, kind: str, part: dict[str, Any]) -> None:
        with self._writing():
            self.db.execute(
                "INSERT INTO perception_cache (sha256, kind, part, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (sha256) DO UPDATE SET kind = excluded.kind, part = excluded.part, "
                "created_at = excluded.created_at",
                [sha256, kind, _dumps(part), _ts()],
            )

    @on_store_thread
    def remember_ref(self, platform: str, kind: str, key: str, ref: dict[str, Any]) -> None:
        """Remember where an adapter put something, e.g. `("slack", "plan_card", plan_id)` →
        `{"channel": …, "ts": …}`; a later call for the same key replaces it."""
        with self._writing():
            self.db.execute(
                "INSERT INTO platform_refs (platform, kind, key, ref, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (platform, kind, key) DO UPDATE SET ref = excluded.ref, updated_at = excluded.updated_at",
                [platform, kind, key, _dumps(ref), _ts()],
            )

    @on_store_thread
    def ref_of(self, platform: str, kind: str, key: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT ref FROM platform_refs WHERE platform = ? AND kind = ? AND key = ?",
                              [platform, kind, key]).fetchone()
        return _loads(row[0]) if row else None

    @on_store_thread
    def record_bot_message(self, thread: ThreadRef, text: str, *, ends_turn_of: str | None = None) -> str:
        """Store the bot's message; `ends_turn_of` names the user message it answers, whose turn
        is then over (in the same transaction: an answer is never stored without it)."""
        message_id = new_id("m")
        now = _ts()
        with self._writing():
            self._ensure_thread(thread, "")
            self.db.execute(
                "INSERT INTO messages (id, thread_id, role, platform, user_id, user_name, text, perceived_text, "
                "attachments, created_at, owner, turn_ended_at) "
                "VALUES (?, ?, 'bot', ?, '', '', ?, ?, '[]', ?, NULL, ?)",
                [message_id, thread.id, thread.platform, text, text, now, now],
            )
            if ends_turn_of:
                self._end_turn(ends_turn_of, now)
        return message_id

    def _end_turn(self, message_id: str, now: str) -> None:
        self.db.execute("UPDATE messages SET turn_ended_at = ? WHERE id = ? AND turn_ended_at IS NULL",
                        [now, message_id])

    @on_store_thread
    def end_turn(self, message_id: str) -> None:
        """The turn of this message is over without an answer of its own (its plan expired)."""
        with self._writing():
            self._end_turn(message_id, _ts())

    @on_store_thread
    def record_notice(self, thread: ThreadRef, text: str, level: str = "info") -> None:
        """A notice shown in a thread (progress, an expiry, what an attachment was read as)."""
        with self._writing():
            self.db.execute("INSERT INTO notices (thread_id, level, text, created_at) VALUES (?, ?, ?, ?)",
                            [thread.id, level, text, _ts()])

    async def keep_file(self, data: bytes) -> str:
        """Keep an attachment's bytes (once per content); returns its SHA-256. Beside a SQLite
        database in `files/`; on PostgreSQL in the database, so every replica can show it."""
        if self.url is None:
            return await asyncio.to_thread(self.files.put, data)
        digest = await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
        await self._keep_file_rows(digest, data)
        return digest

    @on_store_thread
    def _keep_file_rows(self, digest: str, data: bytes) -> None:
        with self._writing():
            shared_files.put(self.db, digest, data, _ts())

    def file_path(self, digest: str) -> Path | None:
        """Where a kept attachment is on disk, by its SHA-256, or None (also on PostgreSQL, whose
        files are rows: read them with `read_file`)."""
        return self.files.path(digest) if self.url is None else None

    async def read_file(self, digest: str) -> bytes | None:
        """A kept attachment's bytes, by its SHA-256, or None."""
        if not SHA256.fullmatch(digest):
            return None
        if self.url is None:
            path = self.files.path(digest)
            return await asyncio.to_thread(path.read_bytes) if path is not None else None
        return await self._read_file_rows(digest)

    @on_store_thread
    def _read_file_rows(self, digest: str) -> bytes | None:
        return shared_files.read(self.db, digest)

    async def keep_thread_events(self, events: list[tuple[str, str]]) -> list[int]:
        """Keep (thread id, JSON) events an event stream publishes, in one transaction, and wake
        the streams of this process; returns their ids, in order."""
        ids = await self._keep_thread_events(events)
        latest: dict[str, int] = {}
        for (thread_id, _), event_id in zip(events, ids, strict=True):
            latest[thread_id] = event_id
        self.event_signal.notify(latest)
        return ids

    @on_store_thread
    def _keep_thread_events(self, events: list[tuple[str, str]]) -> list[int]:
        """Ids come from one counter row, taken in the transaction that stores the events: a
        second writer (another replica) waits for that row until this one commits, so ids are
        unique across processes and committed in increasing order. A stream that read up to id
        N can therefore never later find a newly committed event below N (what ids handed out
        before the write, or a sequence, would allow: the one taken first may commit last)."""
        if not events:
            return []
        with self._writing():
            # the first batch starts above the ids kept before the counter existed (clock-based)
            last = self.db.execute(
                "INSERT INTO counters (name, value) VALUES "
                "('thread_events', (SELECT COALESCE(MAX(id), 0) FROM thread_events) + ?) ON CONFLICT (name) "
                "DO UPDATE SET value = counters.value + ? RETURNING value", [len(events), len(events)]).fetchone()[0]
            ids = list(range(int(last) - len(events) + 1, int(last) + 1))
            self.db.conn.executemany("INSERT INTO thread_events (id, thread_id, data) VALUES (?, ?, ?)",
                                     [(event_id, thread_id, data)
                                      for event_id, (thread_id, data) in zip(ids, events, strict=True)])
            if self.dialect is POSTGRESQL:  # other replicas' streams wake when this commits
                latest = {thread_id: event_id for event_id, (thread_id, _) in zip(ids, events, strict=True)}
                self.db.execute(*notify_sql(latest))
        return ids

    @on_store_thread
    def _others_wrote(self) -> bool:
        """Whether another connection (another process) committed to the SQLite file since the
        last call: `PRAGMA data_version` moves only then, so the event streams' poll reads nothing
        while this process is alone on its file."""
        version = int(self.db.execute("PRAGMA data_version").fetchone()[0])
        changed, self._data_version = version != self._data_version, version
        return changed

    @on_store_thread
    def thread_events(self, thread_id: str, after: int, limit: int = 1000) -> list[tuple[int, str]]:
        """The kept events of a thread with ids above `after`, oldest first."""
        return [(r[0], r[1]) for r in self.db.execute(
            "SELECT id, data FROM thread_events WHERE thread_id = ? AND id > ? ORDER BY id LIMIT ?",
            [thread_id, after, limit]).fetchall()]

    @on_store_thread
    def last_thread_event(self, thread_id: str) -> int:
        row = self.db.execute("SELECT MAX(id) FROM thread_events WHERE thread_id = ?", [thread_id]).fetchone()
        return int(row[0] or 0)

    @on_store_thread
    def thread_exists(self, thread_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM threads WHERE id = ?", [thread_id]).fetchone() is not None

    @on_store_thread
    def thread_ref(self, thread_id: str) -> ThreadRef | None:
        row = self.db.execute(
            "SELECT platform, channel, external_id FROM threads WHERE id = ?", [thread_id]).fetchone()
        return ThreadRef(platform=row[0], channel=row[1] or "", thread=row[2]) if row else None

    @on_store_thread
    def turn_of(self, plan_id: str) -> tuple[ThreadRef, str, str] | None:
        """(thread, message id, perceived text) of the message a plan answers."""
        row = self.db.execute(
            "SELECT t.platform, t.channel, t.external_id, m.id, m.perceived_text FROM plans p "
            "JOIN messages m ON m.id = p.message_id JOIN threads t ON t.id = p.thread_id WHERE p.id = ?",
            [plan_id],
        ).fetchone()
        if row is None:
            return None
        return ThreadRef(platform=row[0], channel=row[1] or "", thread=row[2]), row[3], row[4]

    @on_store_thread
    def plans_for_message(self, message_id: str) -> list[Plan]:
        """Every round planned for one user message, in order."""
        ids = [r[0] for r in self.db.execute(
            "SELECT id FROM plans WHERE message_id = ? ORDER BY round, created_at", [message_id]).fetchall()]
        return [plan for plan in map(self._plan, ids) if plan is not None]

    @on_store_thread
    def thread_history(self, thread_id: str, limit: int = 20) -> list[dict[str, Any]]:
        """The last `limit` messages of a thread, oldest first, as {role, text, created_at}."""
        rows = self.db.execute(
            "SELECT role, perceived_text AS text, user_name, created_at FROM messages WHERE thread_id = ? "
            "ORDER BY created_at DESC, rowid DESC LIMIT ?",
            [thread_id, limit],
        ).fetchall()
        return [{"role": r[0], "text": r[1], "user": r[2], "created_at": r[3]} for r in reversed(rows)]

    # --- plans and decisions ------------------------------------------------------------------

    @on_store_thread
    def propose_plan(self, plan: Plan, *, message_id: str, ttl_seconds: float, start: bool = False) -> Plan:
        """Persist a new plan. Read-only steps are approved by policy at once; the plan waits
        for a decision only when some step needs one. With `start`, a plan that needs no decision
        is also moved on to `running` in the same transaction."""
        return self._propose(plan.model_copy(deep=True), message_id=message_id, ttl_seconds=ttl_seconds, start=start)

    def _propose(self, plan: Plan, *, message_id: str, ttl_seconds: float, start: bool) -> Plan:
        """`propose_plan` on the plan given, which becomes the stored plan (ids, statuses and
        deadlines are set on it): the combined operations take over a plan the hub built for
        them and spare the deep copy (about 8 % of the store thread's CPU in a `!command` turn, profiled)."""
        now = utcnow()
        plan.id = new_id("p")
        plan.created_at = now
        plan.expires_at = now + timedelta(seconds=ttl_seconds)
        plan.status = PlanStatus.proposed if plan.needs_approval else PlanStatus.approved
        for step in plan.steps:
            step.id = new_id("s")
            if step.risk is Risk.read and not step.tainted:
                step.status, step.decided_by = StepStatus.approved, "policy: read-only"
            else:
                step.status = StepStatus.proposed
        db = self.db
        with self._writing():
            self._insert("plans", {
                "id": plan.id, "thread_id": plan.thread_id, "message_id": message_id, "round": plan.round,
                "goal": plan.goal, "status": plan.status.value,
                "requester": plan.requester.model_dump_json() if plan.requester else None,
                "created_at": _ts(now), "expires_at": _ts(plan.expires_at), "decided_at": None,
                "decided_by": None, "owner": self.process_id})
            self._insert_many("steps", [
                {"id": s.id, "plan_id": plan.id, "position": i, "tool": s.tool, "args": _dumps(s.args),
                 "reason": s.reason, "risk": s.risk.value, "status": s.status.value, "result": None,
                 "error": None, "decided_by": s.decided_by, "started_at": None, "finished_at": None,
                 "duration_ms": None, "summary": None, "outcome": None, "provenance": s.provenance,
                 "tainted": int(s.tainted), "owner": None, "tool_fingerprint": s.fingerprint}
                for i, s in enumerate(plan.steps)
            ])
            self._audit("plan.proposed", actor=plan.requester.key if plan.requester else "",
                        thread_id=plan.thread_id, plan_id=plan.id,
                        detail={"goal": plan.goal, "status": plan.status.value,
                                "steps": [{"id": s.id, "tool": s.tool, "args": s.args, "risk": s.risk.value,
                                           "tainted": s.tainted, "provenance": s.provenance}
                                          for s in plan.steps]})
            if start and plan.status is PlanStatus.approved:
                db.execute("UPDATE plans SET status = 'running' WHERE id = ? AND status = 'approved'", [plan.id])
                plan.status = PlanStatus.running
                self._audit("plan.running", plan_id=plan.id)
        return plan

    @on_store_thread
    def propose_and_start(self, plan: Plan, *, message_id: str, ttl_seconds: float,
                          start_first_step: bool = False) -> tuple[Plan, str | None]:
        """`propose_plan(start=True)` and, with `start_first_step`, `start_step` of its first step,
        in one transaction: a plan that needs no decision goes from nothing to its first step
        `running` in one trip. The step is durably `running` before its tool runs, exactly as
        with `start_step` after the fact, so a crash leaves the same state for the reliability
        code (an interrupted step, a turn resumed without running it again). The caller says
        whether the step can run (its tool exists, its arguments hold); the returned plan shows
        the step still `approved` (what the plan card shows first), with the id of the started
        step beside it, or None. The plan given becomes the stored plan (it is not copied)."""
        with self._writing():
            plan = self._propose(plan, message_id=message_id, ttl_seconds=ttl_seconds, start=True)
            running = None
            if start_first_step and plan.status is PlanStatus.running and plan.steps \
                    and plan.steps[0].status is StepStatus.approved \
                    and Store.start_step.blocking(self, plan.steps[0].id):  # type: ignore[attr-defined]
                running = plan.steps[0].id
        return plan, running

    @on_store_thread
    def receive_planned(self, inbound: Inbound, plan: Plan, *, ttl_seconds: float,
                        start_first_step: bool = False) -> tuple[str | None, Plan | None, str | None]:
        """`record_inbound` and `propose_and_start` in one transaction, for a message whose plan
        is known before it is stored (a `!command`, parsed without any I/O). Returns (message id,
        plan, started step id), or (None, None, None) for a duplicate delivery, which proposes
        nothing. The message never exists without its plan, nor the plan without its message.
        The plan given becomes the stored plan (it is not copied)."""
        with self._writing():
            message_id = Store.record_inbound.blocking(self, inbound)  # type: ignore[attr-defined]
            if message_id is None:
                return None, None, None
            plan, running = Store.propose_and_start.blocking(  # type: ignore[attr-defined]
                self, plan, message_id=message_id, ttl_seconds=ttl_seconds, start_first_step=start_first_step)
        return message_id, plan, running

    @on_store_thread
    def finish_round(self, step_id: str, outcome: StepResult, plan_id: str, *,
                     answer: RoundAnswer | None = None) -> RoundEnd:
        """The last step of a running plan finished: `finish_step`, the plan's own end (running →
        succeeded, or failed when the step failed or was lost) and, given `answer`, the bot's
        answer that ends the turn, all in one transaction. Nothing here runs a tool, so grouping
        loses nothing a crash could need: before the commit the step is still `running` (and is
        interrupted by whoever notices), after it the turn is over. The answer is stored only when
        the step and the plan were both this process's to finish; otherwise the caller goes on as
        after `finish_step` and `transition_plan` (the new owner answers, or the hub re-plans)."""
        with self._writing():
            step_won = Store.finish_step.blocking(self, step_id, outcome)  # type: ignore[attr-defined]
            final = PlanStatus.succeeded if outcome.ok and step_won else PlanStatus.failed
            plan_settled = Store.transition_plan.blocking(  # type: ignore[attr-defined]
                self, plan_id, (PlanStatus.running,), final)
            answer_id = None
            if answer is not None and step_won and plan_settled:
                answer_id = Store.record_bot_message.blocking(  # type: ignore[attr-defined]
                    self, answer.thread, answer.text, ends_turn_of=answer.ends_turn_of)
        return RoundEnd(step_won=step_won, plan_status=final if plan_settled else None, answer_id=answer_id)

    def _plan(self, plan_id: str) -> Plan | None:
        row = self.db.execute(
            "SELECT id, thread_id, round, goal, status, requester, created_at, expires_at FROM plans WHERE id = ?",
            [plan_id],
        ).fetchone()
        if row is None:
            return None
        steps = [
            Step(id=s[0], tool=s[1], args=_loads(s[2]) or {}, reason=s[3] or "", risk=Risk(s[4]),
                 status=StepStatus(s[5]), result=_loads(s[6]), error=s[7], decided_by=s[8], duration_ms=s[9],
                 summary=s[10], outcome=s[11], provenance=s[12], tainted=bool(s[13]), fingerprint=s[14])
            for s in self.db.execute(
                "SELECT id, tool, args, reason, risk, status, result, error, decided_by, duration_ms, summary, "
                "outcome, provenance, tainted, tool_fingerprint "
                "FROM steps WHERE plan_id = ? ORDER BY position",
                [plan_id],
            ).fetchall()
        ]
        return Plan(
            id=row[0], thread_id=row[1], round=row[2], goal=row[3], status=PlanStatus(row[4]),
            requester=UserRef.model_validate_json(row[5]) if row[5] else None,
            created_at=_dt(row[6]), expires_at=_dt(row[7]), steps=steps,
        )

    @on_store_thread
    def get_plan(self, plan_id: str) -> Plan | None:
        return self._plan(plan_id)

    @on_store_thread
    def pending_plans(self) -> list[Plan]:
        """Plans still waiting for a decision (adapters re-arm their buttons from these)."""
        ids = [r[0] for r in self.db.execute(
            "SELECT id FROM plans WHERE status = 'proposed' ORDER BY created_at").fetchall()]
        return [plan for plan in map(self._plan, ids) if plan is not None]

    @on_store_thread
    def thread_plans(self, thread_id: str, limit: int | None = None) -> list[Plan]:
        """A thread's plans, oldest first; with `limit`, only the newest `limit` of them."""
        if limit is None:
            rows = self.db.execute("SELECT id FROM plans WHERE thread_id = ? ORDER BY created_at", [thread_id])
            ids = [r[0] for r in rows.fetchall()]
        else:
            rows = self.db.execute("SELECT id FROM plans WHERE thread_id = ? ORDER BY created_at DESC, rowid DESC "
                                   "LIMIT ?", [thread_id, limit])
            ids = [r[0] for r in rows.fetchall()][::-1]
        return [plan for plan in map(self._plan, ids) if plan is not None]

    @on_store_thread
    def decide(self, decision: Decision) -> tuple[bool, str]:
        """Apply an approval or denial from someone the policy allowed. Exactly one decision per
        plan wins; the others get (False, why). Expired plans cannot be decided."""
        now = _ts(decision.at)
        new_status = PlanStatus.approved if decision.approve else PlanStatus.denied
        db = self.db
        with self._writing():
            won = db.execute(
                "UPDATE plans SET status = ?, decided_at = ?, decided_by = ?, owner = ? "
                "WHERE id = ? AND status = 'proposed' AND expires_at > ?",
                [new_status.value, now, decision.user.key, self.process_id, decision.plan_id, now],
            ).rowcount == 1
            if won:
                # the decider carries the turn on from here: it owns the message until the answer
                db.execute("UPDATE messages SET owner = ? WHERE turn_ended_at IS NULL AND id = "
                           "(SELECT message_id FROM plans WHERE id = ?)", [self.process_id, decision.plan_id])
                if decision.approve and decision.steps is not None:  # only these; the other waiting ones skipped
                    marks = ", ".join("?" for _ in decision.steps) or "NULL"
                    db.execute(f"UPDATE steps SET status = 'approved', decided_by = ? WHERE plan_id = ? "
                               f"AND status = 'proposed' AND id IN ({marks})",
                               [decision.user.key, decision.plan_id, *decision.steps])
                    db.execute("UPDATE steps SET status = 'skipped', decided_by = ? WHERE plan_id = ? "
                               "AND status = 'proposed'", [decision.user.key, decision.plan_id])
                db.execute(
                    "UPDATE steps SET status = ?, decided_by = ? WHERE plan_id = ? AND status = 'proposed'",
                    [StepStatus.approved.value if decision.approve else StepStatus.denied.value,
                     decision.user.key, decision.plan_id],
                )
                if not decision.approve:
                    db.execute(
                        "UPDATE steps SET status = 'skipped' WHERE plan_id = ? AND status = 'approved'",
                        [decision.plan_id],
                    )
                reason = ""
            else:
                row = db.execute("SELECT status, expires_at FROM plans WHERE id = ?", [decision.plan_id]).fetchone()
                if row is None:
                    reason = "no such plan"
                elif row[0] == "proposed":
                    reason = "the plan has expired"
                else:
                    reason = f"the plan is already {row[0]}"
            self._record_decision(decision, accepted=won, reason=reason)
        return won, reason

    @on_store_thread
    def record_refused_decision(self, decision: Decision, reason: str) -> None:
        """A click or answer from someone the policy refused: nothing changes but the record."""
        with self._writing():
            self._record_decision(decision, accepted=False, reason=reason)

    def _record_decision(self, decision: Decision, *, accepted: bool, reason: str) -> None:
        self._insert("decisions", {
            "plan_id": decision.plan_id, "decision": "approve" if decision.approve else "deny",
            "user_platform": decision.user.platform, "user_id": decision.user.id,
            "user_name": decision.user.name, "accepted": int(accepted), "reason": reason,
            "decided_at": _ts(decision.at), "source": decision.source})
        self._audit("plan.decided" if accepted else "decision.refused", actor=decision.user.key,
                    plan_id=decision.plan_id,
                    detail={"decision": "approve" if decision.approve else "deny", "reason": reason,
                            "source": decision.source, **({"note": decision.note} if decision.note else {}),
                            **({"steps": decision.steps} if decision.steps is not None else {})})

    @on_store_thread
    def expire_due(self, now: datetime | None = None) -> list[str]:
        """Mark every undecided plan past its deadline expired; returns their ids."""
        stamp = _ts(now)
        with self._writing():
            ids = [r[0] for r in self.db.execute(
                "UPDATE plans SET status = 'expired', decided_at = ? "
                "WHERE status = 'proposed' AND expires_at <= ? RETURNING id", [stamp, stamp]).fetchall()]
            for plan_id in ids:
                self.db.execute(
                    "UPDATE messages SET turn_ended_at = ? WHERE turn_ended_at IS NULL AND id = "
                    "(SELECT message_id FROM plans WHERE id = ?)", [stamp, plan_id])
                self.db.execute(
                    "UPDATE steps SET status = 'expired' WHERE plan_id = ? AND status = 'proposed'", [plan_id])
                self.db.execute(
                    "UPDATE steps SET status = 'skipped' WHERE plan_id = ? AND status = 'approved'", [plan_id])
                self._audit("plan.expired", plan_id=plan_id)
        return ids

    @on_store_thread
    def transition_plan(self, plan_id: str, from_statuses: tuple[PlanStatus, ...], to: PlanStatus) -> bool:
        illegal = [s for s in from_statuses if not plan_may_move(s, to)]
        if illegal:
            raise ValueError(f"a plan cannot move from {illegal[0].value} to {to.value}")
        placeholders = ", ".join("?" for _ in from_statuses)
        take = ", owner = ?" if to is PlanStatus.running else ""
        with self._writing():
            won = self.db.execute(
                f"UPDATE plans SET status = ?{take} WHERE id = ? AND status IN ({placeholders})",
                [to.value, *([self.process_id] if take else []), plan_id, *(s.value for s in from_statuses)],
            ).rowcount == 1
            if won:
                self._audit(f"plan.{to.value}", plan_id=plan_id)
        return won

    # --- steps ----------------------------------------------------------------------------------

    @on_store_thread
    def start_step(self, step_id: str) -> bool:
        """approved → running; False if the step was not approved (or someone else started it)."""
        with self._writing():
            won = self.db.execute(
                "UPDATE steps SET status = 'running', started_at = ?, owner = ? WHERE id = ? AND status = 'approved'",
                [_ts(), self.process_id, step_id],
            ).rowcount == 1
            if won:
                self._audit("step.started", step_id=step_id)
        return won

    @on_store_thread
    def finish_step(self, step_id: str, outcome: StepResult) -> bool:
        """running → succeeded / failed, with the result or the error. False when this process no
        longer owns the step (its lease ran out and another process marked it interrupted): the
        late outcome is then kept in the audit log only, and the step stays interrupted."""
        status = StepStatus.succeeded if outcome.ok else StepStatus.failed
        owned, owner = self._owned()
        with self._writing():
            won = self.db.execute(
                "UPDATE steps SET status = ?, result = ?, error = ?, summary = ?, finished_at = ?, "
                f"duration_ms = ?, outcome = ? WHERE id = ? AND status = 'running'{owned}",
                [status.value, _dumps(outcome.result), outcome.error, outcome.summary, _ts(),
                 outcome.duration_ms, outcome.outcome, step_id, *owner],
            ).rowcount == 1
            self._audit(f"step.{status.value}" if won else "step.late_result", step_id=step_id,
                        detail={"summary": outcome.summary, "error": outcome.error, "outcome": outcome.outcome,
                                "duration_ms": round(outcome.duration_ms, 1)})
        return won

    @on_store_thread
    def save_partial_result(self, step_id: str, result: Any) -> bool:
        """A running step's output so far, kept if the process dies before the step finishes."""
        owned, owner = self._owned()
        with self._writing():
            return self.db.execute(
                f"UPDATE steps SET result = ? WHERE id = ? AND status = 'running'{owned}",
                [_dumps(result), step_id, *owner]).rowcount == 1

    @on_store_thread
    def fail_unstarted_step(self, step_id: str, error: str) -> bool:
        """An approved step that cannot even start (unknown tool, bad arguments) fails as such."""
        with self._writing():
            won = self.db.execute(
                "UPDATE steps SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status = 'approved'",
                [error, _ts(), step_id],
            ).rowcount == 1
            if won:
                self._audit("step.failed", step_id=step_id, detail={"error": error})
        return won

    @on_store_thread
    def skip_remaining_steps(self, plan_id: str) -> list[str]:
        with self._writing():
            return [r[0] for r in self.db.execute(
                "UPDATE steps SET status = 'skipped' WHERE plan_id = ? AND status IN ('approved', 'proposed') "
                "RETURNING id", [plan_id]).fetchall()]

    # --- live work and its owners (see storage/ownership.py) ------------------------------------

    @on_store_thread
    def live_processes(self) -> list[dict[str, Any]]:
        """The bot processes using this database now: not stopped, and heartbeating within the
        lease (`chatops migrate-storage` refuses to copy under them)."""
        alive_since = _ts(utcnow() - timedelta(seconds=self.lease_seconds))
        rows = self.db.execute("SELECT host, pid, heartbeat_at FROM processes WHERE stopped_at IS NULL "
                               "AND heartbeat_at > ? ORDER BY heartbeat_at DESC", [alive_since]).fetchall()
        return [{"host": r[0], "pid": r[1], "heartbeat_at": r[2]} for r in rows]

    @on_store_thread
    def register_process(self) -> str:
        """Give this process an identity and a first heartbeat; its live work is owned by it."""
        identity = ProcessIdentity.of_this_process(new_id("proc"))
        with self._writing():
            ownership.register(self.db, identity, _ts())
        if self.dialect is SQLITE:
            # the heartbeat loop checkpoints the log between turns; this safety net checkpoints at
            # the commit that takes the log past three quarters of its limit, so a burst of turns
            # between heartbeats (or a disk that filled and emptied) cannot grow it past the limit
            page_size = int(self.db.execute("PRAGMA page_size").fetchone()[0])
            self.db.execute(f"PRAGMA wal_autocheckpoint = {WAL_SIZE_LIMIT * 3 // 4 // page_size}")
            self.db.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")  # the log shrinks back after a checkpoint
        self.identity = identity
        return identity.id

    @on_store_thread
    def heartbeat(self) -> bool:
        """Tell other processes this one is alive; False if it was declared stopped meanwhile."""
        if self.identity is None:
            return False
        with self._writing():
            return ownership.heartbeat(self.db, self.identity.id, _ts())

    @on_store_thread
    def take_over_orphans(self) -> TakenOver:
        """Find dead processes (silent past the lease, or gone from this host), and mark what they
        held: running steps and plans become `interrupted`, their runbooks' process groups are
        handed back to be killed. Each row is taken by exactly one caller."""
        now = _ts()
        cutoff = self._cutoff()
        with self._writing():
            if self.identity is not None:
                dead = ownership.dead_local_processes(self.db, self.identity)
                for process_id in ownership.retire(self.db, dead, now):
                    self._audit("process.dead", detail={"process": process_id})
            steps, plans = ownership.interrupt_orphaned_work(self.db, cutoff, now)
            children = ownership.orphaned_children(self.db, self.identity, cutoff) if self.identity else []
            for step_id in steps:
                self._audit("step.interrupted", step_id=step_id)
            for plan_id in plans:
                self._audit("plan.interrupted", plan_id=plan_id)
        return TakenOver(steps=steps, plans=plans, children=children)

    @on_store_thread
    def retire_process(self) -> TakenOver:
        """On a clean stop: this process is stopped, and what it still held is interrupted now
        rather than after the lease (the work was cancelled with the process's tasks)."""
        if self.identity is None:
            return TakenOver([], [], [])
        with self._writing():
            ownership.retire(self.db, [self.identity.id], _ts())
        taken = Store.take_over_orphans.blocking(self)  # type: ignore[attr-defined]
        return taken

    @on_store_thread
    def disown_thread_work(self, thread_id: str) -> int:
        """This process gives up its unfinished work in a thread whose turn a storage fault cut
        short (see `ownership.disown_thread_work`); the next orphan sweep takes it over."""
        if self.identity is None:
            return 0
        with self._writing():
            return ownership.disown_thread_work(self.db, self.identity.id, thread_id)

    @on_store_thread
    def claim_orphaned_turns(self, limit: int = 50) -> list[ownership.ClaimedTurn]:
        """Take over turns that a dead process left unfinished, or a live one gave up after a
        storage fault (a message with no answer and no live plan)."""
        if self.identity is None:
            return []
        with self._writing():
            return ownership.claim_orphaned_turns(self.db, self.identity.id, self._cutoff(), limit)

    @on_store_thread
    def claim_turn_of_event(self, platform: str, event_id: str) -> str | None:
        """A retried delivery of a message whose turn a dead process left unfinished: take the
        turn over and return the message id (None when the turn ended or its owner lives)."""
        if self.identity is None:
            return None
        row = self.db.execute("SELECT message_id FROM events WHERE platform = ? AND event_id = ?",
                              [platform, event_id]).fetchone()
        if row is None or row[0] is None:
            return None
        busy = self.db.execute("SELECT 1 FROM plans WHERE message_id = ? AND status IN "
                               "('proposed', 'approved', 'running')", [row[0]]).fetchone()
        if busy:
            return None
        with self._writing():
            return row[0] if ownership.claim_turn(self.db, row[0], self.identity.id, self._cutoff()) else None

    @on_store_thread
    def unfinished_turn(self, message_id: str) -> dict[str, Any] | None:
        """What resuming a turn needs: its thread, requester, text (as perceived) and its plans."""
        row = self.db.execute(
            "SELECT t.platform, t.channel, t.external_id, m.platform, m.user_id, m.user_name, m.perceived_text, "
            "m.created_at FROM messages m JOIN threads t ON t.id = m.thread_id "
            "WHERE m.id = ? AND m.turn_ended_at IS NULL", [message_id]).fetchone()
        if row is None:
            return None
        plans = Store.plans_for_message.blocking(self, message_id)  # type: ignore[attr-defined]
        history = self.db.execute(
            "SELECT role, perceived_text, user_name, created_at FROM messages WHERE thread_id = "
            "(SELECT thread_id FROM messages WHERE id = ?) AND created_at < ? ORDER BY created_at DESC, rowid DESC "
            "LIMIT 20", [message_id, row[7]]).fetchall()
        return {"thread": ThreadRef(platform=row[0], channel=row[1] or "", thread=row[2]),
                "user": UserRef(platform=row[3], id=row[4], name=row[5] or ""), "text": row[6] or "",
                "plans": plans,
                "history": [{"role": h[0], "text": h[1], "user": h[2], "created_at": h[3]} for h in reversed(history)]}

    @on_store_thread
    def take_thread_lease(self, thread_id: str) -> bool:
        """Take the lease on a thread's turns for this process; False while another live process
        holds it (see storage/thread_leases.py). Without an identity there is nothing to own."""
        if self.identity is None:
            return True
        with self._writing():
            return thread_leases.take(self.db, thread_id, self.identity.id, _ts(), self._cutoff())

    @on_store_thread
    def renew_thread_lease(self, thread_id: str) -> bool:
        """Keep this process's lease on a thread whose turn still runs (every third of the lease)."""
        if self.identity is None:
            return True
        with self._writing():
            return thread_leases.renew(self.db, thread_id, self.identity.id, _ts())

    @on_store_thread
    def release_thread_lease(self, thread_id: str) -> None:
        if self.identity is None:
            return
        with self._writing():
            thread_leases.release(self.db, thread_id, self.identity.id)

    @on_store_thread
    def record_child(self, step_id: str, pgid: int, start_ticks: str) -> None:
        """A runbook started a process group for this step: remembered until it is reaped, so a
        process started after a crash can kill it."""
        if self.identity is None:
            return
        me = self.identity
        with self._writing():
            self.db.execute(
                "INSERT INTO children (pgid, process_id, step_id, host, boot_id, start_ticks, started_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host, pgid) DO UPDATE SET process_id = excluded.process_id, "
                "step_id = excluded.step_id, boot_id = excluded.boot_id, start_ticks = excluded.start_ticks, "
                "started_at = excluded.started_at",
                [pgid, me.id, step_id, me.host, me.boot_id, start_ticks, _ts()])

    @on_store_thread
    def forget_child(self, pgid: int) -> None:
        if self.identity is None:
            return
        with self._writing():
            self.db.execute("DELETE FROM children WHERE host = ? AND pgid = ? AND process_id = ?",
                            [self.identity.host, pgid, self.identity.id])

    # --- named leases: one replica at a time (see storage/leases.py) ------------------------------

    @on_store_thread
    def hold_lease(self, name: str, seconds: float | None = None) -> bool:
        """Take the named lease when it is free (never held, expired, or its holder stopped or
        stopped heartbeating) or renew it when this process holds it, for `seconds` (the store's
        lease by default). True if this process holds it now; False if another live one does.
        The caller counts its hold from before this call, so it never believes it holds the lease
        longer than the others believe."""
        if self.identity is None:
            raise RuntimeError("register_process() first: a lease is held by a process")
        moment = utcnow()
        with self._writing():
            return leases.hold(self.db, name, self.identity.id, _ts(moment),
                               _ts(moment + timedelta(seconds=seconds or self.lease_seconds)), self._cutoff())

    @on_store_thread
    def release_lease(self, name: str) -> bool:
        """Give the lease up if this process holds it (a clean stop): a standby takes it at its
        next try instead of after the lease runs out."""
        if self.identity is None:
            return False
        with self._writing():
            return leases.release(self.db, name, self.identity.id)

    @on_store_thread
    def lease_holder(self, name: str) -> Lease | None:
        """Who holds the named lease, as stored (for `/healthz` details and diagnostics)."""
        return leases.holder_of(self.db, name)

    # --- alert groups and scheduled checks (see storage/alert_groups.py, storage/schedules.py) ------

    @on_store_thread
    def alert_group(self, source: str, group_key: str) -> dict[str, Any] | None:
        return alert_groups.get(self.db, source, group_key)

    @on_store_thread
    def alert_of_thread(self, thread_id: str) -> dict[str, Any] | None:
        return alert_groups.of_thread(self.db, thread_id)

    @on_store_thread
    def save_alert_group(self, *, source: str, group_key: str, thread_id: str, status: str,
                         alerts: list[dict[str, Any]], fired_at: datetime | None, resolved_at: datetime | None,
                         title: str | None = None) -> None:
        """The group's state as last seen (and, the first time, its thread's title), in one transaction."""
        with self._writing():
            alert_groups.save(self.db, source=source, group_key=group_key, thread_id=thread_id, status=status,
                              alerts=alerts, fired_at=_ts(fired_at) if fired_at else None,
                              resolved_at=_ts(resolved_at) if resolved_at else None, now=_ts())
            if title:
                alert_groups.set_title(self.db, thread_id, title)

    @on_store_thread
    def step_files(self, step_id: str) -> list[dict[str, Any]]:
        """The files a step made (`add_step_file`): name, mime_type, size, sha256."""
        row = self.db.execute("SELECT files FROM steps WHERE id = ?", [step_id]).fetchone()
        return (_loads(row[0]) or []) if row else []

    @on_store_thread
    def restore_alert_group(self, source: str, group_key: str, row: dict[str, Any] | None) -> None:
        """Put a group back as it was read (`alert_group`), or forget it when it was new: what a
        notification stored ahead of its message is undone when the message could not be posted."""
        with self._writing():
            if row is None:
                alert_groups.delete(self.db, source, group_key)
            else:
                alert_groups.save(self.db, source=source, group_key=group_key, thread_id=row["thread_id"],
                                  status=row["status"], alerts=row["alerts"], fired_at=row["fired_at"],
                                  resolved_at=row["resolved_at"], now=row["updated_at"])

    @on_store_thread
    def add_step_file(self, step_id: str, file: dict[str, Any]) -> None:
        """A file a step made (a chart), listed with the step (`steps.files`)."""
        with self._writing():
            row = self.db.execute("SELECT files FROM steps WHERE id = ?", [step_id]).fetchone()
            if row is None:
                return
            self.db.execute("UPDATE steps SET files = ? WHERE id = ?", [_dumps([*(_loads(row[0]) or []), file]),
                                                                          step_id])

    @on_store_thread
    def schedule_state(self, name: str, *, thread_id: str, next_run_at: datetime) -> dict[str, Any]:
        """A schedule's stored state, made with its thread and first run time on first sight."""
        with self._writing():
            schedules.ensure(self.db, name, thread_id, _ts(next_run_at))
            return schedules.get(self.db, name)  # type: ignore[return-value]

    @on_store_thread
    def schedule_states(self) -> list[dict[str, Any]]:
        return schedules.all_states(self.db)

    @on_store_thread
    def record_schedule_run(self, name: str, *, ran_at: datetime, outcome: str | None, changed: bool,
                            next_run_at: datetime) -> None:
        with self._writing():
            schedules.record_run(self.db, name, ran_at=_ts(ran_at), outcome=outcome, changed=changed,
                                 next_run_at=_ts(next_run_at))

    # --- read models for thread viewers ------------------------------------------------------------

    @on_store_thread
    def list_threads(self, *, platform: str, channel: str | None = None, limit: int = 50,
                     before: str | None = None, decided_by: str | None = None) -> list[dict[str, Any]]:
        return views.list_threads(self.db, platform=platform, channel=channel, limit=limit, before=before,
                                  decided_by=decided_by)

    @on_store_thread
    def thread_view(self, thread_id: str, *, limit: int = 50, before: str | None = None) -> dict[str, Any] | None:
        return views.thread_view(self.db, thread_id, limit=limit, before=before)

    @on_store_thread
    def plan_view(self, plan_id: str) -> dict[str, Any] | None:
        return views.plan_view(self.db, plan_id)

    @on_store_thread
    def check_writable(self) -> None:
        """A real write (this process's heartbeat, or a lock taken and released when it has no
        identity): raises a `StorageUnavailable` when the database cannot be written."""
        if self.identity is not None:
            with self._writing():
                ownership.heartbeat(self.db, self.identity.id, _ts())
            return
        self.db.execute(self.dialect.begin_write)
        self.db.execute("ROLLBACK")

    def free_bytes(self) -> int:
        """Free space where the database lives (on PostgreSQL: where attachments are kept; the
        server's own disk is the server's to watch)."""
        return free_bytes(self.path)

    @on_store_thread
    def checkpoint(self) -> tuple[int, int]:
        """Copy the write-ahead log into the database (PASSIVE: never waits for readers), off the
        turn path; returns (log pages, pages copied). PostgreSQL checkpoints on its own."""
        if self.dialect is not SQLITE:
            return (0, 0)
        row = self.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return (int(row[1]), int(row[2])) if row else (0, 0)

    @on_store_thread
    def prune(self, before: datetime, *, audit: bool = False) -> dict[str, int]:
        """Delete threads, messages, plans, delivery ids and cached perception older than
        `before` (never a plan still pending or running); the audit log too only with `audit`."""
        unused: set[str] = set()
        with self._writing():
            counts = retention.prune(self.db, _ts(before), audit=audit, unused_files=unused)
            if self.url is not None:  # the bytes are rows: they go in the same transaction
                counts["files"] = shared_files.remove(self.db, unused, _ts(before))
            self._audit("storage.pruned", detail={"before": _ts(before), "deleted": counts,
                                                  "files": len(unused)})
        if self.url is None:  # after the commit: a failed prune keeps its files; one kept again since stays
            counts["files"] = self.files.remove(unused, unless_kept_since=before)
        return counts

    @on_store_thread
    def vacuum(self) -> None:
        """Give the space of deleted rows back to the file system (rewrites the file; on
        PostgreSQL, `VACUUM` marks it reusable)."""
        if self.dialect is not SQLITE:
            self.db.execute("VACUUM")
            return
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.execute("VACUUM")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @on_store_thread
    def database_bytes(self) -> int:
        """How much space the database takes: the file and its log, or PostgreSQL's own count."""
        if self.url:
            return int(self.db.execute("SELECT pg_database_size(current_database())").fetchone()[0])
        return self.size_bytes()

    def size_bytes(self) -> int:
        """The database and its write-ahead log, on disk (0 for PostgreSQL: see `database_bytes`)."""
        total = 0
        if self.url:
            return total
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                total += Path(f"{self.path}{suffix}").stat().st_size
        return total

    # --- the audit log --------------------------------------------------------------------------

    @on_store_thread
    def append_audit(self, kind: str, *, actor: str = "", thread_id: str = "", plan_id: str = "",
                     step_id: str = "", detail: Any = None) -> None:
        with self._writing():
            self._audit(kind, actor=actor, thread_id=thread_id, plan_id=plan_id, step_id=step_id, detail=detail)

    @on_store_thread
    def audit_log(self, limit: int = 50, *, thread: str | None = None, user: str | None = None,
                  tool: str | None = None, kind: str | None = None, since: str | None = None) -> list[dict[str, Any]]:
        """The newest `limit` audit entries matching the filters, oldest first (see
        `views.audit_entries`); `since` is an ISO timestamp."""
        return views.audit_entries(self.db, limit=limit, thread=thread, user=user, tool=tool, kind=kind,
                                   since=since)
