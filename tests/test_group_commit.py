"""Group commit (issue 23, item 2): concurrent operations share one transaction and one commit,
each caller keeps its own result and error, results go back to the loop in one wake-up per
batch, reads open no transaction, and a kill -9 in the middle of batches loses nothing that was
acknowledged. Real SQLite files (and the real PostgreSQL server where both backends apply), a
real subprocess killed with SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from chatops.storage import Store

REPO = Path(__file__).resolve().parent.parent
_held: set[asyncio.Future] = set()  # the holding operations, kept until they finish


async def held_writer(store: Store) -> threading.Event:
    """Occupy the writer with an operation that waits for the returned event, so whatever is
    queued meanwhile is drained as one batch once it is set."""
    release, running = threading.Event(), threading.Event()

    def hold() -> None:
        running.set()
        release.wait(10)

    holding = asyncio.ensure_future(store._dispatch(hold, kind="alone"))
    _held.add(holding)
    holding.add_done_callback(_held.discard)
    while not running.is_set():
        await asyncio.sleep(0.005)
    return release


async def queued(tasks: list[asyncio.Task], store: Store, count: int) -> None:
    """Until `count` operations wait in the writer's queue (each task has reached its submit)."""
    for _ in range(2000):
        if store._writer._queue.qsize() >= count:
            break
        await asyncio.sleep(0.005)
    assert not any(task.done() for task in tasks)


async def audit_kinds(store: Store, prefix: str) -> list[str]:
    rows = await store._dispatch(lambda: store.db.execute(
        "SELECT kind FROM audit WHERE kind LIKE ? ORDER BY id", [prefix + "%"]).fetchall(), kind="read")
    return [row[0] for row in rows]


async def test_concurrent_operations_share_one_transaction_and_one_commit(open_store) -> None:
    store = await open_store(writers=1)  # one writer, so holding it holds every batch
    release = await held_writer(store)
    before = store.batches.commits
    tasks = [asyncio.ensure_future(store.append_audit(f"grouped.{i:02d}")) for i in range(40)]
    await queued(tasks, store, 40)
    release.set()
    await asyncio.gather(*tasks)

    assert store.batches.commits - before == 1  # forty writes, one commit
    assert store.batches.largest >= 40
    assert await audit_kinds(store, "grouped.") == [f"grouped.{i:02d}" for i in range(40)]


