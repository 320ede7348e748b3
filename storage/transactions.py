"""Group commit: the one place the store opens, commits and rolls back transactions.

Every operation of the store is queued here as an `Op`. A writer thread takes whatever is
queued (up to `max_batch`) and runs it as one batch: a batch of reads only runs bare on SQLite
(no transaction) and in one transaction on PostgreSQL (where each bare statement would be a
transaction of its own); a batch with any change runs in one transaction, and one commit makes all of it
durable together. Concurrent turns therefore share a
commit (and, on SQLite, its WAL append and any fsync) instead of each paying its own.

Each caller keeps its own result and error. When an operation fails inside a batch (a
constraint, a bug, a deadlock, a disk that filled) or the commit itself fails, the batch's
transaction is rolled back and every operation that had run inside it is run again singly, in
a transaction of its own (retry-singly): the failing one fails alone, the others succeed as if
the batch had never been tried. Operations are written to be run again (they always were: a
PostgreSQL deadlock retried them), and nothing they did is handed back before its commit. When
a single run fails with a named storage fault (the server is gone, the disk is full), the
operations still waiting for their single run get that fault at once instead of each waiting
out the same outage.

Results go back to the event loop in batches: one `call_soon_threadsafe` per loop per batch,
not one per operation (waking the loop's self-pipe was about a third of the per-turn cost of a
trip on the fast path, profiled in issue 23).

An operation marked `alone` (a `VACUUM`, a checkpoint, a pragma) cannot run inside a
transaction: the batch before it is committed first, and it runs bare. An operation that is one
statement (`statement`: a lease taken, renewed or released, a heartbeat) is atomic by itself:
in a batch it joins the batch's transaction, and alone it runs in autocommit, one round trip on
PostgreSQL instead of three (`BEGIN`, the statement, `COMMIT`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

log = logging.getLogger("chatops.storage.transactions")

Kind = Literal["read", "write", "statement", "alone"]
MAX_BATCH = 256  # operations in one transaction: bounds how long one commit keeps others' results


@dataclass
class Op:
    """One queued operation: the call, what kind it is, and where its caller waits."""

    fn: Callable[[], Any]
    kind: Kind
    future: asyncio.Future[Any] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    result: Any = None
    error: BaseException | None = None
    done: threading.Event | None = field(default=None, repr=False)  # a caller without a loop waits here


class Session(Protocol):
    """A backend's connection for one batch: how a transaction starts and ends on it, and which
    errors are faults of the storage rather than of one operation."""

    def connection(self) -> contextlib.AbstractContextManager[Any]:
        """The connection the batch runs on (SQLite: the file's one connection; PostgreSQL: one
        borrowed from the pool), made current for the store's operations while it is held."""
        ...

    def begin(self, conn: Any, alone: bool = False) -> None:
        """Open a transaction; `alone`: for one operation, not a batch (PostgreSQL then runs an
        operation that is one self-contained statement without `BEGIN` and `COMMIT`)."""
        ...

    def commit(self, conn: Any) -> None: ...

    def rollback(self, conn: Any) -> None: ...

    def in_transaction(self, conn: Any) -> bool: ...

    reads_in_transaction: bool
    """Whether reads run inside a transaction too: on PostgreSQL every bare statement is a
    transaction (and a snapshot) of its own, so a read of five statements is one transaction
    instead of five, sent with its `BEGIN` in the first statement's round trip."""

    def fault(self, exc: BaseException) -> BaseException | None:
        """The named fault an error stands for (disk full, server gone), or None for a plain error."""
        ...

    def retryable(self, exc: BaseException) -> bool:
        """A deadlock or serialization failure: running the operation again may succeed."""
        ...

    def unreachable(self, fault: BaseException) -> bool:
        """The storage cannot be reached at all (so no other operation could succeed now)."""
        ...


@dataclass
class BatchFigures:
    """What the writers did, for benchmarks and tests: batches run, operations, commits."""

    batches: int = 0
    operations: int = 0
    commits: int = 0
    singles: int = 0
    largest: int = 0


class _Stop:
    pass


STOP = _Stop()


