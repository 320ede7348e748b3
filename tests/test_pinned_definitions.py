"""The definitions kept for proposed plans (`bot/pinned_tools.py`) are bounded by what a plan can
still use (issue 23): a reload churn no longer fills the 1,000 slots with definitions of expired
plans, and what was approved still runs, or nothing does."""

from __future__ import annotations

import asyncio

from chatops.bot.model import Plan, Risk, Step, StepStatus
from chatops.bot.pinned_tools import PinnedDefinitions
from chatops.tools import ToolRegistry, tool

KEEP_FOR = 600.0  # the chaos soak's `agent.approval_ttl`


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def version(number: int) -> ToolRegistry:
    """The registry after the `number`th reload: `scale` with its own timeout, so its own fingerprint."""

    @tool(name="scale", risk=Risk.write, timeout=30 + number)
    def scale(service: str) -> str:
        """Scale a service."""
        return f"v{number}"

    return ToolRegistry([scale])


def proposed(registry: ToolRegistry) -> Plan:
    spec = registry.get("scale")
    assert spec is not None
    return Plan(goal="scale web", steps=[Step(tool="scale", args={"service": "web"}, risk=Risk.write,
                                              fingerprint=spec.fingerprint())])


def test_a_reload_churn_keeps_only_the_definitions_of_plans_that_can_still_be_approved() -> None:
    clock = Clock()
    pinned = PinnedDefinitions(keep_for=KEEP_FOR, clock=clock)
    for number in range(600):  # a reload and a plan every 6 s for an hour (the soak: ~14 a minute)
        pinned.pin(proposed(version(number)), version(number))
        clock.now += 6
    # only the last approval_ttl's worth (101 versions), not the 1,000 an LRU bound alone kept
    assert len(pinned) <= KEEP_FOR / 6 + 1


def test_a_plan_approved_before_its_expiry_runs_its_definition_however_long_it_waits() -> None:
    clock = Clock()
    pinned = PinnedDefinitions(keep_for=KEEP_FOR, clock=clock)
    first = version(1)
    plan = proposed(first)
    pinned.pin(plan, first)
    clock.now += KEEP_FOR - 1  # approved just before it expires: the check at approval still finds it
    assert pinned.changed(plan, version(2)) == []
    with pinned.holding(plan):  # waiting for the thread, then running: other plans come and go
        for number in range(2, 300):
            clock.now += 6
            pinned.pin(proposed(version(number)), version(number))
        step = plan.steps[0].model_copy(update={"status": StepStatus.approved})
        spec, problem = pinned.spec_for(step, version(300))
    assert problem is None and spec is not None and spec.timeout == 31  # the approved definition, v1


def test_a_definition_no_plan_can_use_is_forgotten_and_then_nothing_runs() -> None:
    clock = Clock()
    pinned = PinnedDefinitions(keep_for=KEEP_FOR, clock=clock)
    first = version(1)
    plan = proposed(first)
    pinned.pin(plan, first)
    clock.now += KEEP_FOR + 1  # its plan has expired: nobody can approve it any more
    pinned.pin(proposed(version(2)), version(2))
    assert len(pinned) == 1
    # had a click still got through, what was shown is not what would run: it is refused, not swapped
    spec, problem = pinned.spec_for(plan.steps[0], version(2))
    assert spec is None and problem is not None and "changed after this plan was proposed" in problem


async def test_the_hub_forgets_a_definition_once_its_plan_could_no_longer_be_approved(make_bot) -> None:
    """The hub's pins last `agent.approval_ttl` (a plan expires then), not until 1,000 newer ones."""
    bot = await make_bot(agent={"approval_ttl": 0.3})
    pinned = bot.hub.pinned
    before = len(pinned._kept)  # the map itself, so this also reads before `__len__` existed
    pinned.pin(proposed(version(1)), version(1))
    await asyncio.sleep(0.4)
    pinned.pin(proposed(version(2)), version(2))
    assert len(pinned._kept) == before + 1  # only version 2's
