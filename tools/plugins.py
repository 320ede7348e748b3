"""Tools from installed packages: the `chatops.tools` entry-point group.

A plugin package declares, in its pyproject.toml:

    [project.entry-points."chatops.tools"]
    my_tools = "my_package.tools"

and the entry point may name a module (every `@tool` function in it is taken), one decorated
function, or a list of them. A plugin that fails to load is reported, never fatal.
"""

from __future__ import annotations

import inspect
import logging
from importlib.metadata import entry_points
from typing import Any

from chatops.tools.registry import SPEC_ATTRIBUTE, ToolSpec, spec_of

GROUP = "chatops.tools"
log = logging.getLogger("chatops.plugins")


def tools_in(obj: Any) -> list[ToolSpec]:
    if isinstance(obj, ToolSpec) or hasattr(obj, SPEC_ATTRIBUTE):
        return [spec_of(obj)]
    if inspect.ismodule(obj):
        return [spec_of(value) for value in vars(obj).values() if hasattr(value, SPEC_ATTRIBUTE)]
    if isinstance(obj, list | tuple):
        return [spec for item in obj for spec in tools_in(item)]
    raise TypeError(f"{obj!r} holds no tools")


def plugin_tools() -> tuple[list[ToolSpec], list[str]]:
    """(tools found, problems): every entry point of the group, loaded one by one."""
    found: list[ToolSpec] = []
    problems: list[str] = []
    for entry in entry_points(group=GROUP):
        try:
            found += tools_in(entry.load())
        except Exception as exc:
            problems.append(f"plugin {entry.name} ({entry.value}): {type(exc).__name__}: {exc}")
            log.warning("could not load tool plugin %s: %s", entry.name, exc)
    return found, problems