@pytest.mark.sqlite_only
async def test_the_batch_is_one_begin_and_one_commit_on_the_file(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bot.db")
    statements: list[str] = []
    try:
        await store._dispatch(lambda: store.db.conn.set_trace_callback(statements.append), kind="read")
        release = await held_writer(store)
        tasks = [asyncio.ensure_future(store.append_audit(f"traced.{i}")) for i in range(25)]
        await queued(tasks, store, 25)
        release.set()
        await asyncio.gather(*tasks)
        await store._dispatch(lambda: store.db.conn.set_trace_callback(None), kind="read")
    finally:
        await store.close()
    verbs = [sql.split()[0].upper() for sql in statements if sql.strip()]
    assert verbs.count("BEGIN") == 1 and verbs.count("COMMIT") == 1
    assert verbs.count("INSERT") == 25


async def test_one_failing_operation_fails_alone_and_its_partial_write_is_undone(open_store) -> None:
    store = await open_store(writers=1)  # one writer, so holding it holds every batch
    release = await held_writer(store)

    def writes_then_fails() -> None:
        store._audit("failing.partial")  # written inside the batch's transaction …
        store.db.execute("UPDATE audit SET kind = 'tampered'")  # … then the append-only guard refuses

    before = store.batches.singles
    tasks = [asyncio.ensure_future(store.append_audit(f"isolated.{i}")) for i in range(5)]
    tasks.append(asyncio.ensure_future(store._dispatch(writes_then_fails, kind="write")))
    tasks += [asyncio.ensure_future(store.append_audit(f"isolated.{i}")) for i in range(5, 10)]
    await queued(tasks, store, 11)
    release.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert store.batches.singles - before == 11  # the batch was rolled back and run singly

    failed = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(failed) == 1 and "append-only" in str(failed[0])
    assert outcomes[5] is failed[0]  # the failing caller got its own error
    assert await audit_kinds(store, "isolated.") == [f"isolated.{i}" for i in range(10)]
    assert await audit_kinds(store, "failing.") == []  # nothing of the failing operation stayed
    assert await audit_kinds(store, "tampered") == []


async def test_a_refused_state_change_in_a_batch_leaves_the_others_theirs(open_store) -> None:
    """`transition_plan` raising for an illegal move (a caller's bug) among concurrent
    heartbeats and audit rows: only that caller sees the error."""
    from chatops.bot.model import PlanStatus

    store = await open_store(writers=1)  # one writer, so holding it holds every batch
    await store.register_process()
    release = await held_writer(store)
    tasks = [asyncio.ensure_future(store.heartbeat()),
             asyncio.ensure_future(store.transition_plan("p-none", (PlanStatus.succeeded,), PlanStatus.running)),
             asyncio.ensure_future(store.append_audit("refused.neighbour"))]
    await queued(tasks, store, 3)
    release.set()
    beat, refused, audited = await asyncio.gather(*tasks, return_exceptions=True)
    assert beat is True and audited is None
    assert isinstance(refused, ValueError)
    assert await audit_kinds(store, "refused.") == ["refused.neighbour"]


async def test_results_go_back_to_the_loop_in_one_wake_up_per_batch(open_store) -> None:
    store = await open_store(writers=1)  # one writer, so holding it holds every batch
    loop = asyncio.get_running_loop()
    wakeups = 0
    original = loop.call_soon_threadsafe

    def counted(*args, **kwargs):
        nonlocal wakeups
        wakeups += 1
        return original(*args, **kwargs)

    release = await held_writer(store)
    tasks = [asyncio.ensure_future(store.append_audit(f"woken.{i}")) for i in range(30)]
    await queued(tasks, store, 30)
    loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
    try:
        release.set()
        await asyncio.gather(*tasks)
    finally:
        del loop.call_soon_threadsafe
    assert wakeups == 2  # the holding operation's batch, then the thirty together


@pytest.mark.sqlite_only
async def test_a_read_alone_opens_no_transaction(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bot.db")
    statements: list[str] = []
    try:
        await store._dispatch(lambda: store.db.conn.set_trace_callback(statements.append), kind="read")
        assert await store.thread_exists("web:nothing") is False
        assert await store.audit_log(5) == []
        await store._dispatch(lambda: store.db.conn.set_trace_callback(None), kind="read")
    finally:
        await store.close()
    assert statements and not any(sql.split()[0].upper() in ("BEGIN", "COMMIT") for sql in statements)


WRITER = textwrap.dedent("""
    import asyncio, sys
    sys.path.insert(0, {repo!r})
    from chatops.storage import Store

    async def client(store, n):
        i = 0
        while True:
            key = f"{{n}}-{{i}}"
            await store.append_audit("acked", detail={{"key": key}})
            print(key, flush=True)  # acknowledged: the commit returned
            i += 1

    async def main():
        store = await Store.open({path!r})
        await asyncio.gather(*(client(store, n) for n in range(20)))

    asyncio.run(main())
""")


@pytest.mark.sqlite_only
def test_kill_9_in_the_middle_of_batches_loses_nothing_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    script = WRITER.format(repo=str(REPO), path=str(path))
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    acknowledged: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            acknowledged.append(line.strip())
            if len(acknowledged) >= 2000:
                break
        os.kill(process.pid, signal.SIGKILL)  # while twenty clients keep batches in flight
        acknowledged += [line.strip() for line in process.stdout]  # acknowledged before the kill landed
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL

    with sqlite3.connect(path) as conn:
        stored = {row[0] for row in conn.execute("SELECT json_extract(detail, '$.key') FROM audit "
                                                 "WHERE kind = 'acked'")}
    assert len(acknowledged) >= 2000
    missing = [key for key in acknowledged if key not in stored]
    assert missing == []
