"""The tool definitions plans were proposed with, kept so a reload cannot change what was approved.

A step stores the fingerprint of the definition it was proposed with. When it runs, it runs that
definition: the registry's when unchanged, the one kept here when a reload changed it since, and
nothing at all otherwise (changed and not kept: another replica, a restart, an eviction; or a
tool a reload removed). What was shown for approval is what runs, or nothing does.
"""

from __future__ import annotations

from collections import OrderedDict

from chatops.bot.model import Plan, Step, StepStatus
from chatops.tools.registry import ToolRegistry, ToolSpec

# tool definitions (by fingerprint) kept in memory so that a plan proposed before a reload runs
# the definition it was approved with; an evicted one is refused, never replaced (see `spec_for`)
MAX_KEPT_DEFINITIONS = 1000


class PinnedDefinitions:
    """fingerprint → the definition a proposed plan's step was fingerprinted with (LRU-bounded)."""

    def __init__(self, limit: int = MAX_KEPT_DEFINITIONS) -> None:
        self._kept: OrderedDict[str, ToolSpec] = OrderedDict()
        self._limit = limit

    def pin(self, plan: Plan, registry: ToolRegistry) -> None:
        """Keep the definitions a just-proposed plan's steps were fingerprinted with."""
        for step in plan.steps:
            spec = registry.get(step.tool)
            if spec is not None and step.fingerprint is not None and step.fingerprint == spec.fingerprint():
                self._kept[step.fingerprint] = spec
                self._kept.move_to_end(step.fingerprint)
        while len(self._kept) > self._limit:
            self._kept.popitem(last=False)

    def spec_for(self, step: Step, registry: ToolRegistry) -> tuple[ToolSpec | None, str | None]:
        """(the definition to run, or why the step cannot run). Steps stored before fingerprints
        existed run the current definition."""
        spec = registry.get(step.tool)
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

    def changed(self, plan: Plan, registry: ToolRegistry) -> list[str]:
        """Why each step still waiting for a decision could not run the definition shown."""
        return [problem for step in plan.steps if step.status is StepStatus.proposed
                and (problem := self.spec_for(step, registry)[1]) is not None]
