"""Storage on a real SQLite file and a real PostgreSQL server (every test that takes `store` or
`open_store` runs on both): migrations of older files, atomic transitions, the audit log."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta

import psycopg
import pytest
import sqlite_utils

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
from chatops.bot.states import PLAN_TRANSITIONS, STEP_TRANSITIONS
from chatops.storage import Store
from chatops.storage.migrations import SCHEMA_VERSION, migrate, schema_version

ALICE = UserRef(platform="console", id="alice", name="alice")
THREAD = ThreadRef(platform="console", thread="t1")


def inbound(event_id: str = "e1", text: str = "hello") -> Inbound:
    return Inbound(event_id=event_id, thread=THREAD, user=ALICE, text=text)


async def proposed_plan(store: Store, *risks: Risk, ttl: float = 60) -> Plan:
    message_id = await store.record_inbound(inbound(f"e-{utcnow().timestamp()}"))
    plan = Plan(goal="g", thread_id=THREAD.id, requester=ALICE,
                steps=[Step(tool=f"tool{i}", args={"i": i}, risk=risk) for i, risk in enumerate(risks)])
    return await store.propose_plan(plan, message_id=message_id, ttl_seconds=ttl)


@pytest.fixture
async def store(open_store):
    return await open_store()


async def test_a_file_from_the_first_release_is_migrated_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    migrate(db, target=1)  # what the first release wrote
    db["threads"].insert({"id": "console:old", "platform": "console", "channel": "", "external_id": "old",
                          "title": "old", "created_at": "2026-01-01T00:00:00.000000+00:00",
                          "updated_at": "2026-01-01T00:00:00.000000+00:00"})
    db["messages"].insert({"id": "m-1", "thread_id": "console:old", "role": "user", "platform": "console",
                           "user_id": "alice", "user_name": "alice", "text": "hi", "perceived_text": "hi",
                           "attachments": "[]", "created_at": "2026-01-01T00:00:00.000000+00:00"})
    db.conn.commit()
    assert "summary" not in db["steps"].columns_dict
    db.close()

    store = await Store.open(path)
    try:
        assert await store._dispatch(schema_version, store.db) == SCHEMA_VERSION
        columns = await store._dispatch(lambda: (store.db["steps"].columns_dict, store.db["decisions"].columns_dict))
        assert {"summary", "outcome"} <= set(columns[0]) and "source" in columns[1]
        history = await store.thread_history("console:old")
        assert [(m["role"], m["text"]) for m in history] == [("user", "hi")]
        mode = await store._dispatch(lambda: store.db.execute("PRAGMA journal_mode").fetchone()[0])
        assert mode == "wal"
    finally:
        await store.close()


async def test_a_file_from_a_newer_release_is_refused(tmp_path):
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this release"):
        await Store.open(path)


async def test_repeated_events_are_recorded_once(store):
    assert await store.record_inbound(inbound("Ev1")) is not None
    assert await store.record_inbound(inbound("Ev1")) is None
    assert len(await store.thread_history(THREAD.id)) == 1


async def test_read_steps_are_approved_by_policy_and_gated_steps_wait(store):
    plan = await proposed_plan(store, Risk.read, Risk.write)
    assert plan.status is PlanStatus.proposed
    assert [s.status for s in plan.steps] == [StepStatus.approved, StepStatus.proposed]
    only_reads = await proposed_plan(store, Risk.read)
    assert only_reads.status is PlanStatus.approved


async def test_concurrent_decisions_from_two_connections_have_one_winner(open_store):
    stores = [await open_store() for _ in range(4)]
    plan = await proposed_plan(stores[0], Risk.write)
    outcomes = await asyncio.gather(*(
        store.decide(Decision(plan_id=plan.id, approve=index % 2 == 0, user=ALICE))
        for index, store in enumerate(stores)
    ))
    assert sum(won for won, _ in outcomes) == 1
    losers = [reason for won, reason in outcomes if not won]
    assert all(reason.startswith("the plan is already") for reason in losers)
    decisions = await stores[0]._dispatch(
        lambda: stores[0].db.execute("SELECT accepted FROM decisions WHERE plan_id = ?", [plan.id]).fetchall())
    assert sorted(row[0] for row in decisions) == [0, 0, 0, 1]


async def test_a_step_starts_once_and_finishes_once(store):
    plan = await proposed_plan(store, Risk.read)
    step_id = plan.steps[0].id
    assert await asyncio.gather(store.start_step(step_id), store.start_step(step_id)) in ([True, False], [False, True])
    assert await store.finish_step(step_id, StepResult(ok=True, result={"x": 1}, summary="fine", duration_ms=3))
    assert not await store.finish_step(step_id, StepResult(ok=False, error="late"))
    stored = (await store.get_plan(plan.id)).steps[0]
    assert stored.status is StepStatus.succeeded and stored.result == {"x": 1} and stored.summary == "fine"


async def test_expiry_and_a_late_decision_cannot_both_win(store):
    plan = await proposed_plan(store, Risk.write, ttl=60)
    later = utcnow() + timedelta(seconds=120)
    assert await store.expire_due(later) == [plan.id]
    won, reason = await store.decide(Decision(plan_id=plan.id, approve=True, user=ALICE))
    assert not won and reason == "the plan is already expired"


async def test_illegal_plan_transitions_are_refused(store):
    plan = await proposed_plan(store, Risk.read)
    with pytest.raises(ValueError, match="cannot move from succeeded"):
        await store.transition_plan(plan.id, (PlanStatus.succeeded,), PlanStatus.running)


def test_terminal_states_have_no_way_out():
    for status in (StepStatus.succeeded, StepStatus.failed, StepStatus.denied, StepStatus.expired,
                   StepStatus.interrupted, StepStatus.skipped):
        assert STEP_TRANSITIONS[status] == frozenset()
    assert PlanStatus.running not in PLAN_TRANSITIONS[PlanStatus.proposed]  # never run undecided
    assert set(STEP_TRANSITIONS) == set(StepStatus) and set(PLAN_TRANSITIONS) == set(PlanStatus)


async def test_the_audit_log_is_append_only(store):
    await store.append_audit("test.entry", actor="console:alice", detail={"k": "v"})
    refused = (sqlite3.IntegrityError, psycopg.errors.RaiseException)
    with pytest.raises(refused, match="append-only"):
        await store._dispatch(lambda: store.db.execute("UPDATE audit SET kind = 'forged'"))
    with pytest.raises(refused, match="append-only"):
        await store._dispatch(lambda: store.db.execute("DELETE FROM audit"))
    entries = await store.audit_log(10)
    assert entries[-1]["kind"] == "test.entry" and entries[-1]["detail"] == {"k": "v"}


async def test_both_dispatch_modes_keep_the_event_loop_free(tmp_path):
    for dispatch in ("writer_thread", "to_thread"):
        store = await Store.open(tmp_path / f"{dispatch}.db", dispatch=dispatch)
        try:
            results = await asyncio.gather(*(store.record_inbound(inbound(f"{dispatch}-{i}")) for i in range(50)))
            assert len(set(results)) == 50
        finally:
            await store.close()


async def test_receive_records_once_and_returns_the_history_before_the_message(store):
    first, history = await store.receive(inbound("r1", "first"))
    assert first is not None and history == []
    second, history = await store.receive(inbound("r2", "second"))
    assert second is not None and [m["text"] for m in history] == ["first"]
    assert await store.receive(inbound("r2", "second")) == (None, [])


async def test_a_plan_needing_no_decision_can_start_as_it_is_proposed(store):
    message_id = await store.record_inbound(inbound("s1"))
    reads = Plan(goal="g", thread_id=THREAD.id, requester=ALICE, steps=[Step(tool="t", risk=Risk.read)])
    gated = Plan(goal="g", thread_id=THREAD.id, requester=ALICE, steps=[Step(tool="t", risk=Risk.write)])
    started = await store.propose_plan(reads, message_id=message_id, ttl_seconds=60, start=True)
    waiting = await store.propose_plan(gated, message_id=message_id, ttl_seconds=60, start=True)
    assert started.status is PlanStatus.running and (await store.get_plan(started.id)).status is PlanStatus.running
    assert waiting.status is PlanStatus.proposed  # a plan that needs a decision never starts by itself
    kinds = [e["kind"] for e in await store.audit_log(20) if e["plan_id"] == started.id]
    assert kinds == ["plan.proposed", "plan.running"]


async def test_the_read_models_page_and_filter_alike_on_both_backends(store):
    """The views hold what the dialects spell differently: insertion order on ties (`rowid`),
    the JSON of a plan's requester and tools, case-insensitive matching of id suffixes."""
    for index in range(7):
        message_id = await store.record_inbound(inbound(f"page-{index}", f"message {index}"))
        if index == 6:
            plan = Plan(goal="g", thread_id=THREAD.id, requester=ALICE,
                        steps=[Step(tool="ping", args={"host": "web"}, risk=Risk.read),
                               Step(tool="restart", args={"unit": "web"}, risk=Risk.write)])
            plan = await store.propose_plan(plan, message_id=message_id, ttl_seconds=60)
            assert await store.start_step(plan.steps[0].id)
            await store.finish_step(plan.steps[0].id, StepResult(ok=True, result={"up": True}, summary="up",
                                                                 duration_ms=1))

    newest = await store.thread_view(THREAD.id, limit=3)
    assert [m["text"] for m in newest["messages"]] == ["message 4", "message 5", "message 6"]
    assert newest["has_more"] and [p["id"] for p in newest["plans"]] == [plan.id]
    older = await store.thread_view(THREAD.id, limit=3, before=newest["next_before"])
    assert [m["text"] for m in older["messages"]] == ["message 1", "message 2", "message 3"]
    oldest = await store.thread_view(THREAD.id, limit=3, before=older["next_before"])
    assert [m["text"] for m in oldest["messages"]] == ["message 0"] and not oldest["has_more"]
    listed = await store.list_threads(platform="console")
    assert [(t["id"], t["title"]) for t in listed] == [(THREAD.id, "message 0")]

    by_user = await store.audit_log(100, user="ALICE")  # a last part, any case
    assert {"message.received", "plan.proposed"} <= {e["kind"] for e in by_user}
    proposed = (await store.audit_log(100, kind="plan", tool="restart"))[0]
    assert proposed["plan_tools"] == [{"tool": "ping", "args": {"host": "web"}},
                                      {"tool": "restart", "args": {"unit": "web"}}]
    steps = await store.audit_log(100, kind="step", thread="t1")
    assert [(e["kind"], e["tool"], e["args"]) for e in steps] == [
        ("step.started", "ping", {"host": "web"}), ("step.succeeded", "ping", {"host": "web"})]
