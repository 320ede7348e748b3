"""Checks on a schedule (`[[schedules]]`): each run is a message from the schedule, handled by the
hub like any other (planned, reviewed, gated by the policy), and the channel hears only what
changed.

A run is an inbound message in the schedule's own run thread (platform `schedule`, which no
adapter shows), from a requester who can approve nothing: read-only steps run unattended, and a
step that changes something waits for an approval like everywhere else (and `check-config`
refuses a schedule whose tool writes). When the run's outcome flips, the schedule's visible
thread (the web chat's, `GET /api/v1/schedules` names it) gets "problem since T" with the step's
output, or "ok again after D"; with `notify = "always"`, every run is told.

Durable and single: the state (last run, outcome, next run) is stored, so a restart carries on
where it was; a replica runs a schedule only while it holds the lease `schedule:<name>`, and
each run's message is de-duplicated by its due time, so two replicas never both run one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chatops.bot.alert_cards import duration_words
from chatops.bot.config import ScheduleConfig, duration_seconds
from chatops.bot.model import AnswerEvent, Inbound, Plan, Risk, StepStatus, ThreadRef, UserRef, utcnow
from chatops.bot.thread_openers import HeadCard

if TYPE_CHECKING:
    from chatops.bot.hub import Hub

log = logging.getLogger("chatops.schedules")

RUN_PLATFORM = "schedule"  # the run threads: stored, never shown by an adapter
VISIBLE_PLATFORM = "http"  # the web chat's thread that hears about changes
VISIBLE_OWNER = "schedules"
TICK_SECONDS = 0.5
OUTPUT_SHOWN = 600


def run_thread(schedule: ScheduleConfig) -> ThreadRef:
    return ThreadRef(platform=RUN_PLATFORM, thread=schedule.name)


def visible_thread(schedule: ScheduleConfig) -> ThreadRef:
    return ThreadRef(platform=VISIBLE_PLATFORM, channel=VISIBLE_OWNER, thread=f"s-{schedule.name}")


def requester(schedule: ScheduleConfig) -> UserRef:
    return UserRef(platform=RUN_PLATFORM, id=schedule.name, name=f"schedule {schedule.name}")


def request_text(schedule: ScheduleConfig) -> str:
    """What a run says: the configured request, or `!tool key=value …` for a tool with args."""
    if schedule.request is not None:
        return schedule.request
    words = [f"!{schedule.tool}"]
    for key, value in schedule.args.items():
        shown = ("true" if value else "false") if isinstance(value, bool) else str(value)
        words.append(shlex.quote(f"{key}={shown}"))
    return " ".join(words)


def next_run(schedule: ScheduleConfig, after: datetime) -> datetime:
    """The first run time strictly after `after` (cron in UTC)."""
    if schedule.every is not None:
        return after + timedelta(seconds=duration_seconds(schedule.every))
    from cronsim import CronSim

    return next(CronSim(schedule.cron, after.replace(microsecond=0)))


def outcome_of(plan: Plan | None) -> str | None:
    """"problem" when a step failed or found a problem, "ok" when every step ran fine; None when
    the run planned nothing it could run (an answer, a plan still waiting for an approval)."""
    if plan is None or not plan.steps:
        return None
    if any(step.status is StepStatus.failed or step.outcome == "problem" for step in plan.steps):
        return "problem"
    if all(step.status is StepStatus.succeeded for step in plan.steps):
        return "ok"
    return None


def output_of(plan: Plan) -> str:
    parts = []
    for step in plan.steps:
        said = step.error or step.summary or (str(step.result) if step.result is not None else "")
        parts.append(f"{step.tool}: {' '.join(said.split())}"[:OUTPUT_SHOWN])
    return "\n".join(parts)


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


async def schedule_rows(schedules: list[ScheduleConfig], store: Any) -> list[dict[str, Any]]:
    """`GET /api/v1/schedules`: each configured schedule with its stored state."""
    states = {row["name"]: row for row in await store.schedule_states()}
    rows = []
    for schedule in schedules:
        state = states.get(schedule.name, {})
        rows.append({"name": schedule.name, "every": schedule.every, "cron": schedule.cron,
                     "thread_id": visible_thread(schedule).id, "last_run_at": state.get("last_run_at"),
                     "last_outcome": state.get("last_outcome"), "next_run_at": state.get("next_run_at")})
    return rows


def schedule_problems(schedules: list[ScheduleConfig], registry: Any) -> list[str]:
    """`check-config`: a schedule's tool must exist and only read; so must a `!tool` request's."""
    problems = []
    for schedule in schedules:
        text = request_text(schedule)
        if not text.startswith("!"):
            continue
        name = shlex.split(text[1:])[0] if text[1:].strip() else ""
        spec = registry.get(name)
        key = f"schedules[{schedule.name}]." + ("tool" if schedule.tool else "request")
        if spec is None:
            problems.append(f"{key}: there is no tool named {name!r}")
        elif spec.risk is not Risk.read:
            problems.append(f"{key}: {name} changes something ({spec.risk.value}); a schedule runs unattended, "
                            "so it may only run read-only tools")
    return problems


class Scheduler:
    """Runs the configured schedules in this process, each while this process holds its lease."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.store = hub.store
        self._task: asyncio.Task[None] | None = None
        self._running: dict[str, asyncio.Task[None]] = {}
        self._next: dict[str, datetime] = {}

    @property
    def schedules(self) -> list[ScheduleConfig]:
        return list(self.hub.config.schedules)

    async def start(self) -> None:
        if self.schedules and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="chatops-schedules")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._running.values()):
            task.cancel()
        await asyncio.gather(*self._running.values(), return_exceptions=True)
        self._running.clear()
        for schedule in self.schedules:
            with contextlib.suppress(Exception):
                await self.store.release_lease(f"schedule:{schedule.name}")

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the schedules' tick failed")
            await asyncio.sleep(TICK_SECONDS)

    async def tick(self) -> None:
        """Start every schedule that is due and not running here."""
        now = utcnow()
        for schedule in self.schedules:
            if schedule.name in self._running or self._next.get(schedule.name, now) > now:
                continue
            task = asyncio.create_task(self.run_if_due(schedule), name=f"chatops-schedule-{schedule.name}")
            self._running[schedule.name] = task
            task.add_done_callback(lambda _, name=schedule.name: self._running.pop(name, None))

    async def run_if_due(self, schedule: ScheduleConfig) -> bool:
        """Run the schedule if its stored next run is due and this process holds its lease."""
        now = utcnow()
        state = await self.store.schedule_state(schedule.name, thread_id=visible_thread(schedule).id,
                                                next_run_at=now if schedule.every else next_run(schedule, now))
        due = _parse(state.get("next_run_at")) or now
        self._next[schedule.name] = due
        if due > now:
            return False
        if not await self.store.hold_lease(f"schedule:{schedule.name}"):
            self._next[schedule.name] = now + timedelta(seconds=self.store.lease_seconds / 3)
            return False  # another replica runs it
        try:
            await self._run(schedule, state, due)
        except Exception:
            log.exception("schedule %s failed to run", schedule.name)
            self._next[schedule.name] = utcnow() + timedelta(seconds=TICK_SECONDS * 10)
            return False
        return True

    async def _run(self, schedule: ScheduleConfig, state: dict[str, Any], due: datetime) -> None:
        thread = run_thread(schedule)
        inbound = Inbound(event_id=f"schedule:{schedule.name}:{due.isoformat()}", thread=thread,
                          user=requester(schedule), text=request_text(schedule))
        ran_at = utcnow()
        handled = await self.hub.handle(inbound)
        plans = await self.store.thread_plans(thread.id, limit=1) if handled else []
        plan = plans[-1] if plans else None
        outcome = outcome_of(plan)
        following = next_run(schedule, max(due, ran_at - timedelta(seconds=1)))
        while following <= ran_at:  # a long pause (a restart): skip the runs missed, run once
            following = next_run(schedule, following)
        self._next[schedule.name] = following
        if outcome is None:
            await self.store.record_schedule_run(schedule.name, ran_at=ran_at, outcome=None, changed=False,
                                                 next_run_at=following)
            return
        before = state.get("last_outcome") or None
        changed = outcome != before
        await self.store.record_schedule_run(schedule.name, ran_at=ran_at, outcome=outcome, changed=changed,
                                             next_run_at=following)
        if schedule.notify == "always" or (changed and (before is not None or outcome == "problem")):
            assert plan is not None
            await self._tell(schedule, outcome, plan, ran_at, _parse(state.get("changed_at")), changed)

    async def _tell(self, schedule: ScheduleConfig, outcome: str, plan: Plan, ran_at: datetime,
                    since: datetime | None, changed: bool) -> None:
        thread = visible_thread(schedule)
        when = ran_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        if outcome == "problem":
            head = f"🔴 {schedule.name}: problem since {when}" if changed else f"🔴 {schedule.name}: still a problem"
            text = f"{head}\n{output_of(plan)}"
        elif changed and since is not None:
            text = f"🟢 {schedule.name}: ok again after {duration_words((ran_at - since).total_seconds())}\n" \
                   f"{output_of(plan)}"
        else:
            text = f"🟢 {schedule.name}: ok\n{output_of(plan)}"
        text = self.hub.redactor.text(text) or ""
        threads = [thread] if schedule.web else []
        card = HeadCard(title=f"⏱ {schedule.name}: {'problem' if outcome == 'problem' else 'ok'}",
                        text=f"Scheduled check ({(schedule.every and f'every {schedule.every}') or schedule.cron}): "
                             f"{request_text(schedule)}", state="problem" if outcome == "problem" else "ok")
        key = f"schedule:{schedule.name}"
        for platform, channel in (("slack", schedule.slack_channel), ("discord", schedule.discord_channel)):
            if not channel:
                continue
            known = await self.hub.openers.thread(platform, key)
            opened = known or await self.hub.openers.open(platform, channel, key, card)
            if opened is not None:
                threads.append(opened)
                if known is not None:
                    await self.hub.openers.update(platform, key, card)
        for each in threads:  # the web chat's thread (`web = true`) and the chat threads
            await self.store.record_bot_message(each, text)
            await self.hub.emit(each, AnswerEvent(thread=each.id, text=text))
