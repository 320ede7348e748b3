"""What the hub checks on every plan before anyone sees it, whichever planner made it.

1. **Provenance** (`bot.agent.provenance`): steps whose values come only from data are marked
   tainted (they wait for an approval even when read-only); write and danger steps that only data
   asked for are removed.
2. **What the user ruled out** (`bot.agent.negation`): a step whose tool the user's own words
   forbid ("don't restart anything, just tell me …") is removed, whichever planner proposed it.
3. **Early validation**: a step whose arguments can never pass its tool's schema (a pattern, an
   enum, a type, a leading `-`, control characters) is not proposed. Showing it with an Approve
   button would ask a human to approve something that cannot run; the user is told why at once.

Unknown tools are left alone: they fail as a step error the planner can read and re-plan around.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chatops.bot.agent.entities import own_text
from chatops.bot.agent.lexicon import MAKE_IT_VALUE, REPEAT, REPLACE
from chatops.bot.agent.negation import ruled_out, split_negations
from chatops.bot.agent.offered import accepted_offer, question_consented_to
from chatops.bot.agent.planning import PlanRequest
from chatops.bot.agent.provenance import Dropped, appears, mark, turn_sources
from chatops.bot.model import Answer, Plan, StepStatus
from chatops.tools.registry import ToolArgumentError, ToolSpec


@dataclass
class Review:
    outcome: Plan | Answer
    dropped: list[Dropped] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # why each refused step can never run
    ruled_out: list[Dropped] = field(default_factory=list)  # steps the user's own words forbid


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


def _asks_for(request: PlanRequest, specs: Mapping[str, ToolSpec],
              own: str | None = None, offer: ToolSpec | None = None) -> Callable[[ToolSpec, list[str]], bool]:
    """Whether the user's own words ask for a tool's action (`bot.agent.asked`); or the user's own
    words (never an attachment's text) point back ("same for search", "again", "what about
    web-2?", "make it 30") at a change that already ran in this thread, so someone allowed to approve
    it did, or that was proposed in it and waits for an approval (it passed this review when it was
    proposed, so the user's own words asked for it then): a repeat of it, with a value replaced, is
    asked for, though the words name it only by reference."""
    # what the user's words and the thread's earlier plans say is read when a step first asks (only
    # a write or danger step in a turn carrying data does, `provenance.mark`): a `!command` turn of
    # read-only steps never pays for it
    facts: list[tuple[str, bool, set[str]]] = []

    def asked(spec: ToolSpec, texts: list[str]) -> bool:
        from chatops.bot.agent.asked import asks_for  # imports provenance, which imports nothing of this

        if not facts:
            words = own_text(request.text)[0] if own is None else own
            again = bool(REPEAT.search(words) or REPLACE.search(words) or MAKE_IT_VALUE.match(words))
            repeatable = {step.tool for plan in request.earlier for step in plan.steps
                          if step.status in (StepStatus.succeeded, StepStatus.failed, StepStatus.proposed)}
            facts.append((words, again, repeatable))
        words, again, repeatable = facts[0]
        # "should we stop ahu-02@annex?" … "Want me to?" … "ok do it": the question became the order
        order = question_consented_to(words, request.history, spec.name)
        accepted = offer is not None and spec.name == offer.name  # "yes do it" to the bot's offer of it
        return accepted or (again and spec.name in repeatable) or \
            asks_for(spec, [*texts, *([order] if order else [])], specs.values())

    return asked


def _picked_by_user(request: PlanRequest, own: str | None = None) -> Callable[[Any], bool]:
    """Whether a value stands in the row of the last step's output that the user's own words
    point at ("cancel the black friday one": the campaign id of that row). Only the user's typed
    words choose the row; an attachment saying "the notebook one" chooses nothing."""
    rows: list[Any] = []  # the row, found when a value is first asked about (a risky tainted step only)

    def picked(value: Any) -> bool:
        if not rows:
            from chatops.bot.agent.pointed_rows import pointed_row

            words = own_text(request.text)[0] if own is None else own
            last = next((step for plan in reversed(request.earlier) for step in reversed(plan.steps)), None)
            rows.append(pointed_row(words, last) if last is not None else None)
        row = rows[0]
        return row is not None and appears(value, row.text)

    return picked


def review(plan: Plan, request: PlanRequest, specs: Mapping[str, ToolSpec]) -> Review:
    """Provenance first (what only data asked for is gone before anything else is said about
    it), then the arguments of what is left. The user's own words are read once for all three
    (`own_text`, a few microseconds each time, three times a `!command` turn)."""
    own, _ = own_text(request.text)
    offer = accepted_offer(own, request.history, specs.values())
    sources = turn_sources(request.text, history=request.history, executed=request.executed,
                           earlier=request.earlier, accepted=offer is not None, specs=specs)
    dropped = mark(plan, specs, sources, _asks_for(request, specs, own, offer), _picked_by_user(request, own))
    forbidden = _ruled_out(plan, request, specs, own)
    if forbidden and not plan.steps:
        whys = "; ".join(item.why for item in forbidden)
        return Review(Answer(text=f"I did not plan anything: {whys}."), dropped=dropped, ruled_out=forbidden)
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
    return Review(plan, dropped=dropped, ruled_out=forbidden)


def _ruled_out(plan: Plan, request: PlanRequest, specs: Mapping[str, ToolSpec],
               own: str | None = None) -> list[Dropped]:
    """Remove the steps whose tool the request's own words rule out; returns them with why."""
    text = own_text(request.text)[0] if own is None else own
    negations = split_negations(text)
    if not negations.spans:
        return []
    # every tool, not only the plan's: "don't take a heap dump, just the threads" names the heap
    # dump more exactly than the thread dump, which is told only beside the other
    forbidden = ruled_out(negations, list(specs.values()))
    removed = [Dropped(step, f"you said not to {forbidden[step.tool]!r} ({step.tool})")
               for step in plan.steps if step.tool in forbidden]
    plan.steps = [step for step in plan.steps if step.tool not in forbidden]
    return removed


def review_plan(plan: Plan, request: PlanRequest, specs: Mapping[str, ToolSpec]) -> Plan | Answer:
    return review(plan, request, specs).outcome
