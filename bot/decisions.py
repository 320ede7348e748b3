"""Decisions on proposed plans: approve, deny, withdraw when a tool changed, expire.

A decision (a button, a prompt, an API call) is checked against the policy, settled by one
conditional UPDATE in the store (so of two concurrent clicks exactly one wins, without the
thread's lock), announced at once, and only then runs the approved plan behind the thread's lock
through the turn (`bot.turn`), which answers from the results. A plan nobody decides on expires
after `agent.approval_ttl`; the sweep that expires it runs here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from chatops.bot.agent.policy import Verdict
from chatops.bot.faults import StorageUnavailable
from chatops.bot.model import (
    END_OF_INPUT,
    Decision,
    DecisionEvent,
    Plan,
    PlanEvent,
    PlanStatus,
    StepStatus,
    ThreadRef,
    UserRef,
)
from chatops.bot.text import duration_words
from chatops.bot.turn import Turn

if TYPE_CHECKING:
    from chatops.bot.hub import Hub

log = logging.getLogger("chatops.hub")

NO_ANSWER = "no answer (end of input)"
# who withdraws a plan whose tool changed after it was proposed (the record's decider)
WITHDRAWN_BY = UserRef(platform="chatops", id="reload", name="chatops (a tool changed)")


class Decisions:
    """Approvals, denials and expiry of the plans the turn proposed."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def decide(self, decision: Decision, *,
                     on_decided: Callable[[DecisionEvent], None] | None = None) -> DecisionEvent:
        """Apply an approval or denial (see `Hub.decide`)."""
        hub = self.hub

        def settled(event: DecisionEvent) -> DecisionEvent:
            if on_decided is not None:
                on_decided(event)
            return event

        verdict_word = "approve" if decision.approve else "deny"
        plan = await hub.store.get_plan(decision.plan_id)
        turn_facts = await hub.store.turn_of(decision.plan_id) if plan else None
        if plan is None or turn_facts is None:
            await hub.store.record_refused_decision(decision, "no such plan")
            return settled(DecisionEvent(thread="", plan_id=decision.plan_id, decision=verdict_word,
                                         by=decision.user.label(), accepted=False, reason="no such plan"))
        thread, message_id, text = turn_facts
        decision, verdict = self._vetted(decision, plan)
        if not verdict.allowed:
            await hub.store.record_refused_decision(decision, verdict.reason)
            event = DecisionEvent(thread=thread.id, plan_id=plan.id, decision=verdict_word,
                                  by=decision.user.label(), accepted=False, reason=verdict.reason,
                                  plan_status=plan.status)
            await hub.emit(thread, event)
            return settled(event)
        if decision.approve and plan.status is PlanStatus.proposed and \
                (changed := hub.pinned.changed(plan, hub.registry)):
            return settled(await self._withdraw(plan, decision, thread, message_id, changed))
        try:
            # the conditional UPDATE picks the one winner without the thread's lock, so a losing
            # click is answered at once instead of after the winner's steps have run
            won, reason = await hub.store.decide(decision)
            if not won and reason == "the plan has expired":
                await self.expire_due()
            plan = await hub.store.get_plan(plan.id)
            assert plan is not None
            by = NO_ANSWER if decision.source == END_OF_INPUT else decision.user.label()
            numbers = ([n for n, step in enumerate(plan.steps, 1) if step.id in set(decision.steps)]
                       if won and decision.steps is not None else None)
            event = DecisionEvent(thread=thread.id, plan_id=plan.id, decision=verdict_word,
                                  by=by, accepted=won, reason=reason, plan_status=plan.status, steps=numbers)
            await hub.emit(thread, event)
            settled(event)
            if won:
                # the approved definitions are kept however long the run waits for the thread's current turn
                with hub.pinned.holding(plan):
                    async with hub.locks.hold(thread.id):
                        await self._carry_out(decision, plan, thread, message_id, text)
        except StorageUnavailable:
            # from the decision on, a storage fault may leave this live process owning the turn: a
            # decision whose commit the server kept while the connection died with it ("consuming
            # input failed"; a 30-minute PostgreSQL soak at 90d24e5) raises here, before any step
            # ran, and no sweep takes a live process's work. Its work in the thread is given up at
            # the next heartbeat that reaches the database, and the sweep answers the turn as
            # after a crash; when nothing was committed there is nothing of the plan's to give up
            hub.lifecycle.cut_short(thread.id)
            raise
        return event

    def _vetted(self, decision: Decision, plan: Plan) -> tuple[Decision, Verdict]:
        """The policy's verdict, and the decision narrowed to the plan's waiting steps it names
        (all of them: the whole plan)."""
        verdict = self.hub.policy.may_decide(decision.user, plan, approve=decision.approve)
        waiting = [step.id for step in plan.steps if step.status is StepStatus.proposed]
        if verdict.allowed and decision.approve and decision.steps is not None and plan.status is PlanStatus.proposed:
            chosen = [step_id for step_id in waiting if step_id in set(decision.steps)]
            if not chosen or len(chosen) != len(set(decision.steps)):
                verdict = Verdict(False, "choose at least one of the plan's waiting steps")
            elif len(chosen) == len(waiting):
                decision = decision.model_copy(update={"steps": None})  # every step: the whole plan
            else:
                decision = decision.model_copy(update={"steps": chosen})
        return decision, verdict

    async def _carry_out(self, decision: Decision, plan: Plan, thread: ThreadRef, message_id: str,
                         text: str) -> None:
        """What a won decision leads to (the caller holds the thread's lock): the approved plan
        runs through the turn; a denial ends the turn with an answer that says who and why."""
        hub = self.hub
        turns = hub.turns
        if decision.approve:
            history = await hub.store.thread_history(thread.id, limit=21)
            # the decision took the turn under the plan's id (`Store.decide`): this run's claim
            turn = Turn(thread=thread, requester=plan.requester or decision.user, text=text,
                        message_id=message_id, history=history, claim=plan.id)
            await turns.run_plan(plan, turn)
        elif decision.source == END_OF_INPUT:
            await turns.answer(thread, "Not approved: no answer (end of input). Nothing was changed.",
                               plan_id=plan.id, ends_turn_of=message_id, claim=plan.id)
        else:
            why = f" Reason: “{decision.note.strip()}”" if decision.note.strip() else ""
            await turns.answer(thread, f"Denied by {decision.user.label()}: nothing was changed.{why}",
                               plan_id=plan.id, ends_turn_of=message_id, claim=plan.id)

    async def _withdraw(self, plan: Plan, decision: Decision, thread: ThreadRef, message_id: str,
                        changed: list[str]) -> DecisionEvent:
        """Refuse an approval whose tool changed since the plan was proposed, and withdraw the
        plan (denied by the bot, so its card loses its buttons and says so, and no later click
        can approve it), ending its turn with an answer that says what changed."""
        hub = self.hub
        reason = changed[0]
        await hub.store.record_refused_decision(decision, reason)
        event = DecisionEvent(thread=thread.id, plan_id=plan.id, decision="approve", by=decision.user.label(),
                              accepted=False, reason=reason, plan_status=plan.status)
        won, _ = await hub.store.decide(Decision(plan_id=plan.id, approve=False, user=WITHDRAWN_BY,
                                                 source="tool-changed"))
        if won:
            withdrawn = await hub.store.get_plan(plan.id)
            event.plan_status = withdrawn.status if withdrawn else plan.status
            await hub.emit(thread, event)
            if withdrawn is not None:
                await hub.emit(thread, PlanEvent.of(withdrawn))
            async with hub.locks.hold(thread.id):
                await hub.turns.answer(thread, f"Not run: {'; '.join(changed)}.", plan_id=plan.id,
                                       ends_turn_of=message_id, claim=plan.id)
        else:
            await hub.emit(thread, event)
        return event

    async def begin_decision(self, decision: Decision) -> tuple[DecisionEvent, asyncio.Task[DecisionEvent]]:
        """Start `decide` and return as soon as the decision is settled, with the task that goes on
        to run an approved plan: a button ack or an HTTP answer need not wait for the steps."""
        decided: asyncio.Future[DecisionEvent] = asyncio.get_running_loop().create_future()

        def settle(event: DecisionEvent) -> None:
            if not decided.done():
                decided.set_result(event)

        run = asyncio.create_task(self.hub.decide(decision, on_decided=settle),
                                  name=f"chatops-decide-{decision.plan_id}")
        await asyncio.wait({run, decided}, return_when=asyncio.FIRST_COMPLETED)
        if not decided.done():
            return run.result(), run  # `decide` failed before settling: its exception surfaces here
        return decided.result(), run

    # --- expiry ------------------------------------------------------------------------------------

    async def expire_due(self) -> list[str]:
        """Expire the plans whose approval time ran out; show each and say so in its thread."""
        hub = self.hub
        expired = await hub.store.expire_due()
        for plan_id in expired:
            plan = await hub.store.get_plan(plan_id)
            thread = await hub.store.thread_ref(plan.thread_id) if plan else None
            if plan is None or thread is None:
                continue
            await hub.emit(thread, PlanEvent.of(plan))
            await hub.notice(thread, f"The plan “{plan.goal}” expired after "
                                     f"{duration_words(hub.config.agent.approval_ttl)} without a decision; "
                                     "nothing that needed approval was run.", "warning")
        return expired

    async def sweep(self, interval: float) -> None:
        """Expire due plans every `interval` seconds, for as long as the process runs."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.expire_due()
            except Exception:
                log.exception("the expiry sweep failed")


