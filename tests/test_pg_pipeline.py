"""PostgreSQL transactions (issue 23): `BEGIN` goes out with an operation's first statement, an
operation reads what it asked for (rows, row counts) in order, a read of several statements is
one transaction, a failure undoes the whole operation, and a frozen replica's transaction does
not hold the others up. (The file's name is from when transactions ran in psycopg's pipeline
mode.)"""

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


async def test_row_counts_and_rows_are_read_in_order_inside_a_write(open_store):
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


async def test_a_replica_frozen_inside_a_transaction_does_not_hold_the_others_writes(open_store, monkeypatch):
    """A process stopped mid-transaction (SIGSTOP, a paused VM) keeps its connection open; without
    a server-side limit its row locks would hold every other replica's writes to those rows for as
    long as it is frozen. The server ends the idle transaction; the live replica's write goes on."""
    import asyncio
    import threading
    import time

    from chatops.storage import postgres

    monkeypatch.setattr(postgres, "IDLE_IN_TRANSACTION_SECONDS", 1.0)
    frozen, live = await open_store(), await open_store()
    await live._dispatch(lambda: (live.db.execute("CREATE TABLE held (k TEXT PRIMARY KEY, v INT)"),
                                  live.db.execute("INSERT INTO held (k, v) VALUES (?, ?)", ["a", 0])), kind="write")
    locked, thawed = threading.Event(), threading.Event()

    def freeze_holding_the_row() -> None:
        # its row count read back: the server sees a transaction waiting on its client
        assert frozen.db.execute("UPDATE held SET v = 1 WHERE k = ?", ["a"]).rowcount == 1
        locked.set()
        time.sleep(6)  # frozen: no statement for 6 s, inside the transaction
        thawed.set()

    holder = asyncio.ensure_future(frozen._dispatch(freeze_holding_the_row, kind="write"))
    await asyncio.to_thread(locked.wait, 10)
    written = await live._dispatch(lambda: live.db.execute("UPDATE held SET v = 2 WHERE k = ?", ["a"]).rowcount,
                                   kind="write")
    assert written == 1 and not thawed.is_set()  # the live write did not wait for the frozen one to wake
    with pytest.raises(Exception):  # noqa: B017 - the frozen one's transaction was ended by the server
        await holder
    value = await live._dispatch(lambda: live.db.execute("SELECT v FROM held WHERE k = ?", ["a"]).fetchone()[0],
                                 kind="read")
    assert value == 2


async def test_a_replica_frozen_inside_a_transaction_is_fenced_off_by_the_others(open_store):
    """Before the server's idle timeout (10 s) ends it, and where that timeout does not reach (a
    process frozen in the middle of a pipelined `executemany`, before its sync), the other replicas
    end any bot transaction open past the limit that blocks them (`end_stuck_transactions`, run
    beside each heartbeat), and their writes go on."""
    import asyncio
    import threading
    import time

    from chatops.storage.postgres import end_stuck_transactions

    frozen, live = await open_store(), await open_store()
    await live._dispatch(lambda: (live.db.execute("CREATE TABLE pinned (k TEXT PRIMARY KEY, v INT)"),
                                  live.db.execute("INSERT INTO pinned (k, v) VALUES (?, ?)", ["a", 0])), kind="write")
    sent, thawed = threading.Event(), threading.Event()

    def freeze_between_statements() -> None:
        # its row locked; frozen for 8 s, under the server's 10 s idle timeout
        frozen.db.execute("UPDATE pinned SET v = 1 WHERE k = ? RETURNING v", ["a"]).fetchone()
        sent.set()
        time.sleep(8)
        thawed.set()

    holder = asyncio.ensure_future(frozen._dispatch(freeze_between_statements, kind="write"))
    await asyncio.to_thread(sent.wait, 10)
    writing = asyncio.ensure_future(live._dispatch(
        lambda: live.db.execute("UPDATE pinned SET v = 2 WHERE k = ?", ["a"]).rowcount, kind="write"))
    await asyncio.sleep(1.5)
    assert not writing.done()  # held behind the frozen replica's row lock
    ended = await asyncio.to_thread(end_stuck_transactions, live.url, 1.0)
    assert ended == 1
    assert await asyncio.wait_for(writing, 5) == 1 and not thawed.is_set()
    with pytest.raises(Exception):  # noqa: B017 - the frozen one's session was ended
        await holder
