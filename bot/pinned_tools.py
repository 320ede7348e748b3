"""The tool definitions plans were proposed with, kept so a reload cannot change what was approved.

A step stores the fingerprint of the definition it was proposed with. When it runs, it runs that
definition: the registry's when unchanged, the one kept here when a reload changed it since, and
nothing at all otherwise (changed and not kept: another replica, a restart, an eviction; or a
tool a reload removed). What was shown for approval is what runs, or nothing does.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from chatops.bot.model import Plan, Step, StepStatus
from chatops.tools.registry import ToolRegistry, ToolSpec

# tool definitions (by fingerprint) kept in memory so that a plan proposed before a reload runs
# the definition it was approved with; an evicted one is refused, never replaced (see `spec_for`)
MAX_KEPT_DEFINITIONS = 1000


class PinnedDefinitions:
    """fingerprint → the definition a proposed plan's step was fingerprinted with: kept while a
    plan may still need it, and never more than `limit` (the oldest go first).

    A plan can be approved only until it expires (`agent.approval_ttl` after it was proposed), so
    a definition nobody pinned, approved or ran with for `keep_for` seconds is forgotten unless a
    run or an approval `holding` it is under way. Issue 23: with only the LRU bound, a reload
    every few seconds (the chaos soak's churn) filled the 1,000 slots with definitions no plan
    could use any more, each with its schema and validator, and that read as a slow leak."""

    def __init__(self, limit: int = MAX_KEPT_DEFINITIONS, *, keep_for: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._kept: OrderedDict[str, tuple[ToolSpec, float]] = OrderedDict()  # oldest use first
        self._held: Counter[str] = Counter()
        self._limit = limit
        self._keep_for = keep_for
        self._clock = clock

    def __len__(self) -> int:
        return len(self._kept)

    def pin(self, plan: Plan, registry: ToolRegistry) -> None:
        """Keep the definitions a just-proposed plan's steps were fingerprinted with, and forget
        those no plan can still use."""
        now = self._clock()
        for step in plan.steps:
            spec = registry.get(step.tool)
            if spec is not None and step.fingerprint is not None and step.fingerprint == spec.fingerprint():
                self._kept[step.fingerprint] = (spec, now)
                self._kept.move_to_end(step.fingerprint)
        self._forget_unused(now)
        while len(self._kept) > self._limit:
            self._kept.popitem(last=False)

    def _forget_unused(self, now: float) -> None:
        if self._keep_for is None:
            return
        for fingerprint, (_, used) in list(self._kept.items()):
            if now - used <= self._keep_for:
                break  # ordered by use: the rest are newer
            if not self._held[fingerprint]:
                del self._kept[fingerprint]

    def _used(self, fingerprint: str) -> ToolSpec | None:
        kept = self._kept.get(fingerprint)
        if kept is None:
            return None
        self._kept[fingerprint] = (kept[0], self._clock())
        self._kept.move_to_end(fingerprint)
        return kept[0]

    @contextmanager
    def holding(self, plan: Plan) -> Iterator[None]:
        """Keep the plan's definitions however long its approval waits for the thread or its
        steps run (an approved plan runs what was approved, not "nothing" because it was slow)."""
        fingerprints = [step.fingerprint for step in plan.steps if step.fingerprint is not None]
        self._held.update(fingerprints)
        try:
            yield
        finally:
            self._held.subtract(fingerprints)
            self._held += Counter()  # drops the zeros: the counter holds only what is held

    def spec_for(self, step: Step, registry: ToolRegistry) -> tuple[ToolSpec | None, str | None]:
        """(the definition to run, or why the step cannot run). Steps stored before fingerprints
        existed run the current definition."""
        spec = registry.get(step.tool)
        if step.fingerprint is None:
            return spec, None
        kept = self._used(step.fingerprint)  # asked for (an approval, a run): still needed
        if spec is None:
            return None, (f"the tool {step.tool} was removed by a reload after this plan was proposed; "
                          "nothing was run")
        if spec.fingerprint() == step.fingerprint:
            return spec, None
        if kept is not None:
            return kept, None
        change = (f"its risk is now {spec.risk.value}, it was {step.risk.value}" if spec.risk is not step.risk
                  else "its definition changed")
        return None, (f"the tool {step.tool} changed after this plan was proposed ({change}); "
                      "what was shown for approval is not what would run, so nothing was run. "
                      "Ask again for a plan with the new definition")

    def changed(self, plan: Plan, registry: ToolRegistry) -> list[str]:
        """Why each step still waiting for a decision could not run the definition shown."""
        return [problem for step in plan.steps if step.status is StepStatus.proposed
                and (problem := self.spec_for(step, registry)[1]) is not None]
