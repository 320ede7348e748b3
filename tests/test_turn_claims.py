"""One message is planned once, even when one process runs its turn twice (issue 22, chaos run 2:
message "please write u220" got two round-1 plans, both approved and run).

What the run's database showed: process Q received the message and was starved past its lease;
process P claimed the turn and began planning it (resumption A); then P was starved in turn and
Q, awake again, claimed it back and proposed plan X; P, awake, took the approval of X (a decision
makes the decider the turn's owner) and waited for the thread behind resumption A; A finished
planning and proposed plan Y, and the store let it, because the turn's owner was P again. Both
plans were approved and the write ran twice. The owner is a process; two runs of one turn in one
process could not be told apart.

Here two hubs on one real database play P and Q, as in `tests/test_live_work.py`; the test plays
their heartbeats (written into `processes` as a starved machine would leave them) and holds P's
model call at a gate, so each claim happens exactly where it happened in the run.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from chatops.bot.model import Decision, Inbound, PlanStatus, ThreadRef, UserRef, utcnow
from chatops.storage.operations import ts
from tests.conftest import Bot, ScriptedModel, both_backends, reply

ALICE = UserRef(platform="console", id="alice", name="alice")
SETTINGS: dict[str, Any] = {"storage": {"lease_seconds": 60}}  # nothing lapses unless the test says so


class GatedPlanner:
    """A real planner whose first call waits at `gate` (P's model call, open while P starves)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.reviews_results = inner.reviews_results
        self.gate, self.waiting = asyncio.Event(), asyncio.Event()
        self.calls = 0

    async def plan(self, request: Any) -> Any:
        self.calls += 1
        if self.calls == 1:
            self.waiting.set()
            await self.gate.wait()
        return await self.inner.plan(request)


async def heartbeat(bot: Bot, process_id: str, *, lapsed: bool) -> None:
    """Write a process's heartbeat as a starved (lapsed) or an awake one would leave it."""
    at = ts(utcnow() - timedelta(seconds=600)) if lapsed else ts(utcnow())
    await bot.store._dispatch(lambda: bot.store.db.execute(
        "UPDATE processes SET heartbeat_at = ? WHERE id = ?", [at, process_id]) and bot.store.db.conn.commit())


async def two_claims(make_bot: Any, p_replies: list[dict], thread: str) -> tuple[Bot, Bot, GatedPlanner, str, str]:
    """Q receives a write request and starves; P claims the turn and plans (held at the gate);
    P starves and Q claims it back and proposes plan X; P wakes and wins the approval of X, whose
    run waits for the thread behind P's resumption. Returns (P, Q, P's planner, message id, X's id)."""
    q = await make_bot(ScriptedModel([reply({"tool": "restart", "args": {"unit": "u220"}}, goal="write u220"),
                                      reply(answer="u220 restarted (Q)")]).planner(), **SETTINGS)
    gated = GatedPlanner(ScriptedModel(p_replies).planner())
    p = await make_bot(gated, **SETTINGS)
    for bot in (p, q):
        bot.hub.lifecycle.keeper.cancel()  # the test plays the heartbeats
    inbound = Inbound(event_id=f"chaos-{thread}", thread=ThreadRef(platform="console", thread=thread), user=ALICE,
                      text="please write u220")
    message_id = await q.store.record_inbound(inbound)  # Q received it; then Q starved before planning it
    assert message_id is not None

    await heartbeat(p, q.store.process_id, lapsed=True)
    await p.hub.lifecycle._resume_orphaned_turns()  # P claims the turn: resumption A plans...
    await asyncio.wait_for(gated.waiting.wait(), 10)  # ...and its model call is open

    await heartbeat(q, q.store.process_id, lapsed=False)  # Q wakes, P starves
    await heartbeat(q, p.store.process_id, lapsed=True)
    await q.hub.lifecycle._resume_orphaned_turns()  # Q claims it back and proposes plan X
    await asyncio.wait_for(q.hub.settle_resumed(), 10)
    shown = q.of_type("plan")
    assert len(shown) == 1 and shown[0].status is PlanStatus.proposed
    plan_x = shown[0].id

    await heartbeat(p, p.store.process_id, lapsed=False)  # P wakes and takes the approval of X
    decided, run = await p.hub.begin_decision(Decision(plan_id=plan_x, approve=True, user=ALICE, source="test"))
    assert decided.accepted
    p.runs = run  # type: ignore[attr-defined]
    return p, q, gated, message_id, plan_x


async def approve_every_card(*bots: Bot) -> None:
    """An eager approver: every card still waiting, on any process, is approved."""
    for bot in bots:
        for event in list(bot.of_type("plan")):
            plan = await bot.store.get_plan(event.id)
            if plan is not None and plan.status is PlanStatus.proposed:
                await bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=ALICE, source="test"))


