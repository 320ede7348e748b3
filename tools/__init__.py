"""Tools the agent can call: the registry, built-ins, runbooks from config and plugins."""

from chatops.tools.context import ToolContext
from chatops.tools.registry import ToolRegistry, ToolSpec, tool

__all__ = ["ToolContext", "ToolRegistry", "ToolSpec", "tool"]
