"""An MCP tool's risk, from its own annotations or the config's override.

The MCP spec's defaults treat a tool without annotations as possibly destructive, and so do we:
only a tool that says it is read-only runs without an approval, and only one that says it is
not destructive is a mere `write`. Annotations are hints from the server; an operator who knows
better says so in `[mcp.risk]`, and the reason shown next to the risk says which one decided.
`[mcp.risk] default = "write"` is a floor for every tool of that server without its own entry:
annotations may raise a tool above it, never lower it, so a server whose `readOnlyHint` lies
cannot make a writing tool run without an approval.
"""

from __future__ import annotations

from collections.abc import Mapping

from mcp.types import Tool

from chatops.bot.model import Risk

DEFAULT_KEY = "default"  # in `[mcp.risk]`: the floor for the server's tools without an entry
RANK = {Risk.read: 0, Risk.write: 1, Risk.danger: 2}


def risk_of(tool: Tool, overrides: Mapping[str, Risk] | None = None, *, registered_name: str = "") -> tuple[Risk, str]:
    """(risk, why) for one listed tool. An override may name the server's tool name or the name
    it is registered under; `default` raises every other tool to at least that risk."""
    overrides = overrides or {}
    for key in (tool.name, registered_name):
        if key and key != DEFAULT_KEY and key in overrides:
            return Risk(overrides[key]), f"override in [mcp.risk] ({key} = \"{Risk(overrides[key]).value}\")"
    risk, why = _from_annotations(tool)
    floor = overrides.get(DEFAULT_KEY)
    if floor is not None and RANK[risk] < RANK[Risk(floor)]:
        return Risk(floor), f"[mcp.risk] default = \"{Risk(floor).value}\" (the server claims {why})"
    return risk, why


def _from_annotations(tool: Tool) -> tuple[Risk, str]:
    hints = tool.annotations
    if hints is None:
        return Risk.danger, "no annotations (MCP treats an unannotated tool as destructive)"
    if hints.read_only_hint is True:
        return Risk.read, "annotation readOnlyHint: true"
    if hints.destructive_hint is False:
        return Risk.write, "annotations readOnlyHint: false, destructiveHint: false"
    if hints.destructive_hint is True:
        return Risk.danger, "annotation destructiveHint: true"
    return Risk.danger, "not marked read-only or non-destructive (MCP's default is destructive)"
