"""Fewer trips for a turn (issue 23, item 1), on both backends: what each shortcut still promises.

- a thread's ref is read from the database once per process, and a prune forgets it;
- a reply's thread view is read in the transaction that writes the pending events, after them;
- an operation's audit rows are written together at its end, and not at all when it fails;
- an answer is stored only by the run that holds the turn, checked and ended in one statement.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from datetime import timedelta
from typing import Any

import pytest

from chatops.adapters.http.events import ThreadEvents
from chatops.bot.model import Inbound, NoticeEvent, ThreadRef, UserRef, utcnow
from chatops.storage import Store

THREAD = ThreadRef(platform="web", channel="owner-1", thread="t1")
USER = UserRef(platform="web", id="u1", name="alice")


async def _audit_kinds(store: Store) -> list[str]:
    rows = await store._dispatch(lambda: store.db.execute("SELECT kind FROM audit ORDER BY id").fetchall(),
                                 kind="read")
    return [row[0] for row in rows]


def _count_audit_inserts(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every audit INSERT the store's connection runs from now on (the test reads the list later)."""
    seen: list[str] = []
    if store.url is None:
        store.db.conn.set_trace_callback(lambda sql: seen.append(sql) if "INSERT INTO audit" in sql else None)
    else:
        from chatops.storage.postgres import PgDatabase

        original = PgDatabase.execute

        def traced(self: PgDatabase, sql: str, params: Any = None) -> Any:
            if "INSERT INTO audit" in sql:
                seen.append(sql)
            return original(self, sql, params)

        monkeypatch.setattr(PgDatabase, "execute", traced)
    return seen


async def test_a_thread_ref_is_read_once_and_forgotten_by_a_prune(open_store: Any) -> None:
    store: Store = await open_store()
    assert await store.thread_ref(THREAD.id) is None  # unknown: never remembered
    await store.record_inbound(Inbound(event_id="e1", thread=THREAD, user=USER, text="hello"))
    assert await store.thread_ref(THREAD.id) == THREAD
    # the row is gone behind the store's back: the remembered ref still answers (its id is made of it)
    await store._dispatch(lambda: store.db.execute("DELETE FROM messages"), kind="write")
    await store._dispatch(lambda: store.db.execute("DELETE FROM threads"), kind="write")
    assert await store.thread_ref(THREAD.id) == THREAD
    # this process's own prune forgets every remembered ref
    await store.prune(utcnow() + timedelta(days=1))
    assert await store.thread_ref(THREAD.id) is None


async def test_a_remembered_thread_ref_costs_about_a_tuple_and_comes_back_whole(open_store: Any) -> None:
    """Issue 23: the 4,096-ref cache filled over a 30-minute soak at ~680 bytes a ref (a pydantic
    model each, with its dict, strings and fields-set): now it keeps where the id splits."""
    store: Store = await open_store()
    refs = [ThreadRef(platform="web", channel=f"owner:{n}", thread=f"t:{n}") for n in range(150)]
    refs += [ThreadRef(platform="slack", thread=f"th-{n}") for n in range(150)]
    for n, ref in enumerate(refs):
        await store.record_inbound(Inbound(event_id=f"e{n}", thread=ref, user=USER, text="hello"))
    ids = [ref.id for ref in refs]  # the keys, held by the caller before and after
    await store.thread_ref(THREAD.id)  # warm: the statement and its wrappers exist before measuring
    gc.collect()
    tracemalloc.start(1)
    try:
        before = tracemalloc.take_snapshot()
        for thread_id in ids:
            await store.thread_ref(thread_id)
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert grown / len(ids) < 250, f"{grown / len(ids):.0f} bytes a remembered ref"
    # remembered (the rows are gone), each comes back as the ref it was, colons in its parts or not
    await store._dispatch(lambda: store.db.execute("DELETE FROM messages"), kind="write")
    await store._dispatch(lambda: store.db.execute("DELETE FROM threads"), kind="write")
    assert [await store.thread_ref(thread_id) for thread_id in ids] == refs


