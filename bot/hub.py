"""The hub: one conversation loop for every adapter.

For each inbound message: drop retries, store it, plan (the `!command` fast path or a model),
check the policy, propose the plan, run read-only steps at once and wait, persisted, for a
decision on the rest. A decision (a button, a prompt, an API call) resumes the plan, runs it,
and hands the results back to the planner for an answer or a revised plan, within
`agent.max_rounds`. Turns in one thread are serialised by a per-thread lock; different threads
run concurrently. Everything the hub shows goes out as an `Outbound` event to every sink.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from chatops.bot.agent.answers import summarize, summarize_steps
from chatops.bot.agent.asked import prepare_review
from chatops.bot.agent.commands import is_command, is_reload_command, is_report_command, parse_command
from chatops.bot.agent.diagnosis import DiagnosisError, KnowledgeBase
from chatops.bot.agent.executor import Executor
from chatops.bot.agent.planning import Planner, PlannerError, PlanRequest
from chatops.bot.agent.policy import Policy, Verdict
from chatops.bot.agent.provenance import turn_sources
from chatops.bot.agent.review import Review, review
from chatops.bot.agent.tool_filter import relevant_tools
from chatops.bot.alerts import ALERT_PLATFORM, silence_command
from chatops.bot.card_records import CardRecords
from chatops.bot.config import Config
from chatops.bot.faults import StorageUnavailable
from chatops.bot.feedback import Feedback
from chatops.bot.maintenance import Maintenance
from chatops.bot.model import (
    END_OF_INPUT,
    Answer,
    AnswerEvent,
    Decision,
    DecisionEvent,
    Inbound,
    NoticeEvent,
    Outbound,
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
from chatops.bot.perception.pipeline import Fetch, Perceiver
from chatops.bot.rate_limits import PlanRateLimit
from chatops.bot.redaction import Redactor
from chatops.bot.thread_locks import ThreadLocks
from chatops.bot.thread_openers import ThreadOpeners
from chatops.storage import Store
from chatops.storage.store import RoundAnswer, RoundEnd
from chatops.tools.context import ToolContext
from chatops.tools.process_groups import kill_group
from chatops.tools.registry import ToolRegistry, ToolSpec

log = logging.getLogger("chatops.hub")


def knowledge_for(config: Config) -> KnowledgeBase:
    """The diagnosis knowledge base of a config; a folder that cannot be read is logged (and
    named by `chatops check-config`) and the rest is used, so answers still conclude."""
    try:
        return KnowledgeBase.for_config(config)
    except DiagnosisError as exc:
        log.warning("diagnosis knowledge base: %s; using the built-in entries and [[diagnoses]]", exc)
        return KnowledgeBase([*(entry.config for entry in KnowledgeBase.builtin().entries), *config.diagnoses])
EARLIER_PLANS = 3  # the thread's latest plans a planner sees, for follow-ups ("check it again")

Sink = Callable[[ThreadRef, Outbound], Awaitable[None]]
# `observer(kind, seconds, labels)`: how long a turn, a planning call or a message's perception
# took; metrics exporters subscribe with `Hub.add_observer`.
Observer = Callable[[str, float, dict[str, str]], None]
# `reloader(user)`: re-read the tool sources (runbooks, plugin folders, MCP servers); the answer
# to `!reload`. Set by the runtime, which owns them.
Reloader = Callable[[UserRef], Awaitable[str]]
# tool definitions (by fingerprint) kept in memory so that a plan proposed before a reload runs
# the definition it was approved with; an evicted one is refused, never replaced (see `_spec_for`)
MAX_KEPT_DEFINITIONS = 1000
# who withdraws a plan whose tool changed after it was proposed (the record's decider)
WITHDRAWN_BY = UserRef(platform="chatops", id="reload", name="chatops (a tool changed)")


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


class Hub:
    def __init__(self, *, config: Config, store: Store, registry: ToolRegistry, planner: Planner | None,
                 policy: Policy | None = None, executor: Executor | None = None,
                 sweep_interval: float | None = None, perceiver: Perceiver | None = None) -> None:
        self.config = config
        self.store = store
        self.registry = registry
        self.planner = planner
        self.policy = policy or Policy(config)
        # what adapters keep about their cards, without the store; and who may approve, per the policy
        self.cards = CardRecords(store, lambda plan: self.policy.who_may_approve(plan))
        self.feedback = Feedback(store)  # 👍 / 👎 on answers, into the audit log
        self.openers = ThreadOpeners(store)  # chat adapters open threads for alerts and schedules here
        self.knowledge = knowledge_for(config)
        self.redactor = Redactor(config.secret_values())
        self.executor = executor or Executor(registry, redactor=self.redactor)
        self.sweep_interval = sweep_interval or min(30.0, max(0.5, config.agent.approval_ttl / 4))
        self.perceiver = perceiver
        self._fetchers: dict[str, Fetch] = {}
        self._sinks: list[Sink] = []
        self._observers: list[Observer] = []
        self._locks = ThreadLocks(store if store.thread_leases else None)
        self._sweeper: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._settled_at_start: list[str] = []
        self._resuming: set[asyncio.Task[None]] = set()
        # threads whose turn (or approved run) a storage fault cut short in this process: given up
        # once the database answers again, so the orphan sweep ends them (see `_disown_cut_short`)
        self._cut_short: set[str] = set()
        self._registered = False
        self.heartbeat_interval = max(0.2, store.lease_seconds / 3)
        self.reloader: Reloader | None = None
        # fingerprint → a tool definition plans were proposed with; the fingerprint itself is
        # stored with each step, so what is evicted here is refused, not replaced by a new version
        self._kept: OrderedDict[str, ToolSpec] = OrderedDict()
        self._plan_limit = PlanRateLimit(config.agent.max_plans_per_minute)

    def use_registry(self, registry: ToolRegistry) -> None:
        """Plan with a new registry from now on (after a reload or an MCP tool-list change);
        plans already proposed keep the definitions they were proposed with."""
        self.registry = registry
        self.executor.registry = registry

    def use_secrets(self, secrets: list[str]) -> None:
        """Scrub these secrets from now on (a reload may name new `env_from` variables)."""
        self.redactor = Redactor(secrets)
        self.executor.redactor = self.redactor

    # --- lifecycle and fan-out ----------------------------------------------------------------

    def add_fetcher(self, platform: str, fetch: Fetch) -> None:
        """How to download an attachment of that platform (`fetch(attachment, max_bytes)`)."""
        self._fetchers[platform] = fetch

    def remove_fetcher(self, platform: str) -> None:
        self._fetchers.pop(platform, None)

    def add_sink(self, sink: Sink) -> None:
        self._sinks.append(sink)

    def remove_sink(self, sink: Sink) -> None:
        with contextlib.suppress(ValueError):
            self._sinks.remove(sink)

    def add_observer(self, observer: Observer) -> None:
        self._observers.append(observer)

    def remove_observer(self, observer: Observer) -> None:
        with contextlib.suppress(ValueError):
            self._observers.remove(observer)

    def _observe(self, kind: str, started: float, **labels: str) -> None:
        seconds = time.perf_counter() - started
        for observer in list(self._observers):
            try:
                observer(kind, seconds, labels)
            except Exception:  # metrics must never break a turn
                log.exception("an observer failed on %s", kind)

    async def start(self) -> None:
        """Register this process (its live work is owned by it), take over what dead processes
        left, and start the expiry sweep and the heartbeat."""
        if self.store.identity is None:
            await self.store.register_process()
        self._registered = True
        # turns cut short are resumed once the adapters listen (`republish_settled`) or at the
        # first heartbeat, so that their answers reach the platform they came from
        interrupted_plans = await self._take_over_orphans(announce=False, resume_turns=False)
        # settled while no adapter was listening: shown again by `republish_settled` once they are
        self._settled_at_start = [*interrupted_plans, *await self.expire_due()]
        self._sweeper = asyncio.create_task(self._sweep(), name="chatops-expiry-sweeper")
        self._keeper = asyncio.create_task(self._keep_alive(), name="chatops-heartbeat")

    async def republish_settled(self) -> int:
        """Show again the plans that were interrupted or expired while the bot was down, now that
        the adapters listen (their cards would otherwise keep live buttons or say "running")."""
        plan_ids, self._settled_at_start = self._settled_at_start, []
        for plan_id in plan_ids:
            plan = await self.store.get_plan(plan_id)
            thread = await self.store.thread_ref(plan.thread_id) if plan else None
            if plan is not None and thread is not None:
                await self.emit(thread, PlanEvent.of(plan))
        await self._resume_orphaned_turns()
        return len(plan_ids)

    async def stop(self) -> None:
        for task in (self._sweeper, self._keeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._sweeper = self._keeper = None
        for resuming in list(self._resuming):
            resuming.cancel()
        await asyncio.gather(*self._resuming, return_exceptions=True)
        if self._registered:
            self._registered = False
            try:  # what this process still held is interrupted now, not after its lease
                taken = await self.store.retire_process()
            except StorageUnavailable as exc:
                log.warning("could not record this process as stopped: %s", exc)
            else:  # the store forgets the groups it hands back: kill them now or nobody will
                await self._kill_groups(taken.children)

    async def emit(self, thread: ThreadRef, event: Outbound) -> None:
        for sink in list(self._sinks):
            try:
                await sink(thread, event)
            except Exception:  # one broken adapter must not break the turn or the others
                log.exception("a sink failed to deliver a %s event", event.type)

    async def notice(self, thread: ThreadRef, text: str, level: str = "info", *, keep: bool = True) -> None:
        """Show a notice and keep it with the thread, so a reload or a restart shows it again.
        `keep=False` only shows it: the notice that storage just failed is not sent to wait on
        the same unreachable database a second time (the caller's 503 would come twice as late)."""
        text = self.redactor.text(text) or ""
        try:
            if keep:
                await self.store.record_notice(thread, text, level)
        except StorageUnavailable as exc:  # shown anyway: often it is the notice that storage failed
            log.warning("could not keep a notice: %s", exc)
        await self.emit(thread, NoticeEvent(thread=thread.id, text=text, level=level))  # type: ignore[arg-type]

    # --- inbound messages -------------------------------------------------------------------------

    async def handle(self, inbound: Inbound, *, on_settled: Callable[[], None] | None = None) -> bool:
        """Process one message; False when it was a duplicate delivery and nothing happened.
        `on_settled` is called as soon as the message has a plan on show or an answer (read-only
        steps may still be running), or when the turn ends without either; a caller that answers
        a request (the HTTP API) can reply then instead of waiting for the whole turn.
        A storage fault (disk full, read-only) is told in the thread and raised again."""
        settled = Once(on_settled)
        try:
            return await self._handle(inbound, settled)
        except StorageUnavailable as exc:
            self._cut_short.add(inbound.thread.id)
            await self.notice(inbound.thread, f"I cannot store anything right now: {exc.message}. "
                                              "Nothing was run; please try again later.", "error", keep=False)
            raise
        finally:
            settled()

    async def _handle(self, inbound: Inbound, settled: Once) -> bool:
        thread = inbound.thread
        started = time.perf_counter()
        async with self._locks.hold(thread.id):
            handled = await self._handle_command_at_once(inbound, settled)
            if handled is not None:
                if handled:
                    self._observe("turn", started, platform=thread.platform)
                return handled
            earlier: list[Plan] | None = None
            if self.planner is not None and not is_command(inbound.text):
                # a planned turn: the earlier plans come with the message, not in a trip of their own
                message_id, history, earlier = await self.store.receive_with_plans(
                    inbound, history_limit=20, plans_limit=EARLIER_PLANS)
            else:
                message_id, history = await self.store.receive(inbound, history_limit=20)
            if message_id is None:
                return await self._handle_repeat(inbound, settled)
            if inbound.attachments:
                perceiving = time.perf_counter()
                text = await self._perceive(inbound, message_id)
                self._observe("perception", perceiving, platform=thread.platform)
            else:
                text = inbound.text
            turn = Turn(thread=thread, requester=inbound.user, text=text, message_id=message_id, history=history,
                        settled=settled, earlier=earlier, executed=[])
            await self._plan_round(turn, round_number=1, executed=[])
        self._observe("turn", started, platform=thread.platform)
        return True

    async def _refuse_flood(self, turn: Turn, wait: float) -> None:
        """Answer a plan over its requester's rate (`agent.max_plans_per_minute`): nothing is
        proposed, and the turn ends with a plain answer."""
        limit = self.config.agent.max_plans_per_minute
        await self.store.append_audit("plan.rate_limited", actor=turn.requester.key, thread_id=turn.thread.id,
                                      detail={"per_minute": limit, "retry_after": wait})
        text = (f"You are asking for plans that need an approval faster than {limit} a minute, so I did not "
                f"propose this one; nothing was run. Please try again in {round(wait)} s.")
        if turn.requester.platform == ALERT_PLATFORM:  # a storm: nobody will "try again", say what to do
            text = (f"Not diagnosed: more than {limit} alerts a minute came with checks to plan (a storm), so I "
                    "proposed none for this one; nothing was run. Ask “what is wrong here?” in this thread to plan "
                    "checks.")
        await self._answer(turn.thread, text, ends_turn_of=turn.message_id)
        turn.settled()

    async def _handle_repeat(self, inbound: Inbound, settled: Once) -> bool:
        """A delivery seen before: dropped, unless a crash cut its turn short (then resumed)."""
        resumed = await self.store.claim_turn_of_event(inbound.thread.platform, inbound.event_id)
        if resumed is None:
            log.info("dropped a repeated delivery of event %s", inbound.event_id)
            return False
        log.warning("a retried delivery resumes the turn of message %s, cut short by a crash", resumed)
        await self._resume_turn(resumed, settled)
        return True

    async def _handle_command_at_once(self, inbound: Inbound, settled: Once) -> bool | None:
        """The `!command` fast path: a command is parsed and vetted without any I/O, so its plan
        is stored with the message, and its first step started, in one transaction
        (`Store.receive_planned`); with the end of the round stored in a second one
        (`Store.finish_round`), a one-step read-only command is two transactions and two trips to
        the store. None when the message needs the general path (not a command, attachments,
        `!reload`, `!help`, a mistake, or a vetting that has something to record or refuse);
        otherwise what `handle` returns (False for a dropped duplicate)."""
        planning = time.perf_counter()
        plan = self._command_plan(inbound)
        if plan is None:
            return None
        planned = time.perf_counter()
        message_id, plan, running = await self.store.receive_planned(
            inbound, plan, ttl_seconds=self.config.agent.approval_ttl, start_first_step=self._may_start(plan))
        if message_id is None or plan is None:
            return await self._handle_repeat(inbound, settled)
        self._observe("planning", planning + (time.perf_counter() - planned), path="command")  # not the store's time
        turn = Turn(thread=inbound.thread, requester=inbound.user, text=inbound.text, message_id=message_id,
                    settled=settled)
        await self._show_and_run(plan, turn, running)
        return True

    def _command_plan(self, inbound: Inbound) -> Plan | None:
        """The plan of a `!command` when nothing about it needs storing first: no attachments to
        perceive, nothing dropped, invalid or refused by the vetting (each of those is audited
        or answered on the general path). Pure: a duplicate delivery costs nothing but parsing."""
        if inbound.attachments or not is_command(inbound.text) or is_reload_command(inbound.text):
            return None
        request = PlanRequest(text=inbound.text, requester=inbound.user, tools=self.tools_for(inbound.user), round=1)
        outcome = parse_command(inbound.text, self.registry)
        if not isinstance(outcome, Plan):
            return None
        checked = self._vetted(outcome, request)
        if checked.outcome is not outcome or checked.dropped or checked.invalid or checked.ruled_out \
                or self._refusal(inbound.user, outcome):
            return None
        if outcome.needs_approval and self._plan_limit.take(inbound.user.key):
            return None  # over the rate: refused on the general path, which stores the answer
        outcome.thread_id, outcome.requester, outcome.round = inbound.thread.id, inbound.user, 1
        return outcome

    def _may_start(self, plan: Plan) -> bool:
        """Whether a plan about to be proposed can have its first step started in the same
        transaction: it needs no decision, and that step could run (known tool, valid arguments;
        otherwise it fails as unstarted, on the general path of `_run_steps`)."""
        if plan.needs_approval or not plan.steps:
            return False
        first = plan.steps[0]
        return self.executor.check(first, spec=self.registry.get(first.tool)) is None

    async def _perceive(self, inbound: Inbound, message_id: str) -> str:
        """One text from the message and its attachments; each file's outcome is shown too."""
        if self.perceiver is None:
            parts = [Perceiver.refusal(a.name, a.mime_type.split("/")[0], "was not read (perception is off)")
                     for a in inbound.attachments]
            text = "\n".join([inbound.text.strip(), *(part.render() for part in parts)]).strip()
        else:
            text, parts = await self.perceiver.perceive_message(
                inbound.text, inbound.attachments, self._fetchers.get(inbound.thread.platform),
                user=inbound.user.key)
        await self.store.set_perceived_text(message_id, text, [a.model_dump(mode="json") for a in inbound.attachments])
        for part in parts:
            await self.notice(inbound.thread, part.shown()[:1500], "info" if part.ok else "warning")
        return text

    def tools_for(self, user: UserRef) -> list:
        disabled = set(self.config.tool_options.disabled)
        return [spec for spec in self.registry.specs()
                if spec.name not in disabled and self.policy.may_request(user, spec).allowed]

    async def _plan_round(self, turn: Turn, *, round_number: int, executed: list[Plan]) -> None:
        planning = time.perf_counter()
        try:
            outcome = await self._plan(turn, round_number, executed)
            self._observe("planning", planning, path="command" if is_command(turn.text) else "model")
        except PlannerError as exc:
            await self.store.append_audit("plan.unavailable", actor=turn.requester.key, thread_id=turn.thread.id,
                                          detail={"error": str(exc), "round": round_number})
            await self.notice(turn.thread, f"I could not plan that: {exc}", "error")
            await self._answer(turn.thread, f"Sorry, I could not plan that: {exc}. Nothing was run.",
                               ends_turn_of=turn.message_id)
            turn.settled()
            return
        if isinstance(outcome, Answer):
            await self._answer(turn.thread, outcome.text, plan_id=executed[-1].id if executed else None,
                               ends_turn_of=turn.message_id)
            turn.settled()
            return
        refusal = self._refusal(turn.requester, outcome)
        if refusal:
            await self.store.append_audit("request.refused", actor=turn.requester.key, thread_id=turn.thread.id,
                                          detail={"reason": refusal, "tools": [s.tool for s in outcome.steps]})
            await self._answer(turn.thread, refusal, ends_turn_of=turn.message_id)
            turn.settled()
            return
        if outcome.needs_approval and (wait := self._plan_limit.take(turn.requester.key)):
            await self._refuse_flood(turn, wait)
            return
        outcome.thread_id, outcome.requester, outcome.round = turn.thread.id, turn.requester, round_number
        plan, running = await self.store.propose_and_start(outcome, message_id=turn.message_id,
                                                           ttl_seconds=self.config.agent.approval_ttl,
                                                           start_first_step=self._may_start(outcome))
        await self._show_and_run(plan, turn, running)

    async def _show_and_run(self, plan: Plan, turn: Turn, running: str | None) -> None:
        """Show a just-proposed plan, then run what may run now; `running` is the step the store
        already started with the proposal."""
        self._pin(plan)
        await self.emit(turn.thread, PlanEvent.of(plan))
        turn.settled()
        if plan.status is PlanStatus.running:
            await self._run_plan(plan, turn, started=True, running=running)
        else:
            await self._run_steps(plan, turn, leading_reads_only=True)

    async def _plan(self, turn: Turn, round_number: int, executed: list[Plan]) -> Plan | Answer:
        if is_reload_command(turn.text):
            return await self._reload(turn.requester)
        if is_report_command(turn.text):  # issue 21: the thread's incident report
            from chatops.bot.incident_report import thread_report, to_markdown

            report = await thread_report(self.store, turn.thread.id)
            return Answer(text=to_markdown(report) if report else "This thread has nothing to report yet.")
        tools = self.tools_for(turn.requester)
        own = turn_sources(turn.text).own_text()
        silence = await silence_command(self, turn.thread, turn.requester, own) if round_number == 1 else None
        if silence is not None:  # issue 21: "silence this for 2h" in an alert's thread, as its Silence button
            request = PlanRequest(text=silence, requester=turn.requester, tools=tools, round=round_number)
            outcome = parse_command(silence, self.registry)
        elif is_command(turn.text):
            request = PlanRequest(text=turn.text, requester=turn.requester, tools=tools, round=round_number)
            outcome = parse_command(turn.text, self.registry)
        elif self.planner is None:
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
                                  max_steps=self.config.agent.max_steps, earlier=earlier,
                                  own_text=turn_sources(turn.text).own_text(), knowledge=self.knowledge)
            outcome = await self.planner.plan(request)
        if not isinstance(outcome, Plan):
            return outcome
        await prepare_review(outcome, request, self.registry.specs())  # meaning, off the loop
        checked = self._vetted(outcome, request)
        for item in [*checked.dropped, *checked.ruled_out]:
            await self.store.append_audit("step.dropped", actor=turn.requester.key, thread_id=turn.thread.id,
                                          detail={"tool": item.step.tool, "args": item.step.args, "why": item.why})
            if checked.outcome is outcome:
                await self.notice(turn.thread, f"Not proposed: {item.why}.", "warning")
        if checked.invalid:
            await self.store.append_audit("plan.invalid", actor=turn.requester.key, thread_id=turn.thread.id,
                                          detail={"problems": checked.invalid})
        return checked.outcome

    async def _recent_plans(self, turn: Turn, executed: list[Plan]) -> list[Plan]:
        """The thread's newest plans: those read with the message followed by this turn's own
        rounds (the thread's lock keeps other turns out meanwhile; a decision on an older plan
        that lands during the turn is seen from the next turn on), or read from the store."""
        if turn.earlier is None:
            return await self.store.thread_plans(turn.thread.id, limit=EARLIER_PLANS)
        return [*turn.earlier, *executed][-EARLIER_PLANS:]

    def _vetted(self, outcome: Plan, request: PlanRequest) -> Review:
        """A plan as the hub takes it: at most `max_steps` steps, each step's risk from the
        registry (never from the planner), then the review. Pure; the caller records findings."""
        outcome.steps = outcome.steps[: self.config.agent.max_steps]
        for step in outcome.steps:
            spec = self.registry.get(step.tool)
            step.risk = spec.risk if spec else Risk.read
            step.fingerprint = spec.fingerprint() if spec else None
        return review(outcome, request, {spec.name: spec for spec in self.registry.specs()})

    async def _reload(self, user: UserRef) -> Answer:
        verdict = self.policy.may_reload(user)
        if not verdict.allowed:
            await self.store.append_audit("reload.refused", actor=user.key, detail={"reason": verdict.reason})
            return Answer(text=f"You may not reload: {verdict.reason}.")
        if self.reloader is None:
            return Answer(text="Reloading is not available here.")
        text = await self.reloader(user)
        await self.store.append_audit("reload", actor=user.key, detail={"outcome": text[:2000]})
        return Answer(text=text)

    # --- tool definitions pinned to proposed plans ---------------------------------------------

    def _pin(self, plan: Plan) -> None:
        """Keep the definitions a just-proposed plan's steps were fingerprinted with."""
        for step in plan.steps:
            spec = self.registry.get(step.tool)
            if spec is not None and step.fingerprint is not None and step.fingerprint == spec.fingerprint():
                self._kept[step.fingerprint] = spec
                self._kept.move_to_end(step.fingerprint)
        while len(self._kept) > MAX_KEPT_DEFINITIONS:
            self._kept.popitem(last=False)

    def _spec_for(self, step: Step) -> tuple[ToolSpec | None, str | None]:
        """(the definition to run, or why the step cannot run). A step runs the definition it was
        proposed with (its stored fingerprint): the registry's when it is unchanged, the one kept
        in memory when a reload changed it since; otherwise (changed, and not kept here: another
        replica, a restart, an eviction) it is refused, and so is a tool a reload removed. Steps
        stored before fingerprints existed run the current definition."""
        spec = self.registry.get(step.tool)
        if step.fingerprint is None:
            return spec, None
        if spec is None:
            return None, (f"the tool {step.tool} was removed by a reload after this plan was proposed; "
                          "nothing was run")
        if spec.fingerprint() == step.fingerprint:
            return spec, None
        kept = self._kept.get(step.fingerprint)
        if kept is not None:
            return kept, None
        change = (f"its risk is now {spec.risk.value}, it was {step.risk.value}" if spec.risk is not step.risk
                  else "its definition changed")
        return None, (f"the tool {step.tool} changed after this plan was proposed ({change}); "
                      "what was shown for approval is not what would run, so nothing was run. "
                      "Ask again for a plan with the new definition")

    def _changed_tools(self, plan: Plan) -> list[str]:
        """Why each step still waiting for this decision could not run the definition shown."""
        return [problem for step in plan.steps if step.status is StepStatus.proposed
                and (problem := self._spec_for(step)[1]) is not None]

    def _refusal(self, requester: UserRef, plan: Plan) -> str | None:
        for step in plan.steps:
            spec = self.registry.get(step.tool)
            if spec is None:
                continue  # fails as a step error the planner can see
            if spec.name in self.config.tool_options.disabled:
                return f"The tool {spec.name} is disabled here."
            verdict = self.policy.may_request(requester, spec)
            if not verdict.allowed:
                return f"You may not run that: {verdict.reason}."
        for step in plan.steps:
            # nobody is asked to approve a step that cannot run; read steps run at once and fail
            # as step errors the planner sees
            spec = self.registry.get(step.tool)
            if spec is not None and spec.risk is not Risk.read and (problem := self.executor.check(step)):
                return f"I did not propose that, because it could not run: {problem}."
        return None

    # --- running plans ------------------------------------------------------------------------------

    async def _run_plan(self, plan: Plan, turn: Turn, *, started: bool = False, running: str | None = None) -> None:
        """Run a plan just read from (or written to) the store: `plan` holds its current state;
        `running` is a step the store already started. The last step's outcome is stored with
        the plan's end, and with the answer when the hub answers from the results itself (one
        transaction, `Store.finish_round`)."""
        if not started and not await self.store.transition_plan(plan.id, (PlanStatus.approved,), PlanStatus.running):
            return  # someone else is running it, or it was interrupted
        ending = RoundEnding(answers=not self._reviews(plan, turn))
        finished = await self._run_steps(plan, turn, leading_reads_only=False, running=running, ending=ending)
        failed = any(step.status in (StepStatus.failed, StepStatus.interrupted) for step in finished.steps)
        if ending.stored is None:  # no step ended the round (none ran, or one failed before the last)
            settled = await self.store.transition_plan(plan.id, (PlanStatus.running,),
                                                       PlanStatus.failed if failed else PlanStatus.succeeded)
        else:
            settled = ending.stored.plan_status is not None
        finished.status = PlanStatus.failed if failed else PlanStatus.succeeded
        if not settled:
            # another process marked it interrupted (this one's lease lapsed) and answers the turn,
            # if it also took the turn over: when this process heartbeated again in between, the
            # turn is still in its name, so it gives it up for the sweep (`_disown_cut_short`)
            log.warning("plan %s was taken over while it ran; its turn is answered by the new owner", plan.id)
            self._cut_short.add(turn.thread.id)
            return
        if ending.stored is not None and ending.stored.answer_id is not None:
            await self.emit(turn.thread, self._answer_event(turn.thread, ending.text, plan.id))
            return
        await self._after_round(finished, turn)

    async def _run_steps(self, plan: Plan, turn: Turn, *, leading_reads_only: bool, running: str | None = None,
                         ending: RoundEnding | None = None) -> Plan:
        """Run approved steps in order; a failure skips the rest. With `leading_reads_only`, run
        only the read-only steps before the first one that waits for approval. `running` is a
        step the store already started; with `ending`, the last step's outcome is stored with the
        plan's end (see `_finish_last_step`). Returns the plan as it now stands (kept in step
        with the store, so it need not be read back; its steps are copies, `plan`'s stay as
        they were, and nothing here changes a step's arguments, so they need no deep copy)."""
        current = plan.model_copy(update={"steps": [step.model_copy() for step in plan.steps]})
        failed = False
        for position, step in enumerate(current.steps):
            if leading_reads_only and step.risk is not Risk.read:
                break
            if step.status is not StepStatus.approved:
                continue
            spec, problem = self._spec_for(step)
            problem = problem or self.executor.check(step, spec=spec)
            if problem is not None and step.id != running:
                if await self.store.fail_unstarted_step(step.id, problem):
                    step.status, step.error = StepStatus.failed, problem
                    await self.emit(turn.thread, self._step_event(plan, step, StepStatus.failed, error=problem))
                failed = True
                break
            if step.id != running and not await self.store.start_step(step.id):
                continue
            step.status = StepStatus.running
            await self.emit(turn.thread, self._step_event(plan, step, StepStatus.running))
            outcome = await self.executor.run(step, self._tool_context(plan, step, turn), spec=spec)
            last = not any(later.status is StepStatus.approved for later in current.steps[position + 1:])
            if ending is not None and last:
                won = await self._finish_last_step(current, step, outcome, turn, ending)
            else:
                won = await self.store.finish_step(step.id, outcome)
            status = StepStatus.succeeded if outcome.ok else StepStatus.failed
            if not won:
                # this process lost the step's lease: another one has marked it interrupted
                status = StepStatus.interrupted
                outcome = outcome.model_copy(update={
                    "ok": False, "error": "interrupted: this process stopped heartbeating while the step ran; "
                                          "its late result is in the audit log"})
            self._settle_step(step, status, outcome)
            await self.emit(turn.thread, self._step_event(plan, step, status, result=outcome.result,
                                                          summary=outcome.summary, error=outcome.error,
                                                          duration_ms=outcome.duration_ms, outcome=outcome.outcome))
            if not outcome.ok:
                failed = True
                break
        if failed and any(s.status in (StepStatus.approved, StepStatus.proposed) for s in current.steps):
            for step_id in await self.store.skip_remaining_steps(plan.id):
                step = next(s for s in current.steps if s.id == step_id)
                step.status = StepStatus.skipped
                await self.emit(turn.thread, self._step_event(plan, step, StepStatus.skipped))
        return current

    @staticmethod
    def _settle_step(step: Step, status: StepStatus, outcome: StepResult) -> None:
        """Mirror a finished step's stored state on the in-memory plan."""
        step.status, step.result, step.summary = status, outcome.result, outcome.summary
        step.error, step.duration_ms, step.outcome = outcome.error, outcome.duration_ms, outcome.outcome

    async def _finish_last_step(self, current: Plan, step: Step, outcome: StepResult, turn: Turn,
                                ending: RoundEnding) -> bool:
        """Store the last step's outcome, the plan's end and (when the hub answers from the
        results) the answer in one transaction. The answer is written as it will read if the step
        was still this process's; if it was not, the store keeps no answer and the caller goes on
        as before (the step shows as interrupted, the new owner answers)."""
        answer = None
        if ending.answers:
            as_if_won = step.model_copy()
            self._settle_step(as_if_won, StepStatus.succeeded if outcome.ok else StepStatus.failed, outcome)
            steps = [as_if_won if other.id == step.id else other for other in current.steps]
            ending.text = self.redactor.text(summarize_steps(steps, knowledge=self.knowledge)) or ""
            answer = RoundAnswer(thread=turn.thread, text=ending.text, ends_turn_of=turn.message_id)
        ending.stored = await self.store.finish_round(step.id, outcome, current.id, answer=answer)
        return ending.stored.step_won

    def _tool_context(self, plan: Plan, step: Step, turn: Turn) -> ToolContext:
        async def child_started(pgid: int, start_ticks: str) -> None:
            await self.store.record_child(step.id, pgid, start_ticks)

        async def checkpoint(partial: object) -> None:
            await self.store.save_partial_result(step.id, self.redactor.data(partial))

        async def attach(name: str, mime_type: str, data: bytes) -> dict[str, object]:
            # a file the step made (a chart, issue 21): its bytes in the file store, listed with the step
            file = {"name": name, "mime_type": mime_type, "size": len(data), "sha256": await self.store.keep_file(data)}
            await self.store.add_step_file(step.id, file)
            return file

        return ToolContext(requester=turn.requester, thread=turn.thread, plan_id=plan.id, step_id=step.id,
                           config=self.config.tool_config(step.tool), progress=self._progress(turn.thread, step),
                           child_started=child_started, child_ended=self.store.forget_child, checkpoint=checkpoint,
                           attach=attach, approver=step.decided_by)

    def _progress(self, thread: ThreadRef, step: Step) -> Callable[[str], Awaitable[None]]:
        async def report(message: str) -> None:
            await self.notice(thread, f"{step.tool}: {self.redactor.text(message)}")

        return report

    @staticmethod
    def _step_event(plan: Plan, step: Step, status: StepStatus, **fields: object) -> StepEvent:
        return StepEvent(thread=plan.thread_id, plan_id=plan.id, id=step.id, tool=step.tool, status=status,
                         **fields)  # type: ignore[arg-type]

    def _reviews(self, plan: Plan, turn: Turn) -> bool:
        """Whether the planner sees this round's results (to answer or re-plan) rather than the
        hub answering from them itself."""
        reviewer = None if is_command(turn.text) else self.planner
        return reviewer is not None and reviewer.reviews_results and plan.round < self.config.agent.max_rounds

    async def _after_round(self, plan: Plan, turn: Turn) -> None:
        """Answer from the results, or let the planner answer or re-plan (bounded rounds)."""
        if self._reviews(plan, turn):
            if turn.executed is None:
                executed = await self.store.plans_for_message(turn.message_id)
            else:  # every round of this turn ran here: its plans are in memory as stored
                executed = turn.executed = [*turn.executed, plan]
            await self._plan_round(turn, round_number=plan.round + 1, executed=executed)
            return
        await self._answer(turn.thread, summarize(plan, knowledge=self.knowledge), plan_id=plan.id,
                           ends_turn_of=turn.message_id)

    async def _answer(self, thread: ThreadRef, text: str, *, plan_id: str | None = None,
                      ends_turn_of: str | None = None) -> None:
        """Store and show an answer; `ends_turn_of` is the user message whose turn it ends."""
        text = self.redactor.text(text) or ""
        await self.store.record_bot_message(thread, text, ends_turn_of=ends_turn_of)
        await self.emit(thread, self._answer_event(thread, text, plan_id))

    def _answer_event(self, thread: ThreadRef, text: str, plan_id: str | None) -> AnswerEvent:
        """The answer as shown, with its next steps that a tool can run as one-click follow-ups."""
        return AnswerEvent(thread=thread.id, text=text, plan_id=plan_id, next_steps=follow_ups(text, self.registry))

    # --- decisions and expiry ---------------------------------------------------------------------

    async def decide(self, decision: Decision, *,
                     on_decided: Callable[[DecisionEvent], None] | None = None) -> DecisionEvent:
        """Apply an approval or denial. Refusals (not allowed, already decided, expired) change
        nothing but the record, and say why. An approved plan runs before this returns;
        `on_decided` hears the outcome as soon as it is settled, so a caller that must answer
        quickly (an HTTP request, a button ack) need not wait for the steps."""

        def settled(event: DecisionEvent) -> DecisionEvent:
            if on_decided is not None:
                on_decided(event)
            return event

        verdict_word = "approve" if decision.approve else "deny"
        plan = await self.store.get_plan(decision.plan_id)
        turn_facts = await self.store.turn_of(decision.plan_id) if plan else None
        if plan is None or turn_facts is None:
            await self.store.record_refused_decision(decision, "no such plan")
            return settled(DecisionEvent(thread="", plan_id=decision.plan_id, decision=verdict_word,
                                         by=decision.user.label(), accepted=False, reason="no such plan"))
        thread, message_id, text = turn_facts
        verdict = self.policy.may_decide(decision.user, plan, approve=decision.approve)
        waiting = [step.id for step in plan.steps if step.status is StepStatus.proposed]
        if verdict.allowed and decision.approve and decision.steps is not None:
            chosen = [step_id for step_id in waiting if step_id in set(decision.steps)]
            if not chosen or len(chosen) != len(set(decision.steps)):
                verdict = Verdict(False, "choose at least one of the plan's waiting steps")
            elif len(chosen) == len(waiting):
                decision = decision.model_copy(update={"steps": None})  # every step: the whole plan
            else:
                decision = decision.model_copy(update={"steps": chosen})
        if not verdict.allowed:
            await self.store.record_refused_decision(decision, verdict.reason)
            event = DecisionEvent(thread=thread.id, plan_id=plan.id, decision=verdict_word,
                                  by=decision.user.label(), accepted=False, reason=verdict.reason,
                                  plan_status=plan.status)
            await self.emit(thread, event)
            return settled(event)
        if decision.approve and plan.status is PlanStatus.proposed and (changed := self._changed_tools(plan)):
            return settled(await self._withdraw(plan, decision, thread, message_id, changed))
        # the conditional UPDATE picks the one winner without the thread's lock, so a losing
        # click is answered at once instead of after the winner's steps have run
        won, reason = await self.store.decide(decision)
        if not won and reason == "the plan has expired":
            await self.expire_due()
        plan = await self.store.get_plan(plan.id)
        assert plan is not None
        by = NO_ANSWER if decision.source == END_OF_INPUT else decision.user.label()
        numbers = ([n for n, step in enumerate(plan.steps, 1) if step.id in set(decision.steps)]
                   if won and decision.steps is not None else None)
        event = DecisionEvent(thread=thread.id, plan_id=plan.id, decision=verdict_word,
                              by=by, accepted=won, reason=reason, plan_status=plan.status, steps=numbers)
        await self.emit(thread, event)
        settled(event)
        if won:
            try:
                async with self._locks.hold(thread.id):  # the run waits for the thread's current turn
                    history = (await self.store.thread_history(thread.id, limit=21))
                    turn = Turn(thread=thread, requester=plan.requester or decision.user, text=text,
                                message_id=message_id, history=history)
                    if decision.approve:
                        await self._run_plan(plan, turn)
                    elif decision.source == END_OF_INPUT:
                        await self._answer(thread, "Not approved: no answer (end of input). Nothing was changed.",
                                           plan_id=plan.id, ends_turn_of=message_id)
                    else:
                        why = f" Reason: “{decision.note.strip()}”" if decision.note.strip() else ""
                        await self._answer(thread, f"Denied by {decision.user.label()}: nothing was changed.{why}",
                                           plan_id=plan.id, ends_turn_of=message_id)
            except StorageUnavailable:
                self._cut_short.add(thread.id)
                raise
        return event

    async def _withdraw(self, plan: Plan, decision: Decision, thread: ThreadRef, message_id: str,
                        changed: list[str]) -> DecisionEvent:
        """Refuse an approval whose tool changed since the plan was proposed, and withdraw the
        plan (denied by the bot, so its card loses its buttons and says so, and no later click
        can approve it), ending its turn with an answer that says what changed."""
        reason = changed[0]
        await self.store.record_refused_decision(decision, reason)
        event = DecisionEvent(thread=thread.id, plan_id=plan.id, decision="approve", by=decision.user.label(),
                              accepted=False, reason=reason, plan_status=plan.status)
        won, _ = await self.store.decide(Decision(plan_id=plan.id, approve=False, user=WITHDRAWN_BY,
                                                  source="tool-changed"))
        if won:
            withdrawn = await self.store.get_plan(plan.id)
            event.plan_status = withdrawn.status if withdrawn else plan.status
            await self.emit(thread, event)
            if withdrawn is not None:
                await self.emit(thread, PlanEvent.of(withdrawn))
            async with self._locks.hold(thread.id):
                await self._answer(thread, f"Not run: {'; '.join(changed)}.", plan_id=plan.id,
                                   ends_turn_of=message_id)
        else:
            await self.emit(thread, event)
        return event

    async def begin_decision(self, decision: Decision) -> tuple[DecisionEvent, asyncio.Task[DecisionEvent]]:
        """Start `decide` and return as soon as the decision is settled, with the task that goes on
        to run an approved plan: a button ack or an HTTP answer need not wait for the steps."""
        decided: asyncio.Future[DecisionEvent] = asyncio.get_running_loop().create_future()

        def settle(event: DecisionEvent) -> None:
            if not decided.done():
                decided.set_result(event)

        run = asyncio.create_task(self.decide(decision, on_decided=settle), name=f"chatops-decide-{decision.plan_id}")
        await asyncio.wait({run, decided}, return_when=asyncio.FIRST_COMPLETED)
        if not decided.done():
            return run.result(), run  # `decide` failed before settling: its exception surfaces here
        return decided.result(), run

    async def expire_due(self) -> list[str]:
        expired = await self.store.expire_due()
        for plan_id in expired:
            plan = await self.store.get_plan(plan_id)
            thread = await self.store.thread_ref(plan.thread_id) if plan else None
            if plan is None or thread is None:
                continue
            await self.emit(thread, PlanEvent.of(plan))
            await self.notice(thread, f"The plan “{plan.goal}” expired after "
                                      f"{duration_words(self.config.agent.approval_ttl)} without a decision; "
                                      "nothing that needed approval was run.", "warning")
        return expired

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval)
            try:
                await self.expire_due()
            except Exception:
                log.exception("the expiry sweep failed")

    # --- live work: heartbeat, orphans, turns cut short ------------------------------------------

    async def _keep_alive(self) -> None:
        """Heartbeat every third of the lease; each time, take over what dead processes left and
        let the store do its housekeeping (WAL checkpoint, retention) off the turn path."""
        maintenance = Maintenance(self.store, self.config)
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            try:
                if not await self.store.heartbeat():
                    # its lease lapsed (the loop was blocked, the machine suspended) and another
                    # process took over its work: carry on under a new identity, owning only new work
                    log.error("this process was declared stopped by another one (its heartbeat lapsed); "
                              "registering again")
                    await self.store.register_process()
                self._disown_cut_short()
                await self._take_over_orphans(announce=True)
                await maintenance.run_due()
            except StorageUnavailable as exc:
                log.warning("heartbeat: %s", exc)
            except Exception:
                log.exception("the heartbeat failed")

    @staticmethod
    async def _kill_groups(children: list[tuple[int, str]]) -> None:
        """Kill the runbook process groups a stopped process left (reading /proc: off the loop)."""
        for pgid, start_ticks in children:
            if await asyncio.to_thread(kill_group, pgid, start_ticks):
                log.warning("killed process group %d, left running by a stopped bot process", pgid)

    async def _take_over_orphans(self, *, announce: bool, resume_turns: bool = True) -> list[str]:
        """Interrupt the running work of dead processes, kill the process groups they left, and
        resume the turns they cut short. Returns the plans interrupted."""
        taken = await self.store.take_over_orphans()
        if taken.steps:
            log.warning("marked %d step(s) of stopped processes as interrupted", len(taken.steps))
        await self._kill_groups(taken.children)
        if announce:
            for plan_id in taken.plans:
                plan = await self.store.get_plan(plan_id)
                thread = await self.store.thread_ref(plan.thread_id) if plan else None
                if plan is not None and thread is not None:
                    await self.emit(thread, PlanEvent.of(plan))
        if resume_turns:
            await self._resume_orphaned_turns()
        return taken.plans

    def _disown_cut_short(self) -> None:
        """The database answers again: give up what turns cut short by a storage fault left in
        this process's name (a step shown running, a turn never ended), so that the orphan sweep,
        here or in another process, interrupts it and answers as after a crash. A live process
        is never taken over otherwise, so without this such a thread waited forever. In its own
        task, behind the thread's lock: the heartbeat never waits on a turn."""
        for thread_id in list(self._cut_short):
            self._cut_short.discard(thread_id)

            async def disown(thread_id: str = thread_id) -> None:
                try:
                    async with self._locks.hold(thread_id):  # no turn of the thread runs here meanwhile
                        await self.store.disown_thread_work(thread_id)
                except StorageUnavailable:
                    self._cut_short.add(thread_id)  # the next heartbeat tries again
                except Exception:
                    log.exception("giving up the cut-short work of thread %s failed", thread_id)

            task = asyncio.create_task(disown(), name=f"chatops-disown-{thread_id}")
            self._resuming.add(task)
            task.add_done_callback(self._resuming.discard)

    async def _resume_orphaned_turns(self) -> None:
        for message_id in await self.store.claim_orphaned_turns():
            self._spawn_resume(message_id)

    async def settle_resumed(self) -> None:
        """Wait for the turns being resumed now (tests, shutdown)."""
        while self._resuming:
            await asyncio.wait(set(self._resuming))

    def _spawn_resume(self, message_id: str) -> None:
        async def resume() -> None:
            try:
                facts = await self.store.unfinished_turn(message_id)
                if facts is None:
                    return
                async with self._locks.hold(facts["thread"].id):
                    await self._resume_turn(message_id, Once(None))
            except Exception:
                log.exception("resuming the turn of message %s failed", message_id)

        task = asyncio.create_task(resume(), name=f"chatops-resume-{message_id}")
        self._resuming.add(task)
        task.add_done_callback(self._resuming.discard)

    async def _resume_turn(self, message_id: str, settled: Once) -> None:
        """Finish a turn a crash cut short (the caller holds the thread's lock). Nothing had run
        if it has no plan: plan it again (or, with `agent.unfinished_turns = "notice"`, say so).
        If its last plan finished, answer from the results; if it was interrupted, say what ran."""
        facts = await self.store.unfinished_turn(message_id)
        if facts is None:
            return
        thread, plans = facts["thread"], facts["plans"]
        turn = Turn(thread=thread, requester=facts["user"], text=facts["text"], message_id=message_id,
                    history=facts["history"], settled=settled)
        if not plans:
            if self.config.agent.unfinished_turns == "notice":
                await self._answer(thread, f"I was restarted before I could answer “{_clip(turn.text)}”. "
                                           "Nothing was run; please send it again.", ends_turn_of=message_id)
                settled()
                return
            await self.notice(thread, f"Picking up “{_clip(turn.text)}” again after a restart (nothing had run).")
            await self._plan_round(turn, round_number=1, executed=[])
            return
        latest = plans[-1]
        if latest.status in (PlanStatus.expired, PlanStatus.denied):
            await self.store.end_turn(message_id)
        elif latest.status is PlanStatus.interrupted:
            await self._answer(thread, "The bot restarted while this ran; nothing was run again.\n" + summarize(latest),
                               plan_id=latest.id, ends_turn_of=message_id)
        elif latest.status in (PlanStatus.succeeded, PlanStatus.failed):
            await self._after_round(latest, turn)
        settled()


NO_ANSWER = "no answer (end of input)"


def duration_words(seconds: float) -> str:
    """`8 s`, `15 min`, `1 h 30 min`: a duration as a person would say it (never "0.133333 min")."""
    seconds = round(seconds)
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
