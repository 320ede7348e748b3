"""A turn's thread lease rides on the turn's own transactions: taken by the one that stores the
message, given up by the one that stores the answer (issue 23: transactions per turn on
PostgreSQL). On both backends, with two stores on one database as two replicas have."""

from __future__ import annotations

import asyncio
from pathlib import Path

from chatops.bot.hub import Hub
from chatops.bot.model import AnswerEvent, Inbound, ThreadRef, UserRef
from chatops.tools.registry import ToolRegistry
from tests.conftest import Calls, make_config, scripted_tools

THREAD = ThreadRef(platform="console", thread="leased")


def inbound(event_id: str, text: str = "!ping host=db1") -> Inbound:
    return Inbound(event_id=event_id, thread=THREAD, user=UserRef(platform="console", id="alice", name="alice"),
                   text=text)


async def replica(open_store, tmp_path: Path) -> tuple[Hub, list, Calls]:
    store = await open_store(thread_leases=True, lease_seconds=30)
    await store.register_process()
    calls = Calls()
    hub = Hub(config=make_config(tmp_path), store=store, registry=ToolRegistry(scripted_tools(calls)),
              planner=None, sweep_interval=3600)
    answers: list[str] = []

    async def collect(thread: ThreadRef, event) -> None:
        if isinstance(event, AnswerEvent):
            answers.append(event.text)

    hub.add_sink(collect)
    return hub, answers, calls


async def test_a_command_turn_takes_and_gives_up_its_lease_in_its_two_transactions(open_store, tmp_path):
    hub, answers, calls = await replica(open_store, tmp_path)
    other = await open_store(thread_leases=True)
    await other.register_process()
    before = hub.store.batches.operations
    assert await hub.handle(inbound("e1"))
    # the message, plan and started step with the lease; the step's end and answer with its release
    assert hub.store.batches.operations - before == 2
    assert calls.of("ping") == [{"host": "db1"}] and len(answers) == 1
    assert await other.take_thread_lease(THREAD.id)  # given up with the answer: free for another replica
    await other.release_thread_lease(THREAD.id)


async def test_a_turn_waits_while_another_replica_holds_the_thread_and_stores_nothing_meanwhile(open_store, tmp_path):
    hub, answers, calls = await replica(open_store, tmp_path)
    other = await open_store(thread_leases=True)
    await other.register_process()
    assert await other.take_thread_lease(THREAD.id)
    turn = asyncio.create_task(hub.handle(inbound("e2")))
    await asyncio.sleep(0.5)
    assert not turn.done()
    assert await hub.store.thread_history(THREAD.id) == []  # the receiving transaction stored nothing
    assert calls.made == []
    await other.release_thread_lease(THREAD.id)
    assert await asyncio.wait_for(turn, 10)
    assert calls.of("ping") == [{"host": "db1"}] and len(answers) == 1
    assert [m["role"] for m in await hub.store.thread_history(THREAD.id)] == ["user", "bot"]
    assert await other.take_thread_lease(THREAD.id)


async def test_a_plan_left_waiting_for_approval_still_gives_the_thread_up_when_its_turn_ends(open_store, tmp_path):
    hub, answers, calls = await replica(open_store, tmp_path)
    other = await open_store(thread_leases=True)
    await other.register_process()
    assert await hub.handle(inbound("e3", "!restart unit=web"))  # a write: proposed, not run, no answer yet
    assert calls.made == [] and answers == []
    assert await other.take_thread_lease(THREAD.id)  # released on leaving the turn, not held until a decision


async def test_a_duplicate_delivery_holds_no_lease_afterwards(open_store, tmp_path):
    hub, answers, _ = await replica(open_store, tmp_path)
    other = await open_store(thread_leases=True)
    await other.register_process()
    assert await hub.handle(inbound("e4"))
    assert not await hub.handle(inbound("e4"))  # dropped: the lease its receive took is given back on leaving
    assert len(answers) == 1
    assert await other.take_thread_lease(THREAD.id)
