"""PostgreSQL transactions in psycopg's pipeline mode (issue 23): statements go out without
waiting, yet an operation still reads what it asked for (rows, row counts) in order, a read of
several statements is one transaction, and a failure undoes the whole operation."""

from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])


async def test_a_read_of_several_statements_is_one_transaction(open_store):
    store = await open_store()

    def two_reads() -> tuple[int, int]:
        first = store.db.execute("SELECT txid_current()").fetchone()[0]
        second = store.db.execute("SELECT txid_current()").fetchone()[0]
        return first, second

    first, second = await store._dispatch(two_reads, kind="read")
    assert first == second  # bare (autocommit) statements would each have a transaction of their own


async def test_row_counts_and_rows_are_read_in_order_inside_a_pipelined_write(open_store):
    store = await open_store()

    def write() -> tuple[int, int, int, list[str]]:
        db = store.db
        db.execute("CREATE TEMP TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INT)")
        inserted = db.execute("INSERT INTO t (k, v) VALUES (?, ?), (?, ?)", ["a", 1, "b", 2]).rowcount
        again = db.execute("INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT DO NOTHING", ["a", 9]).rowcount
        updated = db.execute("UPDATE t SET v = v + 1 WHERE v > ?", [0]).rowcount
        rows = [f"{k}={v}" for k, v in db.execute("SELECT k, v FROM t ORDER BY k").fetchall()]
        return inserted, again, updated, rows

    assert await store._dispatch(write, kind="write") == (2, 0, 2, ["a=2", "b=3"])


async def test_a_failing_statement_undoes_the_operation_and_the_next_one_runs(open_store):
    store = await open_store()

    def setup() -> None:
        store.db.execute("CREATE TABLE p (k TEXT PRIMARY KEY)")

    await store._dispatch(setup, kind="write")

    def half_then_fail() -> None:
        store.db.execute("INSERT INTO p (k) VALUES (?)", ["kept?"])
        store.db.execute("INSERT INTO p (k) VALUES (?)", ["dup"])
        store.db.execute("INSERT INTO p (k) VALUES (?)", ["dup"])  # fails, possibly only at the commit

    with pytest.raises(psycopg.errors.UniqueViolation):
        await store._dispatch(half_then_fail, kind="write")

    def keys() -> list[str]:
        return [row[0] for row in store.db.execute("SELECT k FROM p ORDER BY k").fetchall()]

    assert await store._dispatch(keys, kind="read") == []  # nothing of the failed operation stayed
    await store._dispatch(lambda: store.db.execute("INSERT INTO p (k) VALUES (?)", ["next"]), kind="write")
    assert await store._dispatch(keys, kind="read") == ["next"]