@both_backends
async def test_a_stale_resumption_does_not_plan_a_message_again_once_its_process_took_the_turn_back(make_bot):
    p, q, gated, message_id, plan_x = await two_claims(
        make_bot, [reply({"tool": "restart", "args": {"unit": "u220"}}, goal="write u220"),
                   reply(answer="u220 restarted (P)")], thread="u220")
    gated.gate.set()  # resumption A's model call returns: it proposes its plan...
    await asyncio.wait_for(p.hub.settle_resumed(), 10)
    await asyncio.wait_for(p.runs, 10)  # ...and X runs once A has left the thread
    await approve_every_card(p, q)
    await asyncio.wait_for(p.hub.settle_resumed(), 10)

    plans = await p.store.plans_for_message(message_id)
    assert [plan.id for plan in plans] == [plan_x], "one request, one plan"
    assert p.calls.of("restart") + q.calls.of("restart") == [{"unit": "u220"}], "the write ran once"
    assert [event.id for event in p.of_type("plan")] == [plan_x] * len(p.of_type("plan"))  # no second card shown
    dropped = [e for e in await p.store.audit_log(500) if e["kind"] == "plan.dropped"]
    assert [e["detail"]["message_id"] for e in dropped] == [message_id]
    history = await p.store.thread_history("console:u220")
    assert [m["text"] for m in history if m["role"] == "bot"] == ["u220 restarted (P)"]


@both_backends
async def test_a_stale_resumption_does_not_answer_a_turn_its_process_took_back_by_a_decision(make_bot):
    # the claim alone, without a second plan: the stale run's model answers instead of planning
    p, q, gated, message_id, plan_x = await two_claims(
        make_bot, [reply(answer="nothing to do (stale)"), reply(answer="u220 restarted (P)")], thread="u220b")
    gated.gate.set()
    await asyncio.wait_for(p.hub.settle_resumed(), 10)
    await asyncio.wait_for(p.runs, 10)

    history = await p.store.thread_history("console:u220b")
    assert [m["text"] for m in history if m["role"] == "bot"] == ["u220 restarted (P)"]
    assert [e.text for e in p.of_type("answer")] == ["u220 restarted (P)"]
    assert p.calls.of("restart") == [{"unit": "u220"}] and q.calls.of("restart") == []
    assert [plan.id for plan in await p.store.plans_for_message(message_id)] == [plan_x]


@both_backends
async def test_a_retried_delivery_during_a_resumption_in_the_same_process_plans_the_message_once(make_bot):
    # the first guess at the run: a client retry of the same delivery id reaching the process that
    # is resuming the turn, while that process's own heartbeat looks lapsed (so its claim could
    # succeed). The retry waits for the thread behind the resumption, then finds a plan waiting
    # for a decision: a plain duplicate, nothing planned again (it passes on main too: this road
    # was closed already; it guards it)
    gated = GatedPlanner(ScriptedModel([reply({"tool": "restart", "args": {"unit": "u7"}}, goal="write u7"),
                                        reply(answer="u7 restarted")]).planner())
    q = await make_bot(None, **SETTINGS)
    p = await make_bot(gated, **SETTINGS)
    for bot in (p, q):
        bot.hub.lifecycle.keeper.cancel()
    inbound = Inbound(event_id="idem-u7", thread=ThreadRef(platform="console", thread="u7"), user=ALICE,
                      text="please write u7")
    message_id = await q.store.record_inbound(inbound)
    await heartbeat(p, q.store.process_id, lapsed=True)
    await p.hub.lifecycle._resume_orphaned_turns()
    await asyncio.wait_for(gated.waiting.wait(), 10)

    await heartbeat(p, p.store.process_id, lapsed=True)  # P's own heartbeat looks lapsed...
    retry = asyncio.create_task(p.hub.handle(inbound))  # ...when the client retries the same delivery
    gated.gate.set()
    assert await asyncio.wait_for(retry, 10) is False  # a duplicate: the turn has its plan
    await heartbeat(p, p.store.process_id, lapsed=False)
    await asyncio.wait_for(p.hub.settle_resumed(), 10)
    await approve_every_card(p)

    plans = await p.store.plans_for_message(message_id)
    assert len(plans) == 1 and plans[0].status is PlanStatus.succeeded
    assert p.calls.of("restart") == [{"unit": "u7"}]
    history = await p.store.thread_history("console:u7")
    assert [m["text"] for m in history if m["role"] == "bot"] == ["u7 restarted"]
