"""Parameters whose value, when nobody gives one, comes from the thread (`default_from`).

"Silence this for 2h" names no alert: in an alert's thread, "this" is the thread's alert. A tool
says so in its own schema, not the hub in a phrase rule: a parameter annotated with
`json_schema_extra={DEFAULT_FROM: "alert.labels"}` (`x-default-from` in its JSON schema; a
runbook's `default_from = "alert.labels"`, or an MCP `inputSchema` with that key, says the same)
takes the thread's value of that source when the plan leaves it empty, whichever planner made
the plan. The parameter keeps a plain default, so a planner never has to ask for it.

Filled after the review, because the value is not something the planner read in the data: the
tool declared where it comes from, and the card says so. A step whose source the thread does not
have cannot run, and is answered before anyone is asked to approve it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chatops.bot.model import Plan, Step
from chatops.tools.registry import DEFAULT_FROM, ToolArgumentError, ToolSpec


@dataclass(frozen=True)
class ContextValue:
    """One value a thread offers: as data (for object parameters) and as text (for strings), with
    the words the card uses for where it came from."""

    data: Any
    text: str
    origin: str


def declared_sources(spec: ToolSpec) -> dict[str, str]:
    """The parameters of a tool that declare a `default_from`, with the source each names."""
    properties = spec.parameters_schema.get("properties") or {}
    return {name: str(schema[DEFAULT_FROM]) for name, schema in properties.items()
            if isinstance(schema, dict) and schema.get(DEFAULT_FROM)}


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def clear_empty(plan: Plan, specs: Mapping[str, ToolSpec]) -> None:
    """Drop empty values of `default_from` parameters: a planner's "" means "not given", and
    must not be validated (or fail a pattern) before the thread's value fills it."""
    for step in plan.steps:
        spec = specs.get(step.tool)
        for name in declared_sources(spec) if spec else {}:
            if name in step.args and _empty(step.args[name]):
                del step.args[name]


def wanted(plan: Plan, specs: Mapping[str, ToolSpec]) -> set[str]:
    """The sources the plan's steps need a value of (their parameter was left empty)."""
    found: set[str] = set()
    for step in plan.steps:
        spec = specs.get(step.tool)
        for name, source in (declared_sources(spec) if spec else {}).items():
            if _empty(step.args.get(name)):
                found.add(source)
    return found


def fill(plan: Plan, specs: Mapping[str, ToolSpec], values: Mapping[str, ContextValue]) -> list[str]:
    """Fill each step's empty `default_from` parameters from `values`; returns why a step could
    not be filled (its source has no value in this thread, or the value does not fit), one line
    each. Filled steps say where the value came from in their reason."""
    problems = []
    for step in plan.steps:
        spec = specs.get(step.tool)
        if spec is None:
            continue
        properties = spec.parameters_schema.get("properties") or {}
        for name, source in declared_sources(spec).items():
            if not _empty(step.args.get(name)):
                continue
            value = values.get(source)
            if value is None:
                problems.append(f"{step.tool} needs {name}, and this thread has no {source} to take it from; "
                                f"name it yourself")
                continue
            kind = properties[name].get("type")
            step.args[name] = value.text if kind == "string" else value.data
            problems += _checked(step, spec, name, value)
    return problems


def _checked(step: Step, spec: ToolSpec, name: str, value: ContextValue) -> list[str]:
    try:
        spec.validate(step.args)
    except ToolArgumentError as exc:
        return [f"{step.tool}: {name} from {value.origin} does not fit: {exc}"]
    note = f"{name} from {value.origin}"
    step.reason = f"{step.reason} — {note}".strip(" —")[:400] if note not in step.reason else step.reason
    return []
