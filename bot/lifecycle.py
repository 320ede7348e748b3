"""The process's life in the shared database: registration, heartbeat, take-over, resumption, retirement.

Live work belongs to a process (DESIGN.md, "Live work belongs to a process"). This process
registers, heartbeats every third of its lease, and on each beat interrupts the work of processes
that stopped heartbeating (killing the runbook process groups they left) and resumes the turns
they cut short, so each answer still reaches its thread. A turn a storage fault cut short here is
given up once the database answers again, so that the same sweep ends it. On stop, what this
process still holds is interrupted at once rather than after its lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from chatops.bot.agent.answers import summarize
from chatops.bot.alerts import ALERT_PLATFORM, resumed_chart_steps
from chatops.bot.faults import StorageFull, StorageUnavailable
from chatops.bot.maintenance import Maintenance
from chatops.bot.model import PlanEvent, PlanStatus
from chatops.bot.turn import Once, Turn, clip
from chatops.storage.ownership import STORAGE_CUT_STEP
from chatops.tools.process_groups import kill_group

if TYPE_CHECKING:
    from chatops.bot.hub import Hub

log = logging.getLogger("chatops.hub")


class Lifecycle:
    """This process's identity, heartbeat and recovery of what dead processes (or faults) left."""

    def __init__(self, hub: Hub, *, sweep_interval: float) -> None:
        self.hub = hub
        self.sweep_interval = sweep_interval
        self.heartbeat_interval = max(0.2, hub.store.lease_seconds / 3)
        self.registered = False
        self.sweeper: asyncio.Task[None] | None = None
        self.keeper: asyncio.Task[None] | None = None
        self.fence: asyncio.Task[None] | None = None
        self._settled_at_start: list[str] = []
        self._resuming: set[asyncio.Task[None]] = set()
        # threads whose turn (or approved run) a storage fault cut short in this process: given up
        # once the database answers again, so the orphan sweep ends them (see `_disown_cut_short`)
        self._cut_short: set[str] = set()
        # resumptions a storage fault cut short: this process still holds their turns, so nobody
        # else resumes them; tried again at the next heartbeat that reaches the database
        self._resume_again: dict[str, tuple[bool, str | None]] = {}

    async def start(self) -> None:
        """Register this process (its live work is owned by it), take over what dead processes
        left, and start the expiry sweep and the heartbeat."""
        hub = self.hub
        self.registered = True
        try:
            if hub.store.identity is None:
                await hub.store.register_process()
            # turns cut short are resumed once the adapters listen (`republish_settled`) or at the
            # first heartbeat, so that their answers reach the platform they came from
            interrupted_plans = await self._take_over_orphans(announce=False, resume_turns=False)
            # settled while no adapter was listening: shown again by `republish_settled` once they are
            self._settled_at_start = [*interrupted_plans, *await hub.decisions.expire_due()]
        except StorageFull as exc:  # the heartbeat registers and takes over once space returns
            log.warning("starting on a full disk: %s", exc)
        self.sweeper = asyncio.create_task(hub.decisions.sweep(self.sweep_interval), name="chatops-expiry-sweeper")
        self.keeper = asyncio.create_task(self._keep_alive(), name="chatops-heartbeat")
        self.fence = asyncio.create_task(self._end_stuck_transactions(), name="chatops-stuck-transactions")

    async def republish_settled(self) -> int:
        """Show again the plans that were interrupted or expired while the bot was down, now that
        the adapters listen (their cards would otherwise keep live buttons or say "running")."""
        plan_ids, self._settled_at_start = self._settled_at_start, []
        for plan_id in plan_ids:
            await self._show(plan_id)
        await self._resume_orphaned_turns()
        return len(plan_ids)

    async def stop(self) -> None:
        """Stop the sweep, the heartbeat and the resumptions, and retire this process."""
        for task in (self.sweeper, self.keeper, self.fence):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.sweeper = self.keeper = self.fence = None
        for resuming in list(self._resuming):
            resuming.cancel()
        await asyncio.gather(*self._resuming, return_exceptions=True)
        if self.registered:
            self.registered = False
            try:  # what this process still held is interrupted now, not after its lease
                taken = await self.hub.store.retire_process()
            except StorageUnavailable as exc:
                log.warning("could not record this process as stopped: %s", exc)
            else:  # the store forgets the groups it hands back: kill them now or nobody will
                await _kill_groups(taken.children)

    def cut_short(self, thread_id: str) -> None:
        """A storage fault (or a lapsed lease) cut this thread's turn short in this process: its
        work is given up at the next heartbeat that reaches the database."""
        self._cut_short.add(thread_id)

    async def settle_resumed(self) -> None:
        """Wait for the turns being resumed now (tests, shutdown)."""
        while self._resuming:
            await asyncio.wait(set(self._resuming))

    # --- the heartbeat ------------------------------------------------------------------------------

    async def _keep_alive(self) -> None:
        """Heartbeat every third of the lease; each time, take over what dead processes left and
        let the store do its housekeeping (WAL checkpoint, retention) off the turn path."""
        store = self.hub.store
        maintenance = Maintenance(store, self.hub.config)
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            try:
                if not await store.heartbeat():
                    # its lease lapsed (the loop was blocked, the machine suspended) and another
                    # process took over its work: carry on under a new identity, owning only new work
                    log.error("this process was declared stopped by another one (its heartbeat lapsed); "
                              "registering again")
                    await store.register_process()
                self._disown_cut_short()
                self._retry_resumptions()
                await self._take_over_orphans(announce=True)
                await maintenance.run_due()
            except StorageUnavailable as exc:
                log.warning("heartbeat: %s", exc)
            except Exception:
                log.exception("the heartbeat failed")

    async def _end_stuck_transactions(self) -> None:
        """Apart from the heartbeat, which can itself wait behind a frozen replica's locks: end the
        transactions that have been open far too long (`Store.end_stuck_transactions`)."""
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            try:
                ended = await self.hub.store.end_stuck_transactions()
            except Exception as exc:  # the database is down: the heartbeat says so
                log.debug("ending stuck transactions: %s", exc)
            else:
                if ended:
                    log.warning("ended %d database session(s) stuck in a transaction (a replica frozen or "
                                "starved while holding locks)", ended)

    async def _take_over_orphans(self, *, announce: bool, resume_turns: bool = True) -> list[str]:
        """Interrupt the running work of dead processes, kill the process groups they left, and
        resume the turns they cut short. Returns the plans interrupted."""
        taken = await self.hub.store.take_over_orphans()
        if taken.steps:
            log.warning("marked %d step(s) of stopped processes as interrupted", len(taken.steps))
        await _kill_groups(taken.children)
        if announce:
            for plan_id in taken.plans:
                await self._show(plan_id)
        if resume_turns:
            await self._resume_orphaned_turns()
        return taken.plans

    async def _show(self, plan_id: str) -> None:
        store = self.hub.store
        plan = await store.get_plan(plan_id)
        thread = await store.thread_ref(plan.thread_id) if plan else None
        if plan is not None and thread is not None:
            await self.hub.emit(thread, PlanEvent.of(plan))

    def _disown_cut_short(self) -> None:
        """The database answers again: give up what turns cut short by a storage fault left in
        this process's name (a step shown running, a turn never ended), so that the orphan sweep,
        here or in another process, interrupts it and answers as after a crash. A live process
        is never taken over otherwise, so without this such a thread waited forever. In its own
        task, behind the thread's lock: the heartbeat never waits on a turn."""
        hub = self.hub
        for thread_id in list(self._cut_short):
            self._cut_short.discard(thread_id)

            async def disown(thread_id: str = thread_id) -> None:
                try:
                    async with hub.locks.hold(thread_id):  # no turn of the thread runs here meanwhile
                        await hub.store.disown_thread_work(thread_id)
                except StorageUnavailable:
                    self._cut_short.add(thread_id)  # the next heartbeat tries again
                except Exception:
                    log.exception("giving up the cut-short work of thread %s failed", thread_id)

            self._track(asyncio.create_task(disown(), name=f"chatops-disown-{thread_id}"))

    # --- resumption ----------------------------------------------------------------------------------

    async def _resume_orphaned_turns(self) -> None:
        for claimed in await self.hub.store.claim_orphaned_turns():
            self._track(asyncio.create_task(self._resume_in_background(claimed.message_id,
                                                                       after_outage=claimed.after_outage,
                                                                       claim=claimed.claim),
                                            name=f"chatops-resume-{claimed.message_id}"))

    def _track(self, task: asyncio.Task[None]) -> None:
        self._resuming.add(task)
        task.add_done_callback(self._resuming.discard)

    async def _resume_in_background(self, message_id: str, *, after_outage: bool = False,
                                    claim: str | None = None) -> None:
        try:
            await self.hub.started()
            facts = await self.hub.store.unfinished_turn(message_id)
            if facts is None:
                return
            async with self.hub.locks.hold(facts["thread"].id):
                await self.resume_turn(message_id, Once(None), after_outage=after_outage, claim=claim)
        except StorageUnavailable as exc:
            # the database went away again while the turn was being resumed: this process holds
            # the turn, so no sweep takes it; resume it once a heartbeat reaches the database
            log.warning("resuming the turn of message %s: %s; trying again once the database answers",
                        message_id, exc)
            self._resume_again[message_id] = (True, claim)
        except Exception:
            log.exception("resuming the turn of message %s failed", message_id)

    def _retry_resumptions(self) -> None:
        """Resume again the turns whose resumption a storage fault cut short (the database answers
        again: the heartbeat just reached it)."""
        again, self._resume_again = self._resume_again, {}
        for message_id, (after_outage, claim) in again.items():
            self._track(asyncio.create_task(self._resume_in_background(message_id, after_outage=after_outage,
                                                                       claim=claim),
                                            name=f"chatops-resume-{message_id}"))

    async def resume_turn(self, message_id: str, settled: Once, *, after_outage: bool = False,
                          claim: str | None = None) -> None:
        """Finish a turn a crash (or, `after_outage`, a storage fault in a live process) cut short
        (the caller holds the thread's lock). Nothing had run if it has no plan: plan it again
        (or, with `agent.unfinished_turns = "notice"`, say so). If its last plan finished, answer
        from the results; if it was interrupted, say what ran, and why it stopped. `claim` is the
        claim this process took the turn with: only a run holding the turn's latest claim plans
        or answers it (another one may have claimed it while this one waited for the thread)."""
        hub, turns = self.hub, self.hub.turns
        facts = await hub.store.unfinished_turn(message_id)
        if facts is None:
            return
        thread, plans = facts["thread"], facts["plans"]
        turn = Turn(thread=thread, requester=facts["user"], text=facts["text"], message_id=message_id,
                    history=facts["history"], settled=settled, claim=claim)
        cause = cut_short_cause(after_outage or any(
            step.error == STORAGE_CUT_STEP for plan in plans for step in plan.steps))
        if not plans:
            if hub.config.agent.unfinished_turns == "notice":
                await turns.answer(thread, f"{cause.capitalize()} before I could answer “{clip(turn.text)}”. "
                                           "Nothing was run; please send it again.", ends_turn_of=message_id,
                                   claim=claim)
                settled()
                return
            await hub.notice(thread, f"Picking up “{clip(turn.text)}” again: {cause} before I could answer "
                                     "(nothing had run).")
            if turn.requester.platform == ALERT_PLATFORM:  # an alert's diagnosis keeps its chart
                turn.data_steps = await resumed_chart_steps(hub.store, thread, hub.registry)
            await turns.plan_round(turn, round_number=1, executed=[])
            return
        latest = plans[-1]
        if latest.status in (PlanStatus.expired, PlanStatus.denied):
            await hub.store.end_turn(message_id)
        elif latest.status is PlanStatus.interrupted:
            await turns.answer(thread, f"{cause.capitalize()} while this ran; nothing was run again.\n"
                               + summarize(latest), plan_id=latest.id, ends_turn_of=message_id, claim=claim)
        elif latest.status in (PlanStatus.succeeded, PlanStatus.failed):
            await turns.after_round(latest, turn)
        settled()


def cut_short_cause(after_outage: bool) -> str:
    """Why a turn was left unfinished, in the words the thread is told: a restart, or (the process
    lived on) a database that could not be written."""
    return "the database could not be written" if after_outage else "the bot restarted"


async def _kill_groups(children: list[tuple[int, str]]) -> None:
    """Kill the runbook process groups a stopped process left (reading /proc: off the loop)."""
    for pgid, start_ticks in children:
        if await asyncio.to_thread(kill_group, pgid, start_ticks):
            log.warning("killed process group %d, left running by a stopped bot process", pgid)
