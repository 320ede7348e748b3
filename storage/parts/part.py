"""What every part of the store shares: the connection of the running operation and the
conditions that make an UPDATE this process's own."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from chatops.bot.model import utcnow
from chatops.storage.dialect import Dialect
from chatops.storage.files import FileStore
from chatops.storage.operations import dumps, ts
from chatops.storage.ownership import ProcessIdentity
from chatops.storage.transactions import GroupCommit

AUDIT_ROWS_PER_INSERT = 100
# the text of each `INSERT` a part makes of rows (`_insert_many`), by table and columns: made once
_INSERTS: dict[tuple[str, tuple[str, ...]], str] = {}


@functools.cache
def _audit_insert(rows: int) -> str:
    """The `INSERT` of `rows` audit rows (made once for each count)."""
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * rows)
    return f"INSERT INTO audit (at, kind, actor, thread_id, plan_id, step_id, detail) VALUES {values}"


class Part:
    """The state the parts read (set by `Store`), and the helpers they write SQL with."""

    path: Path
    url: str | None
    dialect: Dialect
    lease_seconds: float
    thread_leases: bool
    identity: ProcessIdentity | None
    files: FileStore
    _writer: GroupCommit
    _sqlite: Any  # sqlite_utils.Database of a SQLite store, once open
    _local: threading.local  # PostgreSQL: the connection the running batch borrowed
    _thread_refs: OrderedDict[str, tuple[int, int]]  # thread id -> where its ref's parts split (`Messages.thread_ref`)

    @property
    def db(self) -> Any:
        """The connection of the running operation: the SQLite file's `sqlite_utils.Database`, or
        on PostgreSQL the pooled connection this writer thread borrowed (`storage.postgres.PgDatabase`)."""
        if self.url:
            db = getattr(self._local, "db", None)
            if db is None:
                raise RuntimeError("a PostgreSQL store is used only inside its operations")
            return db
        if self._sqlite is None:
            raise RuntimeError("the store is not open")
        return self._sqlite

    @property
    def process_id(self) -> str | None:
        return self.identity.id if self.identity else None

    def _owned(self, column: str = "owner") -> tuple[str, list[str]]:
        """`AND owner = <this process>` for a conditional UPDATE, when this process registered."""
        return (f" AND {column} = ?", [self.identity.id]) if self.identity else ("", [])

    def _cutoff(self) -> str:
        """The oldest heartbeat that still counts as alive."""
        return ts(utcnow() - timedelta(seconds=self.lease_seconds))

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        self._insert_many(table, [row])

    def _insert_many(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Plain `INSERT`s: sqlite-utils' `insert` reads the schema back (`sqlite_master`) on every
        call, about a dozen times a turn; every row of one call has the same keys."""
        if not rows:
            return
        columns = tuple(rows[0])
        sql = _INSERTS.get((table, columns))
        if sql is None:
            sql = _INSERTS[table, columns] = \
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        self.db.conn.executemany(sql, [[row[column] for column in columns] for row in rows])

    def _operation(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one queued operation on the writer thread, its audit rows written together at its
        end, in its transaction: one statement for the four of a turn's first operation, not
        four (each statement is a round trip and psycopg's work on PostgreSQL, profiled in
        issue 23). An operation that fails writes none; the rows of operations it runs inside
        (`.blocking`) join its own."""
        if getattr(self._local, "audit_rows", None) is not None:  # inside another operation
            return method(self, *args, **kwargs)
        self._local.audit_rows = rows = []
        try:
            result = method(self, *args, **kwargs)
            if rows:
                self._write_audit(rows)
            return result
        finally:
            self._local.audit_rows = None

    def _audit(self, kind: str, *, actor: str = "", thread_id: str = "", plan_id: str = "",
               step_id: str = "", detail: Any = None) -> None:
        """One audit row, inside the running operation's transaction (written at its end)."""
        row = (ts(), kind, actor, thread_id, plan_id, step_id, dumps(detail) if detail is not None else None)
        rows = getattr(self._local, "audit_rows", None)
        if rows is None:  # called outside a queued operation (raw SQL through `_dispatch`)
            self._write_audit([row])
        else:
            rows.append(row)

    def _write_audit(self, rows: list[tuple[Any, ...]]) -> None:
        # plain SQL, one multi-row INSERT: the most frequent insert of a turn (sqlite-utils' insert
        # re-reads the schema each call)
        for start in range(0, len(rows), AUDIT_ROWS_PER_INSERT):  # parameters far below either database's limit
            part = rows[start:start + AUDIT_ROWS_PER_INSERT]
            self.db.execute(_audit_insert(len(part)), [value for row in part for value in row])
