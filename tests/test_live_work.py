"""Live work belongs to the process running it (issue 12, failures 1 and 2): real SQLite files
shared by several hubs, each with its own connection and process identity, as several bot
processes would be. Crashes of a real `chatops run` are in `tests/test_crashes.py`."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading

import pytest

from chatops.bot.model import Inbound, PlanStatus, StepStatus, ThreadRef, UserRef
from chatops.tools import tool
from tests.conftest import Bot, ScriptedModel, both_backends, reply
from tests.polling import eventually

ALICE = UserRef(platform="console", id="alice", name="alice")


def gated_tool(release: asyncio.Event, started: asyncio.Event):
    @tool(risk="read")
    async def long_check(target: str = "db") -> str:
        """A check that runs until the test releases it."""
        started.set()
        await release.wait()
        return f"{target} is fine"

    return long_check


async def crash(bot: Bot) -> None:
    """What a crashed process leaves behind: its tasks stop and it never says goodbye (no
    `hub.stop`), so its heartbeat simply lapses."""
    for task in (bot.hub.lifecycle.keeper, bot.hub.lifecycle.sweeper):
        if task is not None:
            task.cancel()
    bot.hub.lifecycle.registered = False  # the fixture's teardown must not retire it cleanly either


async def step_status(bot: Bot, plan_id: str) -> StepStatus:
    plan = await bot.store.get_plan(plan_id)
    assert plan is not None
    return plan.steps[0].status


@both_backends
async def test_a_second_process_on_the_database_leaves_live_work_alone(make_bot):
    release, started = asyncio.Event(), asyncio.Event()
    first = await make_bot(None)
    first.hub.registry.add(gated_tool(release, started), source="test")
    turn = asyncio.create_task(first.say("!long_check target=db"))
    await started.wait()
    plan_id = first.of_type("plan")[0].id

    second = await make_bot(None)  # a second process on the same file, started mid-step
    assert await step_status(second, plan_id) is StepStatus.running
    third = await make_bot(None)  # and another one, stopped again while the step runs
    await third.hub.stop()
    assert await step_status(second, plan_id) is StepStatus.running

    release.set()
    await turn
    plan = await second.store.get_plan(plan_id)
    assert plan.status is PlanStatus.succeeded and plan.steps[0].status is StepStatus.succeeded
    assert plan.steps[0].result == "db is fine"
    assert first.of_type("answer")[-1].text.startswith("Done:")


@both_backends
async def test_work_of_a_process_that_stopped_heartbeating_is_interrupted_exactly_once(make_bot):
    release, started = asyncio.Event(), asyncio.Event()
    lease = {"storage": {"lease_seconds": 1}}
    first = await make_bot(None, **lease)
    first.hub.registry.add(gated_tool(release, started), source="test")
    turn = asyncio.create_task(first.say("!long_check target=db"))
    await started.wait()
    plan_id = first.of_type("plan")[0].id
    await crash(first)

    watchers = [await make_bot(None, **lease) for _ in range(3)]  # all of them notice
    await eventually(lambda: _is(watchers[0], plan_id, StepStatus.interrupted), what="the step interrupted")
    audit = await watchers[0].store.audit_log(500)
    step_id = (await watchers[0].store.get_plan(plan_id)).steps[0].id
    assert len([e for e in audit if e["step_id"] == step_id and e["kind"] == "step.interrupted"]) == 1
    assert (await watchers[0].store.get_plan(plan_id)).status is PlanStatus.interrupted

    release.set()  # the "dead" process's step ends late: its result must not overwrite the record
    await turn
    plan = await watchers[0].store.get_plan(plan_id)
    assert plan.steps[0].status is StepStatus.interrupted
    assert any(e["kind"] == "step.late_result" for e in await watchers[0].store.audit_log(500))


async def _is(bot: Bot, plan_id: str, status: StepStatus) -> bool:
    return await step_status(bot, plan_id) is status


@both_backends
async def test_a_turn_cut_short_while_planning_is_planned_again_by_the_next_process(make_bot):
    hang = asyncio.Event()
    calls: list[str] = []

    class HangingPlanner:
        reviews_results = False

        async def plan(self, request):
            calls.append(request.text)
            await hang.wait()

    lease = {"storage": {"lease_seconds": 1}}
    first = await make_bot(HangingPlanner(), **lease)
    inbound = Inbound(event_id="ev-1", thread=ThreadRef(platform="console", thread="crash"), user=ALICE,
                      text="is db1 up?")
    turn = asyncio.create_task(first.hub.handle(inbound))
    await eventually(lambda: calls, what="planning to start")
    await crash(first)
    turn.cancel()

    model = ScriptedModel([reply(answer="db1 is up")])
    second = await make_bot(model.planner(), **lease)
    await eventually(lambda: second.of_type("answer"), what="the resumed turn's answer")
    assert second.of_type("answer")[-1].text == "db1 is up"
    assert "is db1 up?" in model.prompts[0]
    history = await second.store.thread_history("console:crash")
    assert [(m["role"], m["text"]) for m in history] == [("user", "is db1 up?"), ("bot", "db1 is up")]


@both_backends
async def test_a_retried_delivery_after_a_crash_resumes_the_turn_instead_of_hiding_it(make_bot):
    hang = asyncio.Event()

    class HangingPlanner:
        reviews_results = False

        async def plan(self, request):
            await hang.wait()

    lease = {"storage": {"lease_seconds": 1}}
    first = await make_bot(HangingPlanner(), **lease)
    inbound = Inbound(event_id="idem-1", thread=ThreadRef(platform="console", thread="retry"), user=ALICE,
                      text="check db1")
    turn = asyncio.create_task(first.hub.handle(inbound))
    await eventually(lambda: first.store.thread_exists("console:retry"), what="the message stored")
    await crash(first)
    turn.cancel()

    model = ScriptedModel([reply(answer="db1 answers")])
    second = await make_bot(model.planner(), **lease)
    second.hub.lifecycle.keeper.cancel()  # only the retry may resume it here

    async def retried() -> bool:
        return await second.hub.handle(inbound)  # same delivery id: a client retry

    assert await eventually(retried, what="the retry to resume the turn")
    assert [e.text for e in second.of_type("answer")] == ["db1 answers"]
    assert not await second.hub.handle(inbound)  # the turn has ended: now it is a plain duplicate


@both_backends
async def test_a_crash_between_the_step_and_the_answer_still_answers(make_bot):
    # a reviewing planner has a window between the stored results and the answer (its second
    # model call); a `!command` has none: its step's outcome and its answer share a transaction
    lease = {"storage": {"lease_seconds": 1}}
    first = await make_bot(ScriptedModel([reply({"tool": "ping", "args": {"host": "db1"}})]).planner(), **lease)
    # the step finished and was stored; then the process died before the answer was stored
    original = first.hub.turns.after_round

    async def die_before_answering(plan, turn):
        await crash(first)
        raise asyncio.CancelledError

    first.hub.turns.after_round = die_before_answering
    with contextlib.suppress(asyncio.CancelledError):
        await first.say("is db1 up?", thread="window")
    first.hub.turns.after_round = original
    assert first.of_type("answer") == []
    plan = await first.store.get_plan(first.of_type("plan")[0].id)
    assert plan.status is PlanStatus.succeeded

    model = ScriptedModel([reply(answer="db1 answers from the stored results")])
    second = await make_bot(model.planner(), **lease)
    await eventually(lambda: second.of_type("answer"), what="the answer from the stored results")
    assert second.of_type("answer")[0].text == "db1 answers from the stored results"
    assert "pong from db1" in model.prompts[0]  # the stored result, handed to the planner
    assert second.calls.of("ping") == [] and first.calls.of("ping") == [{"host": "db1"}]  # not run again


@both_backends
async def test_a_command_stores_its_step_outcome_and_its_answer_together(make_bot):
    first = await make_bot(None)
    stored = []
    original = first.store.finish_round

    async def finish_then_look(*args, **kwargs):
        ended = await original(*args, **kwargs)
        stored.append(await first.store.thread_history("console:together"))
        return ended

    first.store.finish_round = finish_then_look
    await first.say("!ping host=db1", thread="together")
    # the moment the step's outcome is stored, so is the answer that ends the turn
    assert [m["role"] for m in stored[0]] == ["user", "bot"]
    assert await first.store.claim_orphaned_turns() == []


@both_backends
async def test_unfinished_turns_can_be_answered_with_a_notice_instead(make_bot):
    hang = asyncio.Event()

    class HangingPlanner:
        reviews_results = False

        async def plan(self, request):
            await hang.wait()

    settings = {"storage": {"lease_seconds": 1}, "agent": {"unfinished_turns": "notice"}}
    first = await make_bot(HangingPlanner(), **settings)
    turn = asyncio.create_task(first.say("restart the world", thread="noticed"))
    await eventually(lambda: first.store.thread_exists("console:noticed"), what="the message stored")
    await crash(first)
    turn.cancel()

    second = await make_bot(HangingPlanner(), **settings)
    answer = await eventually(lambda: second.of_type("answer"), what="the notice")
    assert "restarted before I could answer “restart the world”" in answer[0].text
    assert "Nothing was run" in answer[0].text


@both_backends
async def test_a_process_declared_stopped_carries_on_under_a_new_identity(make_bot):
    bot = await make_bot(None, storage={"lease_seconds": 1})
    old = bot.store.process_id
    # another process decided this one was dead (its heartbeat lapsed while its loop was blocked)
    await bot.store._dispatch(lambda: bot.store.db.execute(
        "UPDATE processes SET stopped_at = heartbeat_at WHERE id = ?", [old]) and bot.store.db.conn.commit())
    await eventually(lambda: bot.store.process_id != old, what="a new identity")
    await bot.say("!ping host=after")
    plan = await bot.store.get_plan(bot.of_type("plan")[-1].id)
    assert plan.status is PlanStatus.succeeded and bot.of_type("answer")[-1].text.startswith("Done:")


@pytest.mark.sqlite_only  # another process's SQLite write lock
async def test_a_write_waits_for_another_processs_transaction_instead_of_failing(make_bot):
    """Found by the chaos soak: a transaction that read before it wrote (sqlite-utils reads the
    schema inside `insert`) failed at once with "database is locked" when another process
    committed meanwhile. Every write transaction now takes the write lock first and waits."""
    bot = await make_bot(None)
    holding, release = threading.Event(), threading.Event()

    def other_process() -> None:
        conn = sqlite3.connect(str(bot.config.storage.path), timeout=30)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO events (platform, event_id, received_at) VALUES ('other', ?, '')",
                     [threading.get_ident() + len(bot.events)])
        holding.set()
        release.wait(10)
        conn.commit()
        conn.close()

    for _ in range(3):
        holding.clear()
        release.clear()
        other = threading.Thread(target=other_process)
        other.start()
        holding.wait(10)
        turn = asyncio.create_task(bot.say("!restart unit=web"))  # proposes a plan: an insert
        await asyncio.sleep(0.2)
        release.set()
        await turn
        other.join()
    assert len(bot.of_type("plan")) == 3
