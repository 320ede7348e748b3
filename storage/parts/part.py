"""What every part of the store shares: the connection of the running operation and the
conditions that make an UPDATE this process's own."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import timedelta
from pathlib import Path
from typing import Any

from chatops.bot.model import ThreadRef, utcnow
from chatops.storage.dialect import Dialect
from chatops.storage.files import FileStore
from chatops.storage.operations import dumps, ts
from chatops.storage.ownership import ProcessIdentity
from chatops.storage.transactions import GroupCommit


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
    _thread_refs: OrderedDict[str, ThreadRef]  # thread id -> its ref, as read (see `Messages.thread_ref`)

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
        columns = list(rows[0])
        self.db.conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
            [[row[column] for column in columns] for row in rows])

    def _audit(self, kind: str, *, actor: str = "", thread_id: str = "", plan_id: str = "",
               step_id: str = "", detail: Any = None) -> None:
        """One audit row, inside the running operation's transaction."""
        # plain SQL: the most frequent insert of a turn; sqlite-utils' insert re-reads the schema each call
        self.db.execute(
            "INSERT INTO audit (at, kind, actor, thread_id, plan_id, step_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [ts(), kind, actor, thread_id, plan_id, step_id, dumps(detail) if detail is not None else None],
        )
