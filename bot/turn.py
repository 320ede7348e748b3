"""One turn of the conversation, top to bottom: receive → perceive → plan → review → run → answer.

`Turns.handle` is the whole story of one inbound message. It drops retried deliveries and stores
the message (the `!command` fast path stores its plan in the same transaction), turns the
attachments into text, asks the planner (or parses the command), reviews the plan the way every
plan is reviewed (risk from the registry, provenance, the policy, the rate limit), proposes it,
runs what may run now, and answers from the results or hands them back to the planner for
another round, within `agent.max_rounds`. What waits for a decision is resumed by
`bot.decisions`; what a crash cut short, by `bot.lifecycle`. The shared objects (store, registry,
policy, sinks) are the `Hub`'s, read through it on every use, so a reload's swap is seen at once.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chatops.bot.agent import context_defaults
from chatops.bot.agent.answers import summarize, summarize_steps
from chatops.bot.agent.commands import is_command, is_reload_command, is_report_command, parse_command
from chatops.bot.agent.planning import PlannerError, PlanRequest
from chatops.bot.agent.provenance import turn_sources
from chatops.bot.agent.tool_filter import relevant_tools
from chatops.bot.alerts import ALERT_PLATFORM
from chatops.bot.model import (
    Answer,
    AnswerEvent,
    Inbound,
    Plan,
    PlanEvent,
    PlanStatus,
    Risk,
    Step,
    StepEvent,
    StepResult,
    StepStatus,
    ThreadRef,
    UserRef,
)
from chatops.bot.next_steps import follow_ups
from chatops.bot.perception.pipeline import Perceiver
from chatops.bot.thread_context import context_values
from chatops.bot.thread_locks import TurnLease, turn_lease
from chatops.storage.store import THREAD_BUSY, RoundAnswer, RoundEnd, ThreadBusy
from chatops.tools.context import ToolContext
from chatops.tools.registry import ToolArgumentError, ToolRegistry, ToolSpec

if TYPE_CHECKING:
    from chatops.bot.agent.review import Review
    from chatops.bot.hub import Hub

log = logging.getLogger("chatops.hub")

EARLIER_PLANS = 3  # the thread's latest plans a planner sees, for follow-ups ("check it again")
HISTORY = 20  # the thread's latest messages a planner sees


@dataclass
class TurnProgress:
    """How far the turn `Hub.handle` is running got, for what it says if storage fails under it."""

    stepped: bool = False  # a step started: "nothing was run" would be untrue


turn_progress: contextvars.ContextVar[TurnProgress | None] = contextvars.ContextVar("turn_progress", default=None)


@dataclass
class Turn:
    """What a round of planning needs to know about the message it answers."""

    thread: ThreadRef
    requester: UserRef
    text: str
    message_id: str
    history: list[dict] = field(default_factory=list)
    settled: Callable[[], None] = lambda: None  # the message has a plan on show or an answer
    # the thread's newest plans, read with the message (None: not read, ask the store)
    earlier: list[Plan] | None = None
    # the plans of this message's rounds so far, kept as they were stored (None: ask the store)
    executed: list[Plan] | None = None
    # read-only checks the sender drew from its own data (`Inbound.data_steps`), for round one
    data_steps: list[Step] = field(default_factory=list)
    # this run's claim on the turn: '' for the run that received the message, the decided plan's
    # id after a decision, a resumption's token (`ClaimedTurn.claim`); only the run holding the
    # turn's latest claim proposes or answers for it (None: any run of this process, as before)
    claim: str | None = None
    # received in this very run (nobody could have claimed it before it was planned): round one
    # is not checked before planning, the store's check when proposing is enough
    fresh: bool = False
    # a round the store already said this run may plan, in the transaction that ended the round
    # before it (`RoundEnd.next_round_held`): not asked again before planning it
    checked_round: int | None = None


@dataclass
class RoundEnding:
    """How a running plan's round ends: `answers` when the hub answers from the results itself
    (no reviewing planner); `stored` and `text` once `Store.finish_round` stored it all."""

    answers: bool
    stored: RoundEnd | None = None
    text: str = ""


class Once:
    """Calls a callback at most once, however often it is invoked."""

    def __init__(self, callback: Callable[[], None] | None) -> None:
        self._callback = callback

    def __call__(self) -> None:
        callback, self._callback = self._callback, None
        if callback is not None:
            callback()


class Turns:
    """The turn's steps, in the order a message meets them."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._specs_of: tuple[ToolRegistry, int, dict[str, ToolSpec]] | None = None  # see `_all_specs`

    # --- 1. receive ------------------------------------------------------------------------------

    async def handle(self, inbound: Inbound, settled: Once) -> bool:
        """Process one message under its thread's lock; False for a dropped duplicate delivery."""
        hub, thread = self.hub, inbound.thread
        started = time.perf_counter()
        async with hub.locks.hold_turn(thread.id) as lease:
            handled = await self._command_at_once(inbound, settled, lease)
            if handled is not None:
                if handled:
                    hub.observe("turn", started, platform=thread.platform)
                return handled
            earlier: list[Plan] | None = None
            # the thread's lease (with several replicas) is taken in the transaction that stores the message
            if hub.planner is not None and not is_command(inbound.text):
                # a planned turn: the earlier plans come with the message, not in a trip of their own
                message_id, history, earlier = await lease.take_with(
                    lambda take: hub.store.receive_with_plans(
                        inbound, history_limit=HISTORY, plans_limit=EARLIER_PLANS, take_lease=take), _busy)
            else:
                message_id, history = await lease.take_with(
                    lambda take: hub.store.receive(inbound, history_limit=HISTORY, take_lease=take), _busy)
            assert not isinstance(message_id, ThreadBusy)
            if message_id is None:
                return await self._repeat(inbound, settled)
            text = await self._perceive(inbound, message_id) if inbound.attachments else inbound.text
            turn = Turn(thread=thread, requester=inbound.user, text=text, message_id=message_id, history=history,
                        settled=settled, earlier=earlier, executed=[], data_steps=inbound.data_steps,
                        claim="", fresh=True)
            await self.plan_round(turn, round_number=1, executed=[])
        hub.observe("turn", started, platform=thread.platform)
        return True

    async def _repeat(self, inbound: Inbound, settled: Once) -> bool:
        """A delivery seen before: dropped, unless a crash cut its turn short (then resumed)."""
        resumed = await self.hub.store.claim_turn_of_event(inbound.thread.platform, inbound.event_id)
        if resumed is None:
            log.info("dropped a repeated delivery of event %s", inbound.event_id)
            return False
        log.warning("a retried delivery resumes the turn of message %s, cut short by a crash", resumed.message_id)
        await self.hub.lifecycle.resume_turn(resumed.message_id, settled, claim=resumed.claim)
        return True

    async def _command_at_once(self, inbound: Inbound, settled: Once, lease: TurnLease) -> bool | None:
        """The `!command` fast path: a command is parsed and vetted without any I/O, so its plan
        is stored with the message, and its first step started, in one transaction
        (`Store.receive_planned`); with the end of the round stored in a second one
        (`Store.finish_round`), a one-step read-only command is two transactions and two trips to
        the store. None when the message needs the general path (not a command, attachments,
        `!reload`, `!help`, a mistake, or a vetting that has something to record or refuse);
        otherwise what `handle` returns (False for a dropped duplicate)."""
        hub = self.hub
        planning = time.perf_counter()
        plan = self._command_plan(inbound)
        if plan is None:
            return None
        planned = time.perf_counter()
        start = self._may_start(plan)
        message_id, plan, running = await lease.take_with(
            lambda take: hub.store.receive_planned(inbound, plan, ttl_seconds=hub.config.agent.approval_ttl,
                                                   start_first_step=start, take_lease=take), _busy)
        assert not isinstance(message_id, ThreadBusy)
        if message_id is None or plan is None:
            return await self._repeat(inbound, settled)
        hub.observe("planning", planning + (time.perf_counter() - planned), path="command")  # not the store's time
        turn = Turn(thread=inbound.thread, requester=inbound.user, text=inbound.text, message_id=message_id,
                    settled=settled, claim="", fresh=True)
        await self._show_and_run(plan, turn, running)
        return True

    def _command_plan(self, inbound: Inbound) -> Plan | None:
        """The plan of a `!command` when nothing about it needs storing first: no attachments to
        perceive, nothing dropped, invalid or refused by the vetting (each of those is audited
        or answered on the general path). Pure: a duplicate delivery costs nothing but parsing."""
        hub = self.hub
        if inbound.attachments or inbound.data_steps or not is_command(inbound.text) \
                or is_reload_command(inbound.text):
            return None
        # no tools offered: the review never reads them (a planner does), and what the policy
        # refuses is asked below (`_refusal`), as on the general path
        request = PlanRequest(text=inbound.text, requester=inbound.user, tools=[], round=1)
        outcome = parse_command(inbound.text, hub.registry)
        if not isinstance(outcome, Plan):
            return None
        if context_defaults.wanted(outcome, self._specs(outcome)):
            return None  # a value to take from the thread (`default_from`): the general path reads it
        checked = self._vetted(outcome, request)
        if checked.outcome is not outcome or checked.dropped or checked.invalid or checked.ruled_out \
                or self._refusal(inbound.user, outcome):
            return None
        if outcome.needs_approval and self._over_rate(inbound.user):
            return None  # over the rate: refused on the general path, which stores the answer
        outcome.thread_id, outcome.requester, outcome.round = inbound.thread.id, inbound.user, 1
        return outcome

    # --- 2. perceive -----------------------------------------------------------------------------

    async def _perceive(self, inbound: Inbound, message_id: str) -> str:
        """One text from the message and its attachments; each file's outcome is shown too."""
        hub = self.hub
        started = time.perf_counter()
        if hub.perceiver is None:
            parts = [Perceiver.refusal(a.name, a.mime_type.split("/")[0], "was not read (perception is off)")
                     for a in inbound.attachments]
            text = "\n".join([inbound.text.strip(), *(part.render() for part in parts)]).strip()
        else:
            waiting = hub.perceiver.speech_pending(inbound.attachments)
            if waiting:  # a voice note before Whisper is warm waits for it, and says so
                await hub.notice(inbound.thread, waiting)
            text, parts = await hub.perceiver.perceive_message(
                inbound.text, inbound.attachments, hub.fetchers.get(inbound.thread.platform), user=inbound.user.key)
        await hub.store.set_perceived_text(message_id, text, [a.model_dump(mode="json") for a in inbound.attachments])
        for part in parts:
            await hub.notice(inbound.thread, part.shown()[:1500], "info" if part.ok else "warning")
        hub.observe("perception", started, platform=inbound.thread.platform)
        return text

    # --- 3. plan ---------------------------------------------------------------------------------

    async def plan_round(self, turn: Turn, *, round_number: int, executed: list[Plan]) -> None:
        """One round: plan, review, and propose (then run) the plan, or answer."""
        hub = self.hub
        checked = (turn.fresh and round_number == 1) or turn.checked_round == round_number
        if not checked and not await hub.store.holds_turn(turn.message_id, turn.claim, round_number):
            # a run gone stale (another process, or another claim in this one, took the turn over,
            # or this round was planned already): no model call, nothing proposed, the holder answers
            log.warning("the turn of message %s is no longer this run's (or round %d is planned already); "
                        "not planning it here", turn.message_id, round_number)
            turn.settled()
            return
        planning = time.perf_counter()
        try:
            outcome = await self._plan(turn, round_number, executed)
            hub.observe("planning", planning, path="command" if is_command(turn.text) else "model")
        except PlannerError as exc:
            await hub.store.append_audit("plan.unavailable", actor=turn.requester.key, thread_id=turn.thread.id,
                                         detail={"error": str(exc), "round": round_number})
            await hub.notice(turn.thread, f"I could not plan that: {exc}", "error")
            await self.answer(turn.thread, f"Sorry, I could not plan that: {exc}. Nothing was run.",
                              ends_turn_of=turn.message_id, claim=turn.claim)
            turn.settled()
            return
        if isinstance(outcome, Answer):
            await self.answer(turn.thread, outcome.text, plan_id=executed[-1].id if executed else None,
                              ends_turn_of=turn.message_id, claim=turn.claim)
            turn.settled()
            return
        refusal = self._refusal(turn.requester, outcome)
        if refusal:
            await hub.store.append_audit("request.refused", actor=turn.requester.key, thread_id=turn.thread.id,
                                         detail={"reason": refusal, "tools": [s.tool for s in outcome.steps]})
            await self.answer(turn.thread, refusal, ends_turn_of=turn.message_id, claim=turn.claim)
            turn.settled()
            return
        if outcome.needs_approval and (wait := self._over_rate(turn.requester)):
            await self._refuse_flood(turn, wait)
            return
        outcome.thread_id, outcome.requester, outcome.round = turn.thread.id, turn.requester, round_number
        plan, running = await hub.store.propose_and_start(outcome, message_id=turn.message_id,
                                                          ttl_seconds=hub.config.agent.approval_ttl,
                                                          start_first_step=self._may_start(outcome),
                                                          claim=turn.claim)
        if plan is None:
            # this process's heartbeat lapsed while it planned and another one claimed the turn
            # (it plans it again and answers), or another run of it holds a later claim, or this
            # round has its plan already: nothing was stored, so nothing is shown here
            log.warning("the turn of message %s was taken over by another process (or run) while it was "
                        "planned here, or this round has its plan; this run's plan was dropped", turn.message_id)
            turn.settled()
            return
        await self._show_and_run(plan, turn, running)

    async def _plan(self, turn: Turn, round_number: int, executed: list[Plan]) -> Plan | Answer:
        hub = self.hub
        if is_reload_command(turn.text):
            return await self._reload(turn.requester)
        if is_report_command(turn.text):  # issue 21: the thread's incident report
            from chatops.bot.incident_report import thread_report, to_markdown

            report = await thread_report(hub.store, turn.thread.id)
            return Answer(text=to_markdown(report) if report else "This thread has nothing to report yet.")
        tools = hub.tools_for(turn.requester)
        if is_command(turn.text):
            request = PlanRequest(text=turn.text, requester=turn.requester, tools=tools, round=round_number)
            outcome = parse_command(turn.text, hub.registry)
        elif hub.planner is None:
            return Answer(text="No language model is configured: use `!tool arg=value` (`!help`).")
        else:
            earlier = []  # a thread's first message has no earlier plans: spare the store call
            if turn.history:
                earlier = [plan for plan in await self._recent_plans(turn, executed)
                           if plan.id not in {p.id for p in executed}]
            offered = relevant_tools(turn.text, tools)  # all of them unless there are many
            # a follow-up ("check it again") names no tool: the earlier plans' tools stay on offer
            names = {spec.name for spec in offered}
            wanted = {step.tool for plan in earlier for step in plan.steps} - names
            offered += [spec for spec in tools if spec.name in wanted]
            request = PlanRequest(text=turn.text, requester=turn.requester, tools=offered,
                                  history=turn.history, executed=executed, round=round_number,
                                  max_steps=hub.config.agent.max_steps, earlier=earlier,
                                  own_text=turn_sources(turn.text).own_text(), knowledge=hub.knowledge)
            outcome = await hub.planner.plan(request)
        if isinstance(outcome, Plan):
            context_defaults.clear_empty(outcome, self._specs(outcome))
            outcome = await self._review(outcome, request, turn)
        if isinstance(outcome, Plan):
            outcome = await self._with_context(outcome, turn)
        return self._with_data_steps(outcome, turn) if round_number == 1 else outcome

    def _with_data_steps(self, outcome: Plan | Answer, turn: Turn) -> Plan | Answer:
        """The round-one plan with the sender's own read-only checks after the planner's steps
        (within `max_steps`, the planner's steps giving way), each waiting for a click; a plan of
        them alone when the planner only answered. Left out: a check that would change something,
        whose tool is not this requester's, whose arguments do not fit, or that the plan has."""
        hub = self.hub
        offered = {spec.name: spec for spec in hub.tools_for(turn.requester)}
        planned = outcome.steps if isinstance(outcome, Plan) else []
        added: list[Step] = []
        for suggested in turn.data_steps:
            spec = offered.get(suggested.tool)
            if spec is None or spec.risk is not Risk.read \
                    or any(s.tool == suggested.tool and s.args == suggested.args for s in [*planned, *added]):
                continue
            try:
                spec.validate(suggested.args)
            except ToolArgumentError as exc:
                log.warning("left out the sender's %s check: %s", suggested.tool, exc)
                continue
            added.append(suggested.model_copy(update={
                "args": dict(suggested.args), "risk": spec.risk, "fingerprint": spec.fingerprint(), "tainted": True,
                "status": StepStatus.proposed}))
        if not added:
            return outcome
        room = max(0, hub.config.agent.max_steps - len(added))
        if isinstance(outcome, Plan):
            outcome.steps = [*outcome.steps[:room], *added][: hub.config.agent.max_steps]
            return outcome
        return Plan(goal=added[0].reason[:200], steps=added[: hub.config.agent.max_steps])

    def _specs(self, plan: Plan) -> dict[str, ToolSpec]:
        """The registry's specs of a plan's tools."""
        found = {step.tool: self.hub.registry.get(step.tool) for step in plan.steps}
        return {name: spec for name, spec in found.items() if spec is not None}

    async def _with_context(self, plan: Plan, turn: Turn) -> Plan | Answer:
        """The plan with its empty `default_from` parameters filled from the thread ("silence
        this for 2h" in an alert's thread: the alert's labels), or why it cannot be proposed."""
        specs = self._specs(plan)
        sources = context_defaults.wanted(plan, specs)
        if not sources:
            return plan
        values = await context_values(self.hub.store, turn.thread, sources)
        problems = context_defaults.fill(plan, specs, values)
        if not problems:
            return plan
        await self.hub.store.append_audit("plan.invalid", actor=turn.requester.key, thread_id=turn.thread.id,
                                          detail={"problems": problems})
        return Answer(text=f"I did not propose that: {'; '.join(problems)}. Nothing was run.")

    async def _recent_plans(self, turn: Turn, executed: list[Plan]) -> list[Plan]:
        """The thread's newest plans: those read with the message followed by this turn's own
        rounds (the thread's lock keeps other turns out meanwhile; a decision on an older plan
        that lands during the turn is seen from the next turn on), or read from the store."""
        if turn.earlier is None:
            return await self.hub.store.thread_plans(turn.thread.id, limit=EARLIER_PLANS)
        return [*turn.earlier, *executed][-EARLIER_PLANS:]

    async def _reload(self, user: UserRef) -> Answer:
        hub = self.hub
        verdict = hub.policy.may_reload(user)
        if not verdict.allowed:
            await hub.store.append_audit("reload.refused", actor=user.key, detail={"reason": verdict.reason})
            return Answer(text=f"You may not reload: {verdict.reason}.")
        if hub.reloader is None:
            return Answer(text="Reloading is not available here.")
        text = await hub.reloader(user)
        await hub.store.append_audit("reload", actor=user.key, detail={"outcome": text[:2000]})
        return Answer(text=text)

    # --- 4. review -------------------------------------------------------------------------------

    async def _review(self, outcome: Plan, request: PlanRequest, turn: Turn) -> Plan | Answer:
        """The plan as the hub takes it, with what the review dropped recorded and told."""
        hub = self.hub
        from chatops.bot.agent.asked import prepare_review  # the planner's reading: not needed to start

        await prepare_review(outcome, request, hub.registry.specs())  # meaning, off the loop
        checked = self._vetted(outcome, request)
        for item in [*checked.dropped, *checked.ruled_out]:
            await hub.store.append_audit("step.dropped", actor=turn.requester.key, thread_id=turn.thread.id,
                                         detail={"tool": item.step.tool, "args": item.step.args, "why": item.why})
            if checked.outcome is outcome:
                await hub.notice(turn.thread, f"Not proposed: {item.why}.", "warning")
        if checked.invalid:
            await hub.store.append_audit("plan.invalid", actor=turn.requester.key, thread_id=turn.thread.id,
                                         detail={"problems": checked.invalid})
        return checked.outcome

    def _vetted(self, outcome: Plan, request: PlanRequest) -> Review:
        """A plan as the hub takes it: at most `max_steps` steps, each step's risk from the
        registry (never from the planner), then the review. Pure; the caller records findings."""
        registry = self.hub.registry
        outcome.steps = outcome.steps[: self.hub.config.agent.max_steps]
        for step in outcome.steps:
            spec = registry.get(step.tool)
            step.risk = spec.risk if spec else Risk.read
            step.fingerprint = spec.fingerprint() if spec else None
        from chatops.bot.agent.review import review  # the planner's checks: imported when first planning

        return review(outcome, request, self._all_specs(registry))

    def _all_specs(self, registry: ToolRegistry) -> dict[str, ToolSpec]:
        """Every spec of the registry by name, in name order (what the review is given): made once
        per registry, and again when a tool joins it (a registry only grows; a reload makes a new one)."""
        cached = self._specs_of
        if cached is None or cached[0] is not registry or cached[1] != len(registry):
            cached = self._specs_of = (registry, len(registry), {spec.name: spec for spec in registry.specs()})
        return cached[2]

    def _refusal(self, requester: UserRef, plan: Plan) -> str | None:
        """Why the policy refuses this plan to its requester, or None."""
        hub = self.hub
        for step in plan.steps:
            spec = hub.registry.get(step.tool)
            if spec is None:
                continue  # fails as a step error the planner can see
            if spec.name in hub.disabled_tools():
                return f"The tool {spec.name} is disabled here."
            verdict = hub.policy.may_request(requester, spec)
            if not verdict.allowed:
                return f"You may not run that: {verdict.reason}."
        for step in plan.steps:
            # nobody is asked to approve a step that cannot run; read steps run at once and fail
            # as step errors the planner sees
            spec = hub.registry.get(step.tool)
            if spec is not None and spec.risk is not Risk.read and (problem := hub.executor.check(step)):
                return f"I did not propose that, because it could not run: {problem}."
        return None

    def _over_rate(self, requester: UserRef) -> float:
        """0 when `requester` may have one more plan that needs an approval now (a token is
        spent), else the seconds until it may (`agent.max_plans_per_minute`). An alert's turns
        are not counted: one sender speaks for every alert group, and the storm handling of
        `bot.alerts` bounds them instead (one diagnosis per group while it waits, a few planned at
        once, a bounded queue beyond which an alert is posted undiagnosed and says so)."""
        if requester.platform == ALERT_PLATFORM:
            return 0.0
        return self.hub.plan_limit.take(requester.key)

    async def _refuse_flood(self, turn: Turn, wait: float) -> None:
        """Answer a plan over its requester's rate (`agent.max_plans_per_minute`): nothing is
        proposed, and the turn ends with a plain answer."""
        limit = self.hub.config.agent.max_plans_per_minute
        await self.hub.store.append_audit("plan.rate_limited", actor=turn.requester.key, thread_id=turn.thread.id,
                                          detail={"per_minute": limit, "retry_after": wait})
        text = (f"You are asking for plans that need an approval faster than {limit} a minute, so I did not "
                f"propose this one; nothing was run. Please try again in {round(wait)} s.")
        await self.answer(turn.thread, text, ends_turn_of=turn.message_id, claim=turn.claim)
        turn.settled()

    def _may_start(self, plan: Plan) -> bool:
        """Whether a plan about to be proposed can have its first step started in the same
        transaction: it needs no decision, and that step could run (known tool, valid arguments;
        otherwise it fails as unstarted, on the general path of `_run_steps`)."""
        if plan.needs_approval or not plan.steps:
            return False
        first = plan.steps[0]
        return self.hub.executor.check(first, spec=self.hub.registry.get(first.tool)) is None

    # --- 5. run ----------------------------------------------------------------------------------

    async def _show_and_run(self, plan: Plan, turn: Turn, running: str | None) -> None:
        """Show a just-proposed plan, then run what may run now (the rest waits for a decision,
        `bot.decisions`); `running` is the step the store already started with the proposal."""
        self.hub.pinned.pin(plan, self.hub.registry)
        await self.hub.emit(turn.thread, PlanEvent.of(plan))
        turn.settled()
        with self.hub.pinned.holding(plan):  # however long its steps run
            if plan.status is PlanStatus.running:
                await self.run_plan(plan, turn, started=True, running=running, own=True)
            else:
                await self._run_steps(plan, turn, leading_reads_only=True)

    async def run_plan(self, plan: Plan, turn: Turn, *, started: bool = False, running: str | None = None,
                       own: bool = False) -> None:
        """Run a plan just read from (or written to) the store: `plan` holds its current state;
        `running` is a step the store already started. The last step's outcome is stored with
        the plan's end, and with the answer when the hub answers from the results itself (one
        transaction, `Store.finish_round`). `own`: the plan is this turn's alone (just proposed
        here and shown as an event of its own), so its steps are run in place, not on copies."""
        hub = self.hub
        if not started and not await hub.store.transition_plan(plan.id, (PlanStatus.approved,), PlanStatus.running):
            return  # someone else is running it, or it was interrupted
        ending = RoundEnding(answers=not self._reviews(plan, turn))
        finished = await self._run_steps(plan, turn, leading_reads_only=False, running=running, ending=ending,
                                         copy=not own)
        failed = any(step.status in (StepStatus.failed, StepStatus.interrupted) for step in finished.steps)
        if ending.stored is None:  # no step ended the round (none ran, or one failed before the last)
            settled = await hub.store.transition_plan(plan.id, (PlanStatus.running,),
                                                      PlanStatus.failed if failed else PlanStatus.succeeded)
        else:
            settled = ending.stored.plan_status is not None
        finished.status = PlanStatus.failed if failed else PlanStatus.succeeded
        if not settled:
            # another process marked it interrupted (this one's lease lapsed) and answers the turn,
            # if it also took the turn over: when this process heartbeated again in between, the
            # turn is still in its name, so it gives it up for the sweep (`Lifecycle.cut_short`)
            log.warning("plan %s was taken over while it ran; its turn is answered by the new owner", plan.id)
            hub.lifecycle.cut_short(turn.thread.id)
            return
        if ending.stored is not None and ending.stored.answer_id is not None:
            await hub.emit(turn.thread, self.answer_event(turn.thread, ending.text, plan.id))
            return
        await self.after_round(finished, turn)

    async def _run_steps(self, plan: Plan, turn: Turn, *, leading_reads_only: bool, running: str | None = None,
                         ending: RoundEnding | None = None, copy: bool = True) -> Plan:
        """Run approved steps in order; a failure skips the rest. With `leading_reads_only`, run
        only the read-only steps before the first one that waits for approval. `running` is a
        step the store already started; with `ending`, the last step's outcome is stored with the
        plan's end (see `_finish_last_step`). Returns the plan as it now stands (kept in step
        with the store, so it need not be read back; its steps are copies, `plan`'s stay as
        they were, and nothing here changes a step's arguments, so they need no deep copy; without
        `copy`, the caller's own plan is kept in step instead)."""
        hub = self.hub
        current = plan.model_copy(update={"steps": [step.model_copy() for step in plan.steps]}) if copy else plan
        failed = False
        for position, step in enumerate(current.steps):
            if leading_reads_only and step.risk is not Risk.read:
                break
            if step.status is not StepStatus.approved:
                continue
            spec, problem = hub.pinned.spec_for(step, hub.registry)
            if step.id != running:  # (a step the store started runs whatever this would say)
                problem = problem or hub.executor.check(step, spec=spec)
            if problem is not None and step.id != running:
                if await hub.store.fail_unstarted_step(step.id, problem):
                    step.status, step.error = StepStatus.failed, problem
                    await hub.emit(turn.thread, _step_event(plan, step, StepStatus.failed, error=problem))
                failed = True
                break
            if step.id != running and not await hub.store.start_step(step.id):
                continue
            step.status = StepStatus.running
            if (progress := turn_progress.get()) is not None:
                progress.stepped = True
            await hub.emit(turn.thread, _step_event(plan, step, StepStatus.running))
            outcome = await hub.executor.run(step, self._tool_context(plan, step, turn), spec=spec)
            last = not any(later.status is StepStatus.approved for later in current.steps[position + 1:])
            if ending is not None and last:
                won = await self._finish_last_step(current, step, outcome, turn, ending)
            else:
                won = await hub.store.finish_step(step.id, outcome)
            status = StepStatus.succeeded if outcome.ok else StepStatus.failed
            if not won:
                # this process lost the step's lease: another one has marked it interrupted
                status = StepStatus.interrupted
                outcome = outcome.model_copy(update={
                    "ok": False, "error": "interrupted: this process stopped heartbeating while the step ran; "
                                          "its late result is in the audit log"})
            _settle_step(step, status, outcome)
            await hub.emit(turn.thread, _step_event(plan, step, status, result=outcome.result, summary=outcome.summary,
                                                    error=outcome.error, duration_ms=outcome.duration_ms,
                                                    outcome=outcome.outcome))
            if not outcome.ok:
                failed = True
                break
        if failed and any(s.status in (StepStatus.approved, StepStatus.proposed) for s in current.steps):
            for step_id in await hub.store.skip_remaining_steps(plan.id):
                step = next(s for s in current.steps if s.id == step_id)
                step.status = StepStatus.skipped
                await hub.emit(turn.thread, _step_event(plan, step, StepStatus.skipped))
        return current

    async def _finish_last_step(self, current: Plan, step: Step, outcome: StepResult, turn: Turn,
                                ending: RoundEnding) -> bool:
        """Store the last step's outcome, the plan's end and (when the hub answers from the
        results) the answer in one transaction. The answer is written as it will read if the step
        was still this process's; if it was not, the store keeps no answer and the caller goes on
        as before (the step shows as interrupted, the new owner answers)."""
        hub = self.hub
        answer = None
        if ending.answers:
            as_if_won = step.model_copy(update=_settled(StepStatus.succeeded if outcome.ok else StepStatus.failed,
                                                        outcome))
            steps = [as_if_won if other.id == step.id else other for other in current.steps]
            ending.text = hub.redactor.text(summarize_steps(steps, knowledge=hub.knowledge)) or ""
            answer = RoundAnswer(thread=turn.thread, text=ending.text, ends_turn_of=turn.message_id, claim=turn.claim)
        lease = turn_lease.get()
        release = answer is not None and lease is not None and lease.release_for(turn.thread.id)
        next_round = None if answer is not None else (turn.message_id, turn.claim, current.round + 1)
        ending.stored = await hub.store.finish_round(step.id, outcome, current.id, answer=answer,
                                                     release_lease=release, next_round=next_round)
        if ending.stored.next_round_held:
            turn.checked_round = current.round + 1
        if release and ending.stored.answer_id is not None:
            lease.given_up()  # type: ignore[union-attr]
        return ending.stored.step_won

    def _tool_context(self, plan: Plan, step: Step, turn: Turn) -> ToolContext:
        """All a tool gets from the bot: who asked, where, its config, and ways to report back."""
        hub = self.hub

        async def child_started(pgid: int, start_ticks: str) -> None:
            await hub.store.record_child(step.id, pgid, start_ticks)

        async def checkpoint(partial: object) -> None:
            await hub.store.save_partial_result(step.id, hub.redactor.data(partial))

        async def attach(name: str, mime_type: str, data: bytes) -> dict[str, object]:
            # a file the step made (a chart, issue 21): its bytes in the file store, listed with the step
            file = {"name": name, "mime_type": mime_type, "size": len(data), "sha256": await hub.store.keep_file(data)}
            await hub.store.add_step_file(step.id, file)
            return file

        async def progress(message: str) -> None:
            await hub.notice(turn.thread, f"{step.tool}: {hub.redactor.text(message)}")

        return ToolContext(requester=turn.requester, thread=turn.thread, plan_id=plan.id, step_id=step.id,
                           config=hub.config.tool_config(step.tool), progress=progress,
                           child_started=child_started, child_ended=hub.store.forget_child, checkpoint=checkpoint,
                           attach=attach, approver=step.decided_by)

    # --- 6. answer -------------------------------------------------------------------------------

    def _reviews(self, plan: Plan, turn: Turn) -> bool:
        """Whether the planner sees this round's results (to answer or re-plan) rather than the
        hub answering from them itself."""
        reviewer = None if is_command(turn.text) else self.hub.planner
        return reviewer is not None and reviewer.reviews_results and plan.round < self.hub.config.agent.max_rounds

    async def after_round(self, plan: Plan, turn: Turn) -> None:
        """Answer from the results, or let the planner answer or re-plan (bounded rounds)."""
        if self._reviews(plan, turn):
            if turn.executed is None:
                executed = await self.hub.store.plans_for_message(turn.message_id)
            else:  # every round of this turn ran here: its plans are in memory as stored
                executed = turn.executed = [*turn.executed, plan]
            await self.plan_round(turn, round_number=plan.round + 1, executed=executed)
            return
        await self.answer(turn.thread, summarize(plan, knowledge=self.hub.knowledge), plan_id=plan.id,
                          ends_turn_of=turn.message_id, claim=turn.claim)

    async def answer(self, thread: ThreadRef, text: str, *, plan_id: str | None = None,
                     ends_turn_of: str | None = None, claim: str | None = None) -> None:
        """Store and show an answer; `ends_turn_of` is the user message whose turn it ends, and
        `claim` the answering run's claim on that turn (`Turn.claim`)."""
        text = self.hub.redactor.text(text) or ""
        lease = turn_lease.get()
        # the answer that ends a turn gives the thread's lease up in its own transaction
        release = bool(ends_turn_of) and lease is not None and lease.release_for(thread.id)
        stored = await self.hub.store.record_bot_message(thread, text, ends_turn_of=ends_turn_of,
                                                         release_lease=release, claim=claim)
        if stored is None:
            # another process took this turn over (this one was starved past its lease) and
            # answers it: nothing was stored, so nothing is shown, and the thread gets one answer
            log.warning("the turn of message %s was taken over by another process; this process's answer "
                        "was dropped", ends_turn_of)
            return
        if release:
            lease.given_up()  # type: ignore[union-attr]
        await self.hub.emit(thread, self.answer_event(thread, text, plan_id))

    def answer_event(self, thread: ThreadRef, text: str, plan_id: str | None) -> AnswerEvent:
        """The answer as shown, with its next steps that a tool can run as one-click follow-ups."""
        return AnswerEvent(thread=thread.id, text=text, plan_id=plan_id,
                           next_steps=follow_ups(text, self.hub.registry))


def _busy(received: tuple) -> bool:
    """A receiving operation found the thread's lease held by another process (nothing stored)."""
    return received[0] is THREAD_BUSY


def _settle_step(step: Step, status: StepStatus, outcome: StepResult) -> None:
    """Mirror a finished step's stored state on the in-memory plan."""
    for name, value in _settled(status, outcome).items():
        setattr(step, name, value)


def _settled(status: StepStatus, outcome: StepResult) -> dict[str, object]:
    """The fields `_settle_step` sets, for a copy made with them."""
    return {"status": status, "result": outcome.result, "summary": outcome.summary, "error": outcome.error,
            "duration_ms": outcome.duration_ms, "outcome": outcome.outcome}


def _step_event(plan: Plan, step: Step, status: StepStatus, **fields: object) -> StepEvent:
    return StepEvent(thread=plan.thread_id, plan_id=plan.id, id=step.id, tool=step.tool, status=status,
                     **fields)  # type: ignore[arg-type]


def clip(text: str, limit: int = 80) -> str:
    """A message shortened for quoting in a notice."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
