"""“Undo that”: the step that reverses the previous one, found from the tools' own words.

A team that has `add_group_member` usually has `remove_group_member`; one that can freeze deploys
can lift the freeze; a flag set with `op = "set"` is cleared with `op = "unset"`. After such a
step, "undo that" (or "revert it", "roll that back", "take it back") asks for the reverse: the
same tool with its switch turned the other way, or the one tool whose action is the inverse and
whose every required parameter the previous step's arguments give. Nothing is guessed: with no
such tool, or several, there is no step and the planner answers as it would otherwise.
"""

from __future__ import annotations

import re
from typing import Any

from chatops.bot.agent.actions import tool_actions
from chatops.bot.agent.followups import Previous, call_text
from chatops.bot.agent.lexicon import STATE_WORDS, synonym_class
from chatops.bot.agent.param_kinds import parameters
from chatops.bot.model import Step, StepStatus
from chatops.tools.registry import ToolSpec

UNDO = re.compile(
    r"\b(?:undo|revert|reverse)\s+(?:it|that|this)\b|\b(?:roll|take)\s+(?:it|that|this)\s+back\b",
    re.IGNORECASE,
)
# Actions whose inverse puts things back as they were. Narrower than the opposites the ranking
# refuses (`lexicon.OPPOSITE_CLASSES`): keeping an image tag does not undo its deletion.
INVERSE_CLASSES = {"add": "delete", "delete": "add", "suspend": "resume", "resume": "suspend"}


def undo_step(previous: Previous, tools: list[ToolSpec]) -> Step | None:
    """The step that reverses `previous`, or None when the tools offer no single one."""
    switched = _switched(previous)
    if switched is not None:
        name, value = switched
        args = {**previous.step.args, name: value}
        return _step(previous.spec, args, f"undoes {call_text(previous.step)}: {name} {value}")
    restored = _value_before(previous)
    if restored is not None:
        name, value = restored
        step = _step(previous.spec, {**previous.step.args, name: value},
                     f"undoes {call_text(previous.step)}: {name} back to {value!r}, as its output showed")
        step.tainted = True  # the old value comes from tool output: shown, and approved by a person
        return step
    inverse = INVERSE_CLASSES.get(action_class(previous.spec) or "")
    if inverse is None:
        return None
    fits = []
    for spec in tools:
        if spec.name == previous.spec.name or action_class(spec) != inverse:
            continue
        params = parameters(spec)
        if all(param.name in previous.step.args for param in params if param.required):
            fits.append((spec, {param.name: previous.step.args[param.name] for param in params
                                if param.name in previous.step.args}))
    if len(fits) != 1:
        return None
    spec, args = fits[0]
    return _step(spec, args, f"undoes {call_text(previous.step)}")


def action_class(spec: ToolSpec) -> str | None:
    """The tool's action class: its name's verb or its description's, else its keywords'."""
    return next(iter(tool_actions(spec)), None)


def _value_before(previous: Previous) -> tuple[str, Any] | None:
    """A value the previous step set, and the one its output says it replaced ('max_retries: "3"
    -> "5"', "level info → debug"): setting it back undoes the step. Only a step that gives a value
    (its action sets something), and only when the output shows exactly one such change."""
    if action_class(previous.spec) != "set" or previous.step.status is not StepStatus.succeeded:
        return None
    output = previous.step.summary or ""
    for name, value in previous.step.args.items():
        if not isinstance(value, str) or not value:
            continue
        changes = set(re.findall(rf"\"?([^\s\"]+?)\"?\s*(?:->|→|=>)\s*\"?{re.escape(value)}\"?(?![\w.-])", output))
        if len(changes) == 1:
            return name, changes.pop()
    return None


def _switched(previous: Previous) -> tuple[str, Any] | None:
    """A two-way switch of the previous step turned the other way: `op` set → unset, `mark`
    hold → unhold, `state` on → off. Only an enum with exactly one opposite of the value given."""
    for param in parameters(previous.spec):
        value = previous.step.args.get(param.name)
        if param.kind != "enum" or value is None:
            continue
        opposites = [other for other in param.enum if other != value and _opposite(str(value), str(other))]
        if len(opposites) == 1:
            return param.name, opposites[0]
    return None


def _opposite(one: str, other: str) -> bool:
    a, b = one.lower(), other.lower()
    if a == f"un{b}" or b == f"un{a}":
        return True
    on, off = STATE_WORDS[0], STATE_WORDS[1]
    if (a in on and b in off) or (a in off and b in on):
        return True
    first, second = synonym_class(a), synonym_class(b)
    return first is not None and second is not None and INVERSE_CLASSES.get(first) == second


def _step(spec: ToolSpec, args: dict[str, Any], reason: str) -> Step:
    return Step(tool=spec.name, args=args, reason=reason[:200], risk=spec.risk)