class GroupCommit:
    """`await writer.submit(fn, kind)` runs `fn` on a writer thread, in a transaction shared with
    whatever else was queued meanwhile, and returns its result (or raises its error)."""

    def __init__(self, session: Session, *, threads: int = 1, max_batch: int = MAX_BATCH,
                 name: str = "chatops-store") -> None:
        self.session = session
        self.max_batch = max(1, max_batch)
        self.figures = BatchFigures()
        # PostgreSQL: a read of several statements, or a batch of reads, is one transaction, not
        # one per statement (see `Session.reads_in_transaction`)
        self._reads_in_transaction = bool(getattr(session, "reads_in_transaction", False))
        self._queue: queue.SimpleQueue[Op | _Stop] = queue.SimpleQueue()
        self.closed = False
        self._threads = [threading.Thread(target=self._drain, name=f"{name}-{i}", daemon=True)
                         for i in range(max(1, threads))]
        for thread in self._threads:
            thread.start()

    # --- the callers' side ----------------------------------------------------------------------

    async def submit(self, fn: Callable[[], Any], kind: Kind = "write") -> Any:
        if self.closed:
            raise RuntimeError("the store is closed")
        loop = asyncio.get_running_loop()
        op = Op(fn, kind, future=loop.create_future(), loop=loop)
        self._queue.put(op)
        return await op.future  # type: ignore[misc]

    def call(self, fn: Callable[[], Any], kind: Kind = "write") -> Any:
        """The same from a thread without an event loop (closing, migrations of a copy)."""
        if self.closed:
            raise RuntimeError("the store is closed")
        op = Op(fn, kind, done=threading.Event())
        self._queue.put(op)
        op.done.wait()  # type: ignore[union-attr]
        if op.error is not None:
            raise op.error
        return op.result

    def close(self) -> None:
        """Let the writers finish what is queued, then stop them (blocking: call off the loop)."""
        self.closed = True
        for _ in self._threads:
            self._queue.put(STOP)
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join()

    # --- the writer's side ----------------------------------------------------------------------

    def _drain(self) -> None:
        while True:
            first = self._queue.get()
            if isinstance(first, _Stop):
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(more, _Stop):
                    stop = True
                    break
                batch.append(more)
            try:
                self._run(batch)
            except BaseException as exc:  # never leave a caller waiting, whatever broke
                log.exception("a batch of store operations failed as a whole")
                for op in batch:
                    if op.error is None and op.result is None:
                        op.error = exc
            self._deliver(batch)
            if stop:
                return

    def _run(self, batch: list[Op]) -> None:
        self.figures.batches += 1
        self.figures.operations += len(batch)
        self.figures.largest = max(self.figures.largest, len(batch))
        group: list[Op] = []
        for op in batch:
            if op.kind == "alone":
                self._run_group(group)
                group = []
                self._run_singly([op])
            else:
                group.append(op)
        self._run_group(group)

    def _run_group(self, ops: list[Op]) -> None:
        """A batch of reads runs bare; a batch with a change runs in one transaction, which the
        reads queued with it join (on PostgreSQL each bare statement is a transaction of its own)."""
        if not ops:
            return
        if len(ops) == 1:
            self._run_singly(ops)
            return
        session = self.session
        inside: list[Op] = []
        changes = any(op.kind in ("write", "statement") for op in ops) or self._reads_in_transaction
        with session.connection() as conn:
            opened = False
            try:
                for op in ops:
                    if changes and not opened:
                        session.begin(conn)
                        opened = True
                    if not opened:
                        try:
                            op.result = op.fn()
                        except BaseException as exc:
                            op.error = self._named(exc)
                        continue
                    inside.append(op)
                    op.result = op.fn()
                if opened or session.in_transaction(conn):
                    session.commit(conn)
                    self.figures.commits += 1
                return
            except BaseException as exc:
                failure = exc
                with contextlib.suppress(BaseException):
                    session.rollback(conn)
                pending = inside + ops[ops.index(inside[-1]) + 1:] if inside else \
                    [op for op in ops if op.result is None and op.error is None]
                for op in pending:
                    op.result = None
        log.debug("a batch of %d failed (%s); running its operations singly", len(pending), failure)
        self._run_singly(pending)

    def _run_singly(self, ops: list[Op]) -> None:
        """Each operation in a transaction of its own (a write) or bare (a read, an `alone` one),
        retried once after a deadlock. Once one finds the storage unreachable, the rest get that
        fault unrun (a full or read-only database still answers reads: those run)."""
        fault: BaseException | None = None
        for op in ops:
            if fault is not None:
                op.error = fault
                continue
            self.figures.singles += 1
            for attempt in (1, 2):
                try:
                    op.result = self._once(op)
                    op.error = None
                    break
                except BaseException as exc:
                    if attempt == 1 and self.session.retryable(exc):
                        continue
                    op.error = self._named(exc)
                    if self.session.unreachable(op.error):
                        fault = op.error
                    break

    def _once(self, op: Op) -> Any:
        session = self.session
        with session.connection() as conn:
            if op.kind == "read" and self._reads_in_transaction:
                return _in_transaction(session, conn, op.fn)  # PostgreSQL: `BEGIN` goes with the first statement
            if op.kind != "write":  # a read, an `alone` one, or one statement: autocommit
                try:
                    result = op.fn()
                except BaseException:
                    if session.in_transaction(conn):
                        with contextlib.suppress(BaseException):
                            session.rollback(conn)
                    raise
                if session.in_transaction(conn):  # a raw statement opened one (tests, pragmas)
                    session.commit(conn)
                    self.figures.commits += 1
                return result
            result = _in_transaction(session, conn, op.fn)
            self.figures.commits += 1
            return result

    def _named(self, exc: BaseException) -> BaseException:
        fault = self.session.fault(exc)
        if fault is None or fault is exc:
            return exc
        fault.__cause__ = exc
        return fault

    @staticmethod
    def _deliver(batch: list[Op]) -> None:
        """One wake-up of each waiting loop for the whole batch."""
        by_loop: dict[asyncio.AbstractEventLoop, list[Op]] = {}
        for op in batch:
            if op.loop is not None:
                by_loop.setdefault(op.loop, []).append(op)
            elif op.done is not None:
                op.done.set()
        for loop, ops in by_loop.items():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
                loop.call_soon_threadsafe(_settle, ops)


def _settle(ops: list[Op]) -> None:
    for op in ops:
        future = op.future
        if future is None or future.done():  # the caller was cancelled meanwhile
            continue
        if op.error is not None:
            future.set_exception(op.error)
        else:
            future.set_result(op.result)


def _in_transaction(session: Any, conn: Any, fn: Callable[[], Any]) -> Any:
    """`fn`, one operation, in one transaction of `conn`: committed, or rolled back when it raises."""
    session.begin(conn, alone=True)
    try:
        result = fn()
        session.commit(conn)
    except BaseException:
        with contextlib.suppress(BaseException):
            session.rollback(conn)
        raise
    return result
