"""Tools the agent can call: the registry, built-ins, runbooks from config and plugins."""

from tools.context import ToolContext
from tools.registry import ToolRegistry, ToolSpec, tool

__all__ = ["ToolContext", "ToolRegistry", "ToolSpec", "tool"]
