"""The turn's next round: after a check ran, the action a conditional request asked for when the
check found its condition ("check b-07 and if its power's tripped, reset it to 16 amps"), or an
answer that says what the steps found, beside what an attachment showed.

Why a module of its own: the first round reads the request; this one reads the request against
what ran. The state the condition names is judged from the output (`condition_states`), "it" is
the thing the check looked at when the change takes it alike (`conditions`), and a change that
cannot be undone is never planned on a check that does not say the condition holds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from chatops.bot.agent.answers import summarize_steps
from chatops.bot.agent.condition_states import judged, names_a_state
from chatops.bot.agent.conditions import (
    action_on_subject,
    counted_condition,
    found_problem,
    split_conditional,
    state_values,
    takes_it_as_the_check,
    thing_looked_at,
)
from chatops.bot.agent.followups import Previous
from chatops.bot.agent.planning import PlanRequest
from chatops.bot.agent.provenance import message_parts
from chatops.bot.agent.ranking import Meaning
from chatops.bot.model import Answer, Plan, Risk
from chatops.tools.registry import ToolSpec

PlanText = Callable[[str, "Previous | None", "Meaning | None"], Awaitable["Plan | Answer | None"]]
"""Plans one clause of a request (the guided planner's `_plan_text`)."""
MeaningOf = Callable[[list[str]], Awaitable["Meaning | None"]]
"""Similarities by meaning for these texts, embedded off the event loop (`_meaning_of`)."""


async def next_round(request: PlanRequest, text: str, tools: list[ToolSpec], plan_text: PlanText,
                     meaning_of: MeaningOf) -> Plan | Answer:
    """After a round ran: the action of a conditional request when the check found a problem,
    otherwise an answer that says what the steps found (next to what an attachment showed)."""
    conditional = split_conditional(text)
    ran = [step for plan in request.executed for step in plan.steps]
    data = [part for part in message_parts(request.text) if not part.own]  # attachments: data, never commands
    if conditional is not None and len(request.executed) == 1:
        # the state the condition names, as the output tells it; else the check's outcome decides
        verdict = judged(conditional, request.executed)
        if verdict if verdict is not None else found_problem(request.executed, conditional.condition):
            previous = Previous(ran[-1], next(s for s in tools if s.name == ran[-1].tool), False) \
                if any(s.name == ran[-1].tool for s in tools) else None
            looked_at = thing_looked_at(ran[-1], tools)
            asked = [action_on_subject(conditional, looked_at), action_on_subject(conditional)]
            meaning = await meaning_of(asked)  # "put 523B back to auto": no word of its tool
            action = await plan_text(asked[0], previous, meaning)
            if looked_at is not None and isinstance(action, Plan) and \
                    not all(takes_it_as_the_check(step, ran[-1], tools) for step in action.steps):
                # "check the north kiosk events … reboot it": the zone is no kiosk to reboot
                action = await plan_text(asked[1], previous, meaning)
            if isinstance(action, Plan) and verdict is None and names_a_state(conditional) and \
                    any(s.risk is Risk.danger for s in action.steps):
                return Answer(text=f"{summarize_steps(ran, evidence=True, data=data, knowledge=request.knowledge)}"
                                   f"\nThe check does not say whether {conditional.condition}, so I did not "
                                   f"{conditional.action}: that cannot be undone. Ask for it directly if it is so.")
            if isinstance(action, Plan) and all(any(step.tool == done.tool and step.args == done.args
                                                    for done in ran) for step in action.steps):
                # "… if it's still showing high return air, de-ice it" read as the same check again
                return Answer(text=f"{summarize_steps(ran, data=data, knowledge=request.knowledge)}\n"
                                   f"I found no tool of mine that does this: {conditional.action}.")
            if isinstance(action, Plan):
                for step in action.steps:
                    spec = next((s for s in tools if s.name == step.tool), None)
                    step.args.update(state_values(conditional, spec, step.args) if spec is not None else {})
                    step.reason = f"the check found a problem, and you asked to {conditional.action}"[:200]
                action.goal = f"{conditional.action} (the check found a problem)"[:200]
                return action
            if isinstance(action, Answer):
                return Answer(text=f"{summarize_steps(ran, data=data, knowledge=request.knowledge)}\n{action.text}")
        else:
            held = counted_condition(conditional.condition, [step.summary or "" for step in ran])
            told = f"That is not {conditional.condition}" if held is False or verdict is False else "It is fine"
            return Answer(text=f"{summarize_steps(ran, evidence=True, data=data, knowledge=request.knowledge)}"
                               f"\n{told}, so I did not {conditional.action}.")
    return Answer(text=summarize_steps(ran, evidence=True, data=data, knowledge=request.knowledge,
                                       tools=[spec.name for spec in tools]))
