"""The hub: the façade every adapter holds over the parts of the conversation loop.

Adapters hand it messages (`handle`) and decisions (`decide`, `begin_decision`) and subscribe to
what it shows (`add_sink`); the runtime starts and stops it and swaps its registry on a reload.
The work itself sits beside it, one file per part: the turn, top to bottom (`bot.turn`), the
decisions on proposed plans and their expiry (`bot.decisions`), and the process's lifecycle and
recovery (`bot.lifecycle`). What they share lives here: the store, the registry, the policy,
the per-thread locks, the sinks and observers, and the definitions pinned to proposed plans.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from chatops.bot.agent.diagnosis import DiagnosisError, KnowledgeBase
from chatops.bot.agent.executor import Executor
from chatops.bot.agent.planning import Planner
from chatops.bot.agent.policy import Policy
from chatops.bot.card_records import CardRecords
from chatops.bot.config import Config
from chatops.bot.decisions import NO_ANSWER, Decisions, duration_words
from chatops.bot.faults import StorageUnavailable
from chatops.bot.feedback import Feedback
from chatops.bot.garbage_collection import tune_garbage_collection
from chatops.bot.lifecycle import Lifecycle
from chatops.bot.model import Decision, DecisionEvent, Inbound, NoticeEvent, Outbound, ThreadRef, UserRef
from chatops.bot.perception.pipeline import Fetch, Perceiver
from chatops.bot.pinned_tools import PinnedDefinitions
from chatops.bot.rate_limits import PlanRateLimit
from chatops.bot.redaction import Redactor
from chatops.bot.thread_locks import ThreadLocks
from chatops.bot.thread_openers import ThreadOpeners
from chatops.bot.turn import Once, TurnProgress, Turns, turn_progress
from chatops.bot.warmup import Warmup
from chatops.storage import Store
from chatops.tools.registry import ToolRegistry, ToolSpec

__all__ = ["NO_ANSWER", "Hub", "Observer", "Reloader", "Sink", "duration_words", "knowledge_for"]

log = logging.getLogger("chatops.hub")

Sink = Callable[[ThreadRef, Outbound], Awaitable[None]]
# `observer(kind, seconds, labels)`: how long a turn, a planning call or a message's perception
# took; metrics exporters subscribe with `Hub.add_observer`.
Observer = Callable[[str, float, dict[str, str]], None]
# `reloader(user)`: re-read the tool sources (runbooks, plugin folders, MCP servers); the answer
# to `!reload`. Set by the runtime, which owns them.
Reloader = Callable[[UserRef], Awaitable[str]]


def knowledge_for(config: Config) -> KnowledgeBase:
    """The diagnosis knowledge base of a config; a folder that cannot be read is logged (and
    named by `chatops check-config`) and the rest is used, so answers still conclude."""
    try:
        return KnowledgeBase.for_config(config)
    except DiagnosisError as exc:
        log.warning("diagnosis knowledge base: %s; using the built-in entries and [[diagnoses]]", exc)
        return KnowledgeBase([*(entry.config for entry in KnowledgeBase.builtin().entries), *config.diagnoses])


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
        self.perceiver = perceiver
        self.reloader: Reloader | None = None
        self.fetchers: dict[str, Fetch] = {}
        self.locks = ThreadLocks(store if store.thread_leases else None)
        self.plan_limit = PlanRateLimit(config.agent.max_plans_per_minute)
        # set by `start_runtime` when the tools and the planner load after listening began: turns,
        # decisions and resumptions wait for them (held, never refused)
        self.warmup: Warmup | None = None
        # the definitions proposed plans were fingerprinted with: what was approved is what runs
        # (kept while a plan can still be approved: `agent.approval_ttl`, or while one runs)
        self.pinned = PinnedDefinitions(keep_for=config.agent.approval_ttl)
        self._sinks: list[Sink] = []
        self._disabled: tuple[Config, dict, frozenset[str]] | None = None  # see `disabled_tools`
        self._observers: list[Observer] = []
        # the parts, each in its own module
        self.turns = Turns(self)
        self.decisions = Decisions(self)
        self.lifecycle = Lifecycle(
            self, sweep_interval=sweep_interval or min(30.0, max(0.5, config.agent.approval_ttl / 4)))

    # --- what the runtime swaps ----------------------------------------------------------------

    def use_registry(self, registry: ToolRegistry) -> None:
        """Plan with a new registry from now on (after a reload or an MCP tool-list change);
        plans already proposed keep the definitions they were proposed with."""
        self.registry = registry
        self.executor.registry = registry

    def use_secrets(self, secrets: list[str]) -> None:
        """Scrub these secrets from now on (a reload may name new `env_from` variables)."""
        self.redactor = Redactor(secrets)
        self.executor.redactor = self.redactor

    def disabled_tools(self) -> frozenset[str]:
        """`[tools] disabled` of the config in force: read once per config (a reload swaps the
        config for a new one, `Runtime`; `Config.tool_options` validates a section at every call)."""
        config = self.config
        cached = self._disabled
        if cached is None or cached[0] is not config or cached[1] is not config.tools:
            cached = self._disabled = (config, config.tools, frozenset(config.tool_options.disabled))
        return cached[2]

    def tools_for(self, user: UserRef) -> list[ToolSpec]:
        """The tools this user may ask for (enabled, and allowed by the policy)."""
        disabled = self.disabled_tools()
        return [spec for spec in self.registry.specs()
                if spec.name not in disabled and self.policy.may_request(user, spec).allowed]

    # --- the turn, decisions, lifecycle -----------------------------------------------------------

    async def handle(self, inbound: Inbound, *, on_settled: Callable[[], None] | None = None) -> bool:
        """Process one message; False when it was a duplicate delivery and nothing happened.
        `on_settled` is called as soon as the message has a plan on show or an answer (read-only
        steps may still be running), or when the turn ends without either; a caller that answers
        a request (the HTTP API) can reply then instead of waiting for the whole turn.
        A storage fault (disk full, read-only) is told in the thread and raised again."""
        settled = Once(on_settled)
        progress = TurnProgress()
        token = turn_progress.set(progress)  # seen by this turn's tasks, not by other turns'
        try:
            await self.started()
            return await self.turns.handle(inbound, settled)
        except StorageUnavailable as exc:
            self.lifecycle.cut_short(inbound.thread.id)
            if progress.stepped:  # "nothing was run" would be untrue, and a retry would run it twice
                after = ("A step had already started: this thread gets its answer once the database can be "
                         "written again (nothing is run twice), so there is no need to send it again.")
            else:
                after = "Nothing was run; please try again later."
            await self.notice(inbound.thread, f"I cannot store anything right now: {exc.message}. {after}",
                              "error", keep=False)
            raise
        finally:
            turn_progress.reset(token)
            settled()

    async def decide(self, decision: Decision, *,
                     on_decided: Callable[[DecisionEvent], None] | None = None) -> DecisionEvent:
        """Apply an approval or denial. Refusals (not allowed, already decided, expired) change
        nothing but the record, and say why. An approved plan runs before this returns;
        `on_decided` hears the outcome as soon as it is settled, so a caller that must answer
        quickly (an HTTP request, a button ack) need not wait for the steps."""
        await self.started()
        return await self.decisions.decide(decision, on_decided=on_decided)

    async def started(self) -> None:
        """Wait while start-up still loads the tools and the planner (at once afterwards)."""
        if self.warmup is not None and not self.warmup.is_ready:
            await self.warmup.ready()

    async def begin_decision(self, decision: Decision) -> tuple[DecisionEvent, asyncio.Task[DecisionEvent]]:
        """Start `decide` and return as soon as the decision is settled, with the task that goes on
        to run an approved plan: a button ack or an HTTP answer need not wait for the steps."""
        await self.started()
        return await self.decisions.begin_decision(decision)

    async def expire_due(self) -> list[str]:
        """Expire the plans whose approval time ran out (the sweep does this on its own)."""
        return await self.decisions.expire_due()

    async def start(self) -> None:
        """Register this process, take over what dead processes left, start sweep and heartbeat.
        The process's garbage collector is tuned for turns here too (`bot.garbage_collection`)."""
        tune_garbage_collection()
        await self.lifecycle.start()

    async def republish_settled(self) -> int:
        """Show again what was interrupted or expired while no adapter listened (see `Lifecycle`)."""
        return await self.lifecycle.republish_settled()

    async def settle_resumed(self) -> None:
        """Wait for the turns being resumed now (tests, shutdown)."""
        await self.lifecycle.settle_resumed()

    async def stop(self) -> None:
        """Stop the background work and retire this process (its live work is interrupted now)."""
        await self.lifecycle.stop()

    # --- fan-out: sinks, fetchers, observers, notices ----------------------------------------------

    def add_fetcher(self, platform: str, fetch: Fetch) -> None:
        """How to download an attachment of that platform (`fetch(attachment, max_bytes)`)."""
        self.fetchers[platform] = fetch

    def remove_fetcher(self, platform: str) -> None:
        self.fetchers.pop(platform, None)

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

    def observe(self, kind: str, started: float, **labels: str) -> None:
        """Tell the observers how long `kind` took since `started` (a `perf_counter` reading)."""
        if not self._observers:
            return
        seconds = time.perf_counter() - started
        for observer in list(self._observers):
            try:
                observer(kind, seconds, labels)
            except Exception:  # metrics must never break a turn
                log.exception("an observer failed on %s", kind)

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
