"""How many times a turn goes to the store (issue 15, "one round trip per turn"), counted, not
timed: write transactions (`BEGIN` statements traced off the live SQLite connection) and operations
queued to the store's group-commit writer.

The bounds, one transaction per point where a turn must be durable before it goes on:
  * a `!command`: the message with its plan and its first step started, before the tool runs;
    then the step's outcome with the plan's end and the answer. 2.
  * a planned turn, the hub answering from the results: the message before the model is called
    (a crash during a slow model call must leave it to resume); the plan and its first step
    started before the tool runs; the outcome with the answer. 3.
  * a planned turn whose planner reviews the results: as above, but the outcome is stored before
    the second model call and the answer after it. 4.
Each trip to the store is one of those transactions (the history and earlier plans travel with
the message)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import ScriptedModel, reply

pytestmark = pytest.mark.sqlite_only  # counted with SQLite's statement trace


@dataclass
class Cost:
    transactions: int
    hops: int


async def cost_of(bot, work) -> Cost:
    """The write transactions and store trips `work` made."""
    store = bot.store
    statements: list[str] = []
    hops = 0
    writer = store._writer
    original = writer.submit

    async def counting(*args, **kwargs):
        nonlocal hops
        hops += 1
        return await original(*args, **kwargs)

    await store._dispatch(lambda: store.db.conn.set_trace_callback(statements.append), kind="read")
    writer.submit = counting
    try:
        await work()
    finally:
        writer.submit = original
        await store._dispatch(lambda: store.db.conn.set_trace_callback(None), kind="read")
    return Cost(transactions=sum(1 for sql in statements if sql.lstrip().upper().startswith("BEGIN")), hops=hops)


async def test_a_command_turn_is_two_transactions_and_two_trips(make_bot):
    bot = await make_bot(None)
    await bot.say("!ping host=db0", thread="cmd")  # the thread exists and has history

    cost = await cost_of(bot, lambda: bot.say("!ping host=db1", thread="cmd"))

    assert bot.of_type("answer")[-1].text == "Done:\n✓ ping: pong from db1"
    assert cost == Cost(transactions=2, hops=2)


async def test_a_planned_turn_answered_from_its_results_is_three_transactions(make_bot):
    model = ScriptedModel([reply({"tool": "ping", "args": {"host": "db1"}})])
    planner = model.planner()
    planner.reviews_results = False
    bot = await make_bot(planner)
    await bot.say("is db1 up?", thread="planned")  # history and an earlier plan to read

    cost = await cost_of(bot, lambda: bot.say("and now?", thread="planned"))

    assert bot.of_type("answer")[-1].text == "Done:\n✓ ping: pong from db1"
    assert "Earlier plans in this thread" in model.prompts[-1]  # read with the message
    assert cost == Cost(transactions=3, hops=3)


async def test_a_reviewed_planned_turn_is_four_transactions(make_bot):
    model = ScriptedModel([reply({"tool": "ping", "args": {"host": "db1"}}), reply(answer="db1 is up"),
                           reply({"tool": "ping", "args": {"host": "db1"}}), reply(answer="still up")])
    bot = await make_bot(model.planner())
    await bot.say("is db1 up?", thread="reviewed")

    cost = await cost_of(bot, lambda: bot.say("and now?", thread="reviewed"))

    assert bot.of_type("answer")[-1].text == "still up"
    assert "pong from db1" in model.prompts[-1]  # the results reached the planner without a read
    assert cost == Cost(transactions=4, hops=4)
