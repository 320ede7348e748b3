"""The SQLite file under the store: opening it, its transactions, and its errors named as faults.

`SYNCHRONOUS` was chosen by measurement (`bench/storage.py`, written up in docs/storage.md):
`FULL` (an fsync of the write-ahead log at every commit) made one client's turns about 40×
slower on this machine's disk and, even with group commit sharing each fsync among ~30
operations, 100 clients' turns 4× slower. `NORMAL` in WAL mode keeps every acknowledged commit
through a crash or kill -9 of the process (the log is in the OS's page cache) and the file
consistent through a power loss, which can roll back the last commits before the next
checkpoint.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import sqlite_utils

from chatops.bot.faults import StorageFull, StorageReadOnly, StorageUnavailable
from chatops.storage.checkpointer import Checkpointer
from chatops.storage.migrations import migrate

log = logging.getLogger("chatops.storage.sqlite")

Synchronous = Literal["OFF", "NORMAL", "FULL"]
SYNCHRONOUS: Synchronous = "NORMAL"

# SQLite primary result codes (the low byte of `sqlite_errorcode`)
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN = 5, 6, 8, 10, 13, 14
LOW_SPACE_BYTES = 1024 * 1024  # below this, an I/O error is taken for a full disk
WAL_SIZE_LIMIT = 4 * 1024 * 1024  # bytes the write-ahead log keeps on disk once checkpointed
BUSY_SECONDS = 30  # how long a write waits for another process's lock on the file
WAL_CHECKPOINT_AT = WAL_SIZE_LIMIT * 5 // 8  # bytes of log (in pages) past which a commit auto-checkpoints it
# bytes of the log's file past which the writer waits for a checkpoint that truncates it (`_bound_the_log`):
# above the file an auto-checkpoint leaves (its pages plus 24 bytes of header a frame, ≈ 2.52 MiB, plus the
# commit that crossed it), so it fires only when the auto-checkpoint could not make room; and a MiB under the
# limit, more than one commit of 100 clients' turns writes (≈ 0.3-1 MiB)
WAL_BOUND_AT = WAL_SIZE_LIMIT * 3 // 4
BOUNDING_WAIT_MS = 5000  # how long the writer waits for the log to be free when it bounds it (`_bound_the_log`)
BOUNDING_PAUSE_SECONDS = 5.0  # after a wait that did not get the log, no new attempt for this long


def storage_fault(exc: BaseException, path: Path) -> StorageUnavailable | None:
    """The named fault behind a SQLite error, or None for a plain bug (bad SQL, a constraint)."""
    if not isinstance(exc, sqlite3.Error):
        return None
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code == SQLITE_FULL:
        return StorageFull(f"the database is full ({exc}); free some disk space (or run `chatops prune`)")
    if code == SQLITE_READONLY:
        return StorageReadOnly(f"the database is read-only ({exc})")
    if code in (SQLITE_BUSY, SQLITE_LOCKED):  # the busy timeout ran out: another process holds the lock
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


def connect(path: Path, synchronous: Synchronous = SYNCHRONOUS) -> sqlite_utils.Database:
    """Open (creating its folder) and migrate the file, in WAL mode. Called on the writer thread,
    which then owns the connection."""
    if str(path) != ":memory:":
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"cannot create the folder {path.parent}: {exc.strerror}") from exc
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=BUSY_SECONDS)
    db = sqlite_utils.Database(conn)
    db.enable_wal()
    db.execute(f"PRAGMA synchronous = {synchronous}")
    db.execute("PRAGMA foreign_keys = ON")
    migrate(db)
    return db


class SqliteSession:
    """Transactions on the file's one connection. Every write transaction takes the write lock
    first (`BEGIN IMMEDIATE`): a deferred one that happens to read first fails at once with
    "database is locked" when another process wrote in between, instead of waiting its turn
    (found by the chaos soak with two processes on one file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._wal = f"{path}-wal"  # its write-ahead log, stat-ed after every commit (`_bound_the_log`)
        self.db: sqlite_utils.Database | None = None
        self.checkpointer: Checkpointer | None = None  # set once the file is open (see storage/checkpointer.py)
        self._bounding_paused_until = 0.0  # see `_bound_the_log`

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        if self.db is None:
            raise RuntimeError("the store is not open")
        yield self.db.conn

    reads_in_transaction = False  # a bare read on the file costs nothing a transaction would save

    def begin(self, conn: sqlite3.Connection, alone: bool = False) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def commit(self, conn: sqlite3.Connection) -> None:
        conn.commit()
        if self.checkpointer is not None:
            self.checkpointer.poke()
            self._bound_the_log(conn)

    def _bound_the_log(self, conn: sqlite3.Connection) -> None:
        """Keep the promise that the log stays under `WAL_SIZE_LIMIT`. The writer's auto-checkpoint
        is passive: while the background checkpointer holds the log (a loaded machine, a slow disk)
        it finds it busy and gives up, commit after commit, and the log grew to 5.7 MB under a
        CPU and fsync load (tests/test_wal_bound.py). Past `WAL_BOUND_AT` the writer waits for a
        TRUNCATE checkpoint instead: the next commit writes the log from its start, and the file
        is cut to nothing, so its size measures the log again. (A RESTART left the file at its
        size, above the threshold, since `journal_size_limit` only cuts it down to the limit: every
        commit after the first auto-checkpoint then waited for a checkpoint of its own, 0.45 ms
        of the writer's time a commit and 2.6 ms one commit in seven, issue 23.)
        A stat per commit; the checkpoint itself only when the background one fell behind."""
        try:
            size = os.stat(self._wal).st_size
        except OSError:
            return
        if size > WAL_BOUND_AT and time.monotonic() >= self._bounding_paused_until:
            # a bounded wait: the background checkpoint holds the log for milliseconds (seconds on a
            # disk under load); a reader in another process may hold its snapshot far longer, and
            # then the writer stops trying for a while rather than wait at every commit
            # (a checkpoint running on another connection makes this one return "busy" at once,
            # without waiting: so it is tried again until the background one is done)
            conn.execute(f"PRAGMA busy_timeout = {BOUNDING_WAIT_MS}")
            deadline = time.monotonic() + BOUNDING_WAIT_MS / 1000
            try:
                while conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]:
                    if time.monotonic() >= deadline:
                        raise sqlite3.OperationalError("the log stayed busy")
                    time.sleep(0.005)
            except sqlite3.Error as exc:  # the file went away, or stayed busy
                log.debug("bounding checkpoint skipped: %s", exc)
                self._bounding_paused_until = time.monotonic() + BOUNDING_PAUSE_SECONDS
            finally:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")

    def rollback(self, conn: sqlite3.Connection) -> None:
        conn.rollback()

    def in_transaction(self, conn: sqlite3.Connection) -> bool:
        try:
            return conn.in_transaction
        except sqlite3.ProgrammingError:  # closed (the last operation of a store closes it)
            return False

    def fault(self, exc: BaseException) -> BaseException | None:
        return storage_fault(exc, self.path)

    def retryable(self, exc: BaseException) -> bool:
        return False  # a busy file already waited out its timeout

    def unreachable(self, fault: BaseException) -> bool:
        return type(fault) is StorageUnavailable
