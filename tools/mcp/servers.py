"""Every configured MCP server, and their tools as `ToolSpec`s.

A server that fails to start or to list is reported and the others work on. A tool's `run`
reaches its server by name through this group, not through a captured connection, so a spec
kept by a plan proposed before a reload still reaches the server as it is now.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.types import Tool

from chatops.bot.config import MCPServerConfig
from chatops.tools.context import ToolContext
from chatops.tools.mcp.arguments import argument_validator
from chatops.tools.mcp.connection import MCPCallFailed, MCPConnection, MCPUnavailable, ServerState
from chatops.tools.mcp.results import MCPToolResult, tool_result
from chatops.tools.mcp.risk import risk_of
from chatops.tools.registry import ToolSpec, without_titles

log = logging.getLogger("chatops.mcp")

# `read_image(data, mime_type)`: the text perception finds in an image a tool returned
ImageReader = Callable[[bytes, str], Awaitable[str]]
# Extra seconds the executor's outer bound waits, so the connection's own timeout (which cancels
# the call on the server too) answers first.
OUTER_TIMEOUT_MARGIN = 5.0


def registered_name(prefix: str, tool: str) -> str:
    """`<prefix>_<tool>`; bare with an empty prefix, and not prefixed twice when the server
    already names its tools that way (`git` + `git_status` stays `git_status`)."""
    if not prefix or tool.startswith(f"{prefix}_"):
        return tool
    return f"{prefix}_{tool}"


class MCPServers:
    """The configured servers, started together, each on its own."""

    def __init__(self, configs: list[MCPServerConfig] = (), *,  # type: ignore[assignment]
                 on_change: Callable[[], Any] | None = None) -> None:
        self.on_change = on_change
        self.connections: dict[str, MCPConnection] = {
            config.name: MCPConnection(config, on_tools_changed=self._tools_changed) for config in configs
        }
        self._retries: dict[str, asyncio.Task[None]] = {}
        self.read_image: ImageReader | None = None  # set by the runtime once perception is built

    async def start(self) -> list[str]:
        """Start every server at once; returns one problem per server that did not start."""
        names = list(self.connections)
        outcomes = await asyncio.gather(*(self.connections[name].start() for name in names), return_exceptions=True)
        problems = []
        for name, outcome in zip(names, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                problems.append(f"mcp[{name}]: did not start: {outcome}")
                self._keep_trying(self.connections[name])
        return problems

    def _keep_trying(self, connection: MCPConnection) -> None:
        """A server that did not start has no tools in the registry, so no step would ever
        restart it: try again in the background, with the same growing backoff, until it comes
        up (its tools then join the registry) or the bot stops."""
        if connection.name in self._retries and not self._retries[connection.name].done():
            return

        async def retry() -> None:
            while connection.state is ServerState.failed:
                await asyncio.sleep(connection.retry_in())
                try:
                    await connection.start()
                except MCPUnavailable as exc:
                    log.info("MCP server %s still unavailable: %s", connection.name, exc)
                    continue
                log.info("MCP server %s started on a later attempt", connection.name)
                await self._tools_changed(connection)

        self._retries[connection.name] = asyncio.get_running_loop().create_task(
            retry(), name=f"chatops-mcp-retry-{connection.name}")

    async def _cancel_retries(self, names: list[str] | None = None) -> None:
        for name in list(self._retries) if names is None else names:
            task = self._retries.pop(name, None)
            if task is not None:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    async def stop(self) -> None:
        await self._cancel_retries()
        await asyncio.gather(*(connection.stop() for connection in self.connections.values()),
                             return_exceptions=True)

    async def reconfigure(self, configs: list[MCPServerConfig]) -> list[str]:
        """Apply a new `[[mcp]]` list: removed or changed servers stop, new or changed ones
        start, unchanged ones list their tools again. Returns the problems."""
        wanted = {config.name: config for config in configs}
        await self._cancel_retries()
        for name in [name for name in self.connections if name not in wanted]:
            await self.connections.pop(name).stop()
        problems: list[str] = []
        jobs = []
        for name, config in wanted.items():
            current = self.connections.get(name)
            if current is not None and current.config == config and current.state is ServerState.ready:
                jobs.append((name, current.refresh_now()))
                continue
            if current is not None:
                await current.stop()
            self.connections[name] = MCPConnection(config, on_tools_changed=self._tools_changed)
            jobs.append((name, self.connections[name].start()))
        outcomes = await asyncio.gather(*(job for _, job in jobs), return_exceptions=True)
        for (name, _), outcome in zip(jobs, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                problems.append(f"mcp[{name}]: did not start: {outcome}")
                self._keep_trying(self.connections[name])
        return problems

    def states(self) -> dict[str, str]:
        """Server name → `ready (N tools)`, `failed: why`, … for `/healthz`."""
        return {name: connection.describe() for name, connection in self.connections.items()}

    async def _tools_changed(self, connection: MCPConnection) -> None:
        if self.on_change is not None:
            outcome = self.on_change()
            if asyncio.iscoroutine(outcome):
                await outcome

    # --- tools -----------------------------------------------------------------------------------

    def specs(self) -> tuple[list[ToolSpec], list[str]]:
        """The tools of every ready server, filtered by `tools`/`exclude`; and the problems
        (a tool with an unusable schema, an allow-listed tool the server does not offer)."""
        specs: list[ToolSpec] = []
        problems: list[str] = []
        for connection in self.connections.values():
            if connection.state is not ServerState.ready:
                continue
            config = connection.config
            offered = {tool.name for tool in connection.tools}
            for missing in sorted(set(config.tools or ()) - offered):
                problems.append(f"mcp[{config.name}].tools: {missing} is not offered by the server")
            for tool in connection.tools:
                if (config.tools is not None and tool.name not in config.tools) or tool.name in config.exclude:
                    continue
                try:
                    specs.append(self._spec(config, tool))
                except ValueError as exc:
                    problems.append(f"mcp[{config.name}]: tool {tool.name} left out: {exc}")
        return specs, problems

    def _spec(self, config: MCPServerConfig, tool: Tool) -> ToolSpec:
        name = registered_name(config.tool_prefix, tool.name)
        risk, reason = risk_of(tool, config.risk, registered_name=name)
        validate = argument_validator(tool.input_schema)
        server, remote = config.name, tool.name

        async def run(ctx: ToolContext, args: dict[str, Any]) -> MCPToolResult:
            return await self.call(server, remote, validate(args), ctx)

        description = (tool.description or tool.title or name).strip()
        return ToolSpec(
            name=name,
            description=description,
            risk=risk,
            timeout=float(config.timeout) + OUTER_TIMEOUT_MARGIN,
            roles=tuple(config.roles),
            parameters_schema=without_titles(tool.input_schema or {"type": "object", "properties": {}}),
            run=run,
            validate_args=validate,
            source=f"mcp:{config.name}",
            keywords=tuple(word for word in name.split("_") if word),
            risk_reason=reason,
            # the server (how it is started or reached) and the tool as it described itself
            origin=json.dumps([config.model_dump(mode="json", include={"name", "command", "args", "cwd", "env",
                                                                       "url"}),
                               tool.model_dump(mode="json")], sort_keys=True, default=str),
        )

    async def call(self, server: str, tool: str, args: dict[str, Any], ctx: ToolContext) -> MCPToolResult:
        """Call `tool` on `server`: the server's text, structured content and images, or an
        exception whose message is the step's short error."""
        connection = self.connections.get(server)
        if connection is None:
            raise MCPUnavailable(f"the MCP server {server} is no longer configured")
        result = await connection.call(tool, args, progress=ctx.progress)
        converted = tool_result(result, output_limit=connection.config.output_limit)
        if self.read_image is not None:
            for image in converted.images:
                if image.data:
                    image.text = await self._read(image.data, image.mime_type)
        return converted

    async def _read(self, data: str, mime_type: str) -> str:
        """Perception's reading of one image; an image it cannot read costs the text, not the step."""
        assert self.read_image is not None
        try:
            return (await self.read_image(base64.b64decode(data), mime_type)).strip()
        except Exception as exc:
            log.warning("reading an image from an MCP tool failed: %s", exc)
            return ""


__all__ = ["MCPCallFailed", "MCPServers", "MCPUnavailable", "registered_name"]
