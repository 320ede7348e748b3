"""Where the registry comes from, and how it is rebuilt without a restart.

The registry is assembled from two parts: the tools that need no event loop (built-ins,
runbooks, entry-point plugins, `[tools] paths` folders; see `bot.runtime.build_registry`) and
the tools of the MCP servers, which are live connections. An MCP server's tool-list change
rebuilds only the second part; `reload` re-reads both. Each rebuild makes a new `ToolRegistry`
and hands it to the listeners (the hub), so a lookup never sees a half-built registry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chatops.bot import extras
from chatops.bot.config import Config, MCPServerConfig
from chatops.tools.registry import ToolRegistry, ToolSpec

log = logging.getLogger("chatops.toolbox")

RegistryListener = Callable[[ToolRegistry], None]


@dataclass
class ReloadReport:
    """What a reload changed, for `!reload`, `chatops reload` and the log."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    total: int = 0

    def text(self) -> str:
        lines = [f"Reloaded: {self.total} tools."]
        for label, names in (("added", self.added), ("removed", self.removed), ("changed", self.changed)):
            if names:
                lines.append(f"{label}: {', '.join(names)}")
        if self.problems:
            lines.append("problems:")
            lines += [f"- {problem}" for problem in self.problems]
        return "\n".join(lines)


class NoMCPServers:
    """What the toolbox holds while no `[[mcp]]` server is configured (or the `mcp` extra is not
    installed): nothing to start, and the `mcp` SDK (most of a second to import) is never imported."""

    def __init__(self, configs: list[MCPServerConfig] = ()) -> None:  # type: ignore[assignment]
        self.read_image: Any = None
        self.missing = [server.name for server in configs]  # configured, but the extra is missing

    async def start(self) -> list[str]:
        return []

    async def stop(self) -> None:
        return None

    def states(self) -> dict[str, str]:
        return dict.fromkeys(self.missing, f"not installed: {extras.install_command('mcp')}")

    def specs(self) -> tuple[list[ToolSpec], list[str]]:
        return [], []


def mcp_servers(configs: list[MCPServerConfig], on_change: Any = None) -> Any:
    """`MCPServers` for these configs, or `NoMCPServers` when there are none (or when the `mcp`
    extra is missing, which `problems_without_mcp` then reports)."""
    if not configs or not extras.present("mcp"):
        return NoMCPServers(configs)
    from chatops.tools.mcp import MCPServers

    return MCPServers(configs, on_change=on_change)


def problems_without_mcp(configs: list[MCPServerConfig]) -> list[str]:
    """One problem per configured server when the `mcp` extra is not installed."""
    if not configs or extras.present("mcp"):
        return []
    return [f"mcp[{server.name}]: {extras.missing_message('mcp', 'MCP servers ([[mcp]])')}" for server in configs]


def _fingerprint(spec: ToolSpec) -> tuple:
    return (spec.risk, spec.source, spec.timeout, spec.roles, repr(spec.parameters_schema), spec.description)


class Toolbox:
    """The one registry's sources (see the module docstring)."""

    def __init__(self, config: Config, *, build: Callable[[Config], tuple[ToolRegistry, list[str]]]) -> None:
        self.config = config
        self._build = build
        self.mcp = mcp_servers(config.mcp, on_change=self._mcp_changed)
        self._static, self._static_problems = build(config)
        self._start_problems: list[str] = []
        self.registry = ToolRegistry()
        self.problems: list[str] = []
        self._listeners: list[RegistryListener] = []
        self._lock = asyncio.Lock()
        self._assemble()

    def on_registry(self, listener: RegistryListener) -> None:
        """Called with every new registry (after an MCP tool-list change or a reload)."""
        self._listeners.append(listener)

    async def start(self) -> list[str]:
        """Start the MCP servers (all at once, each on its own); returns every loading problem."""
        async with self._lock:
            self._start_problems = [*await self.mcp.start(), *problems_without_mcp(self.config.mcp)]
            self._assemble()
        return self.problems

    async def stop(self) -> None:
        await self.mcp.stop()

    def states(self) -> dict[str, str]:
        """MCP server name → state, for `/healthz`."""
        return self.mcp.states()

    async def reload(self, config: Config) -> ReloadReport:
        """Re-read runbooks, plugin folders and MCP servers from `config`."""
        async with self._lock:
            before = {spec.name: spec for spec in self.registry.specs()}
            self.config = config
            # imports plugin modules and folders: off the loop, so adapters keep their heartbeats
            self._static, self._static_problems = await asyncio.to_thread(self._build, config)
            if isinstance(self.mcp, NoMCPServers) and config.mcp and extras.present("mcp"):
                servers = mcp_servers(config.mcp, on_change=self._mcp_changed)
                servers.read_image = self.mcp.read_image
                self._start_problems = await servers.start()
                self.mcp = servers
            elif isinstance(self.mcp, NoMCPServers):
                self.mcp.missing = [server.name for server in config.mcp]
                self._start_problems = problems_without_mcp(config.mcp)
            else:
                self._start_problems = await self.mcp.reconfigure(config.mcp)
            self._assemble()
            after = {spec.name: spec for spec in self.registry.specs()}
        return ReloadReport(
            added=sorted(set(after) - set(before)),
            removed=sorted(set(before) - set(after)),
            changed=sorted(name for name in set(before) & set(after)
                           if _fingerprint(before[name]) != _fingerprint(after[name])),
            problems=list(self.problems),
            total=len(after),
        )

    async def _mcp_changed(self) -> None:
        async with self._lock:
            self._assemble()
        log.info("the registry was rebuilt after an MCP tool-list change (%d tools)", len(self.registry))

    def _assemble(self) -> None:
        registry = ToolRegistry()
        problems = [*self._static_problems, *self._start_problems]
        for spec in self._static.specs():
            registry.add(spec)
        specs, mcp_problems = self.mcp.specs()
        problems += mcp_problems
        for spec in specs:
            try:
                registry.add(spec)
            except ValueError as exc:
                problems.append(f"{spec.source} tool {spec.name}: {exc}")
        self.registry, self.problems = registry, problems
        for listener in list(self._listeners):
            listener(registry)