async def test_a_reply_reads_its_view_with_the_pending_events_in_one_operation(open_store: Any) -> None:
    store: Store = await open_store()
    await store.record_inbound(Inbound(event_id="e1", thread=THREAD, user=USER, text="hello"))
    events = ThreadEvents(store=store)
    try:
        events.publish(THREAD.id, NoticeEvent(thread=THREAD.id, text="first"))
        events.publish(THREAD.id, NoticeEvent(thread=THREAD.id, text="second"))
        operations = store.batches.operations
        last_id, read = await events.view(THREAD.id, limit=10, with_alert=True)
        assert store.batches.operations == operations + 1  # the events and the view: one operation
        stored = await store.thread_events(THREAD.id, 0)
        assert [data for _, data in stored] == [NoticeEvent(thread=THREAD.id, text=t).model_dump_json()
                                                for t in ("first", "second")]
        assert last_id == str(stored[-1][0])  # the id handed out covers both, and the view was read after them
        assert read.missing is None and read.view is not None
        assert [m["text"] for m in read.view["messages"]] == ["hello"] and read.view["alert"] is None

        # a cursor naming no message of the thread is the view's own answer: the events still go in
        events.publish(THREAD.id, NoticeEvent(thread=THREAD.id, text="third"))
        last_id, read = await events.view(THREAD.id, before="m-nope")
        assert read.missing is not None and read.view is None
        assert len(await store.thread_events(THREAD.id, 0)) == 3
        assert last_id == str((await store.thread_events(THREAD.id, 0))[-1][0])

        # nothing pending and a thread this process never wrote to: the last id is read with the view
        other = ThreadEvents(store=store)
        last_id, read = await other.view(THREAD.id)
        assert last_id == str((await store.thread_events(THREAD.id, 0))[-1][0])
        assert read.view is not None
        await other.close()
        # no such thread: no view, no error
        _, read = await events.view("web:owner-1:missing")
        assert read.view is None and read.missing is None
    finally:
        await events.close()


async def test_concurrent_replies_each_get_their_own_view(open_store: Any) -> None:
    store: Store = await open_store()
    threads = [ThreadRef(platform="web", channel="o", thread=f"t{i}") for i in range(20)]
    for i, thread in enumerate(threads):
        await store.record_inbound(Inbound(event_id=f"e{i}", thread=thread, user=USER, text=f"hello {i}"))
    events = ThreadEvents(store=store)
    try:
        for thread in threads:
            events.publish(thread.id, NoticeEvent(thread=thread.id, text=f"for {thread.thread}"))
        answers = await asyncio.gather(*(events.view(thread.id, limit=5) for thread in threads))
        for i, (thread, (last_id, read)) in enumerate(zip(threads, answers, strict=True)):
            assert [m["text"] for m in read.view["messages"]] == [f"hello {i}"]
            [(event_id, _)] = await store.thread_events(thread.id, 0)
            assert last_id == str(event_id)
    finally:
        await events.close()


async def test_an_operations_audit_rows_are_one_insert_and_a_failed_operation_writes_none(
        open_store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    store: Store = await open_store()
    await store.register_process()
    seen = _count_audit_inserts(store, monkeypatch)
    message_id = await store.record_inbound(Inbound(event_id="e1", thread=THREAD, user=USER, text="hello"))
    await store.record_bot_message(THREAD, "not mine", ends_turn_of=message_id, claim="someone-else")
    assert len(seen) == 2  # one INSERT for each operation's row
    assert (await _audit_kinds(store))[-2:] == ["message.received", "answer.dropped"]

    def audits_then_fails() -> None:
        store._audit("first")
        store._audit("second")
        raise RuntimeError("the operation fails after auditing")

    before = await _audit_kinds(store)
    with pytest.raises(RuntimeError):
        await store._writer.submit(lambda: store._operation(lambda _self: audits_then_fails()), "write")
    assert await _audit_kinds(store) == before

    def audits_many() -> None:
        for i in range(250):  # more rows than one INSERT takes
            store._audit(f"row.{i}")

    inserts = len(seen)
    await store._writer.submit(lambda: store._operation(lambda _self: audits_many()), "write")
    assert len(seen) - inserts == 3  # 250 rows: three INSERTs of at most 100, not 250
    kinds = await _audit_kinds(store)
    assert kinds[len(before):] == [f"row.{i}" for i in range(250)]


async def test_an_answer_is_stored_only_by_the_run_holding_the_turn(open_store: Any) -> None:
    store: Store = await open_store()
    await store.register_process()
    message_id = await store.record_inbound(Inbound(event_id="e1", thread=THREAD, user=USER, text="hello"))
    assert message_id is not None
    # another run's claim: not this one's turn to answer, and nothing is stored
    assert await store.record_bot_message(THREAD, "not mine", ends_turn_of=message_id, claim="someone-else") is None
    view = await store.thread_view(THREAD.id)
    assert [m["role"] for m in view["messages"]] == ["user"]
    # the receiving run ('' claim) answers: stored, and its turn is over
    assert await store.record_bot_message(THREAD, "done", ends_turn_of=message_id, claim="") is not None
    assert not await store.holds_turn(message_id, "", 1)
    # a second answer to the ended turn is dropped
    assert await store.record_bot_message(THREAD, "again", ends_turn_of=message_id, claim="") is None
    view = await store.thread_view(THREAD.id)
    assert [m["text"] for m in view["messages"]] == ["hello", "done"]
    assert (await _audit_kinds(store)).count("answer.dropped") == 2
