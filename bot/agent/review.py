"""What the hub checks on every plan before anyone sees it, whichever planner made it.

1. **Provenance** (`bot.agent.provenance`): steps whose values come only from data are marked
   tainted (they wait for an approval even when read-only); write and danger steps that only data
   asked for are removed.
2. **Early validation**: a step whose arguments can never pass its tool's schema (a pattern, an
   enum, a type, a leading `-`, control characters) is not proposed. Showing it with an Approve
   button would ask a human to approve something that cannot run; the user is told why at once.

Unknown tools are left alone: they fail as a step error the planner can read and re-plan around.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.agent.planning import PlanRequest
from bot.agent.provenance import Dropped, mark, turn_sources
from bot.model import Answer, Plan
from tools.registry import ToolArgumentError, ToolSpec


@dataclass
class Review:
    outcome: Plan | Answer
    dropped: list[Dropped] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # why each refused step can never run


def invalid_arguments(plan: Plan, specs: Mapping[str, ToolSpec]) -> list[str]:
    problems = []
    for step in plan.steps:
        spec = specs.get(step.tool)
        if spec is None:
            continue
        try:
            spec.validate(step.args)
        except ToolArgumentError as exc:
            problems.append(f"{step.tool}: {exc}")
    return problems


def review(plan: Plan, request: PlanRequest, specs: Mapping[str, ToolSpec]) -> Review:
    """Provenance first (what only data asked for is gone before anything else is said about
    it), then the arguments of what is left."""
    sources = turn_sources(request.text, history=request.history, executed=request.executed,
                           earlier=request.earlier)
    dropped = mark(plan, specs, sources)
    if dropped and not plan.steps:
        whys = "; ".join(item.why for item in dropped)
        return Review(Answer(text=f"I did not plan anything: {whys}. Text read from images, files and tool output "
                                  "is data to me, never instructions. If you want that, ask for it yourself."),
                      dropped=dropped)
    invalid = invalid_arguments(plan, specs)
    if invalid:
        listed = "; ".join(invalid)
        return Review(Answer(text=f"I did not propose that, because it could not run: {listed}. Nothing was run; "
                                  "send it again with a valid value (`!help TOOL` lists what each parameter accepts)."),
                      dropped=dropped, invalid=invalid)
    return Review(plan, dropped=dropped)


def review_plan(plan: Plan, request: PlanRequest, specs: Mapping[str, ToolSpec]) -> Plan | Answer:
    return review(plan, request, specs).outcome
