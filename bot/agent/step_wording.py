"""What the guided planner says in words: a step's goal and reason, the tools it can run, and
what it needs when a value is missing (by name, with the words it did not understand as that
value, and an example to copy). Kept apart from `bot.agent.guided`, which decides; this only
words what was decided."""

from __future__ import annotations

import re
from typing import Any

from chatops.bot.agent.candidate import Candidate
from chatops.bot.agent.entities import STOPWORDS, extract_entities, name_words
from chatops.bot.agent.param_kinds import Param, parameters
from chatops.bot.agent.tool_words import description_stems, tool_vocabulary
from chatops.bot.agent.values import fitting, spans_of
from chatops.tools.registry import ToolSpec


def examples_of(spec: ToolSpec) -> list[str]:
    if spec.examples:
        return list(spec.examples)
    verb = (spec.keywords[0] if spec.keywords else name_words(spec)[0]) if spec.name else ""
    params = parameters(spec)
    enum = next((p.enum[0] for p in params if p.enum), None)
    return [f"{verb} {enum}" if enum else spec.summary.lower()]


def condition_verb(condition: str) -> str:
    """ "it is down" → "is down"; "https://x is not responding" → "is not responding". """
    match = re.search(r"\b(is|does|doesn'?t|isn'?t|fails?|returns?)\b.*$", condition, re.IGNORECASE)
    return match.group(0) if match else "finds a problem"


def tool_listing(tools: list[ToolSpec], limit: int = 12) -> str:
    names = ", ".join(f"{spec.name} ({short_summary(spec)})" for spec in tools[:limit])
    more = f" and {len(tools) - limit} more" if len(tools) > limit else ""
    example = next((spec.examples[0] for spec in tools if spec.examples), None)
    hint = f" Ask e.g. '{example}'" if example else ""
    return f"I can run these tools: {names}{more}.{hint}"


def short_summary(spec: ToolSpec) -> str:
    summary = re.split(r"[:;.(]", spec.summary, maxsplit=1)[0].strip()
    return (summary[:1].lower() + summary[1:])[:80] if summary else spec.name


def goal_of(spec: ToolSpec, args: dict[str, Any]) -> str:
    shown = [str(value) for value in args.values() if value not in (None, "")][:2]
    goal = short_summary(spec)
    goal = goal[:1].upper() + goal[1:]
    return (f"{goal} ({', '.join(shown)})" if shown else goal)[:200]


def reason_of(candidate: Candidate, sources: dict[str, str]) -> str:
    items = [f"'{word}'" for word in candidate.matched[:3]]
    items += [label for label in dict.fromkeys(sources.values())][:3]
    if not items:
        return f"{candidate.name} fits the request best"
    return ("the request mentions " + ", ".join(items))[:200]


def ask_for(spec: ToolSpec, missing: list[Param], tools: list[ToolSpec],
             ties: dict[str, list[str]] | None = None, text: str = "") -> str:
    """Which value is missing, by name; where several words of the request fit equally, which;
    and the request's words that were not understood as that value (they do not fit it)."""
    parts = []
    unfit: list[str] = []
    for param in missing:
        tied = (ties or {}).get(param.name) or []
        if len(tied) > 1:
            options = " or ".join(f"'{value}'" for value in tied[:4])
            parts.append(f"{param.name}: {options} both fit, which one did you mean?")
        elif param.enum:
            parts.append(f"{param.name} (one of {', '.join(map(str, param.enum))})")
        else:
            description = str(param.schema.get("description", "")).strip().rstrip(".")
            parts.append(f"{param.name} ({description})" if description else param.name)
        unfit += [word for word in _unused_words(spec, text) if word not in unfit and not _fits_param(word, param)]
    quoted = f" I did not understand {', '.join(repr(word) for word in unfit[:3])} as that." if unfit else ""
    needed = " and ".join(parts)
    stop = "" if needed.endswith("?") else "."
    return f"To run {spec.name} I need {needed}{stop}{quoted} {example_hint(spec)}".strip()


def out_of_bounds(spec: ToolSpec, refused: dict[str, int]) -> str:
    """Which value the request asked for that the parameter does not take, and what it takes: run
    with its default instead, the tool would do something other than what was asked."""
    params = {param.name: param for param in parameters(spec)}
    parts = []
    for name, value in refused.items():
        schema = params[name].schema if name in params else {}
        takes = _bounds(schema)
        description = str(schema.get("description", "")).strip().rstrip(".")
        parts.append(f"{name} {value}, but {name} takes {takes}" + (f" ({description})" if description else ""))
    return (f"I did not plan {spec.name}: you asked for {' and '.join(parts)}. "
            f"Say a value it takes. {example_hint(spec)}").strip()


def _bounds(schema: dict[str, Any]) -> str:
    """What a number parameter takes, in words: "5 to 120", "at least 1", "more than 0"."""
    low = f"at least {schema['minimum']}" if "minimum" in schema else \
        f"more than {schema['exclusiveMinimum']}" if "exclusiveMinimum" in schema else ""
    high = f"at most {schema['maximum']}" if "maximum" in schema else \
        f"less than {schema['exclusiveMaximum']}" if "exclusiveMaximum" in schema else ""
    if "minimum" in schema and "maximum" in schema:
        return f"{schema['minimum']} to {schema['maximum']}"
    return " and ".join(part for part in (low, high) if part) or "other values"


def _unused_words(spec: ToolSpec, text: str) -> list[str]:
    """The request's words that are not its wording (stop words, the tool's own words)."""
    avoid = tool_vocabulary(spec) | description_stems(spec)
    return [span.text for span in spans_of(extract_entities(text).plain)
            if span.text.lower() not in STOPWORDS and span.stem not in avoid and not span.clause_start]


def _fits_param(word: str, param: Param) -> bool:
    if param.enum:
        return word.lower() in {str(value).lower() for value in param.enum}
    return fitting(word, param.schema) is not None


def example_hint(spec: ToolSpec) -> str:
    if spec.examples:
        return f"Ask e.g. '{spec.examples[0]}'."
    required = [p.name for p in parameters(spec) if p.required] or ["name"]
    return f"You can also run it directly: `!{spec.name} {' '.join(f'{name}=…' for name in required)}`."
