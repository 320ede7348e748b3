"""Copy a SQLite database into an empty PostgreSQL one (`chatops migrate-storage --to …`).

Both sides are first brought to this release's schema by the store's own migrations, so the
tables and columns match; rows are copied table by table in one PostgreSQL transaction (parents
before children, each table in insertion order, so "newest first" reads the same afterwards),
identity counters are moved past the copied ids, and the counts are compared before the
transaction commits: a copy that does not match leaves the target empty. The attachment bytes
in `files/` beside the SQLite file become rows of `file_chunks` in the same transaction (on
PostgreSQL they live in the database, where every replica reads them), each checked against the
SHA-256 it is named by.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

PARENTS_FIRST = ("threads", "messages", "plans", "steps")  # foreign keys point up this list
BATCH = 2000


class TransferError(Exception):
    """The copy cannot be made (the target is not empty) or did not match (counts differ)."""


@dataclass
class TableCopy:
    table: str
    source_rows: int
    copied_rows: int


def copy_sqlite_to_postgres(sqlite_path: Path, url: str, files: Path | None = None) -> list[TableCopy]:
    """Copy every table of the (migrated) SQLite file into the (migrated, empty) PostgreSQL
    database, and the attachment files of the folder `files`; returns the per-table counts (the
    files as a table named "files"), all verified equal."""
    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    source.execute("BEGIN")  # one read transaction: every table is read from the same snapshot
    try:
        with psycopg.connect(url, autocommit=True) as target:
            tables = _tables_in_order(source)
            _refuse_unless_empty(target, tables)
            with target.transaction():
                copies = [_copy_table(source, target, table) for table in tables]
                if files is not None:
                    copies.append(_copy_files(files, target))
                _advance_identities(target, tables)
                wrong = [c for c in copies if c.copied_rows != c.source_rows]
                if wrong:
                    raise TransferError("counts differ after the copy: " + ", ".join(
                        f"{c.table} {c.source_rows} → {c.copied_rows}" for c in wrong))
            return copies
    finally:
        source.close()


def _tables_in_order(source: sqlite3.Connection) -> list[str]:
    names = [r[0] for r in source.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return [t for t in PARENTS_FIRST if t in names] + [t for t in names if t not in PARENTS_FIRST]


def _refuse_unless_empty(target: psycopg.Connection[Any], tables: list[str]) -> None:
    filled = [t for t in tables if target.execute(f"SELECT EXISTS (SELECT 1 FROM {t})").fetchone()[0]]  # type: ignore[index]
    if filled:
        raise TransferError(f"the target database is not empty ({', '.join(filled)} hold rows); "
                            "migrate-storage copies into an empty database only")


def _columns(target: psycopg.Connection[Any], table: str) -> list[str]:
    """The target's columns of `table` except its own `rowid` (an identity it numbers itself)."""
    rows = target.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s AND column_name <> 'rowid' ORDER BY ordinal_position", [table]).fetchall()
    return [r[0] for r in rows]


def _copy_table(source: sqlite3.Connection, target: psycopg.Connection[Any], table: str) -> TableCopy:
    columns = _columns(target, table)
    expected = source.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    listed = ", ".join(columns)
    with target.cursor() as cursor, cursor.copy(f"COPY {table} ({listed}) FROM STDIN") as copy:
        for batch in _batches(source, f"SELECT {listed} FROM {table} ORDER BY rowid"):
            for row in batch:
                copy.write_row(row)
    copied = target.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # type: ignore[index]
    return TableCopy(table=table, source_rows=expected, copied_rows=copied)


def _copy_files(folder: Path, target: psycopg.Connection[Any]) -> TableCopy:
    """Every `files/xx/<sha256>` as `file_chunks` rows; a file whose bytes do not hash to its
    name (damaged) is not copied, and the counts then differ."""
    from chatops.storage.files import SHA256
    from chatops.storage.shared_files import CHUNK

    found = [path for path in sorted(folder.glob("*/*")) if path.is_file() and SHA256.fullmatch(path.name)]
    now = datetime.now(UTC).isoformat(timespec="microseconds")  # as the store writes kept_at
    for path in found:
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != path.name:
            continue
        for seq, offset in enumerate(range(0, max(len(data), 1), CHUNK)):
            target.execute("INSERT INTO file_chunks (sha256, seq, data, kept_at) VALUES (%s, %s, %s, %s) "
                           "ON CONFLICT (sha256, seq) DO NOTHING", [path.name, seq, data[offset:offset + CHUNK], now])
    copied = target.execute("SELECT COUNT(DISTINCT sha256) FROM file_chunks").fetchone()[0]  # type: ignore[index]
    return TableCopy(table="files", source_rows=len(found), copied_rows=copied)


def _batches(source: sqlite3.Connection, query: str) -> Iterator[list[tuple[Any, ...]]]:
    cursor = source.execute(query)
    while rows := cursor.fetchmany(BATCH):
        yield rows


def _advance_identities(target: psycopg.Connection[Any], tables: list[str]) -> None:
    """Copied ids were given explicitly: move each identity's counter past the largest one, so
    the next audit entry or notice does not collide with a copied one."""
    for table in tables:
        row = target.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = %s AND is_identity = 'YES' AND identity_generation = 'BY DEFAULT'",
            [table]).fetchone()
        if row:
            column = row[0]
            target.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                           f"GREATEST((SELECT MAX({column}) FROM {table}), 1))")
