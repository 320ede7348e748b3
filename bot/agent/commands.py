"""The deterministic fast path: `!tool arg=value …`, `!help`, `!tools`.

Classic chat-ops bots answer commands without any model; so do we. A command becomes a one-step
plan that goes through the same policy, confirmation and executor as a planned one. Values are
split like a shell would (quotes group words) but never run by one.
"""

from __future__ import annotations

import shlex
from typing import Any

from chatops.bot.model import Answer, Plan, Step
from chatops.tools.registry import ToolRegistry, ToolSpec

PREFIX = "!"


RELOAD = "reload"
REPORT = "report"


def is_command(text: str) -> bool:
    return text.lstrip().startswith(PREFIX)


def is_reload_command(text: str) -> bool:
    """`!reload`: re-read runbooks, plugin folders and MCP servers (operators only; the hub asks
    the policy and the runtime does it)."""
    return text.strip() == PREFIX + RELOAD


def is_report_command(text: str) -> bool:
    """`!report`: the thread's incident report (`bot.incident_report`), answered by the hub,
    which reads the thread; anyone who may write in the thread may ask for it."""
    return text.strip() == PREFIX + REPORT


def parse_command(text: str, registry: ToolRegistry) -> Plan | Answer:
    """A one-step plan for `!tool …`, or an answer for `!help`, `!tools` and mistakes."""
    try:
        words = shlex.split(text.strip()[len(PREFIX):])
    except ValueError as exc:
        return Answer(text=f"I could not read that command: {exc}.")
    if not words:
        return Answer(text=help_text(registry))
    name, arguments = words[0], words[1:]
    if name == "help":
        if arguments and (spec := registry.get(arguments[0])):
            return Answer(text=tool_help(spec))
        return Answer(text=help_text(registry))
    if name == "tools":
        return Answer(text=tools_text(registry))
    spec = registry.get(name)
    if spec is None:
        return Answer(text=f"There is no tool called `{name}`. `!tools` lists the tools I have.")
    try:
        args = _arguments(arguments, spec)
    except ValueError as exc:
        return Answer(text=f"{exc}\n\n{tool_help(spec)}")
    return Plan(goal=f"run {name}", steps=[Step(tool=name, args=args, reason="requested with !" + name,
                                               risk=spec.risk)])


def _arguments(words: list[str], spec: ToolSpec) -> dict[str, Any]:
    """`key=value` pairs; bare values fill the parameters in order (`!http_check https://x`)."""
    properties = list(spec.parameters_schema.get("properties", {}))
    args: dict[str, Any] = {}
    positional = iter(properties)
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key in properties:
            args[key] = value
            continue
        name = next((p for p in positional if p not in args), None)
        if name is None:
            raise ValueError(f"`{word}` does not match any parameter of {spec.name}")
        args[name] = word
    return args


def help_text(registry: ToolRegistry) -> str:
    return (
        "Ask me in plain words (\"is https://example.org up?\") or run a tool directly:\n"
        "`!tool_name arg=value …` runs one tool, `!tools` lists them, `!help tool_name` explains one; "
        "operators can `!reload` the tools.\n"
        "Steps that change anything wait for an approval; read-only steps run at once.\n\n"
        + tools_text(registry)
    )


def tools_text(registry: ToolRegistry) -> str:
    lines = [f"- `{spec.name}` ({spec.risk.value}{', ' + spec.source if spec.source.startswith('mcp:') else ''}): "
             f"{spec.summary}" for spec in registry.specs()]
    return "Tools:\n" + "\n".join(lines) if lines else "No tools are registered."


def tool_help(spec: ToolSpec) -> str:
    properties = spec.parameters_schema.get("properties", {})
    required = set(spec.parameters_schema.get("required", []))
    lines = [f"`{spec.name}` ({spec.risk.value}): {spec.description.strip()}", "Parameters:"]
    for name, schema in properties.items():
        kind = schema.get("type") or ("one of " + ", ".join(map(str, schema["enum"])) if "enum" in schema else "value")
        flag = "required" if name in required else f"default {schema.get('default')!r}"
        lines.append(f"- `{name}` ({kind}, {flag}) {schema.get('description', '')}".rstrip())
    if not properties:
        lines.append("- none")
    return "\n".join(lines)
