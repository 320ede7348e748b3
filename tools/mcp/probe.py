"""`chatops check-config --connect`, the MCP part: start every configured server, list its
tools, stop it, and say what went wrong. One standalone function, so the check-config command
can call it next to its other probes (the LLM endpoint, the database)."""

from __future__ import annotations

from chatops.bot.config import Config
from chatops.tools.mcp.servers import MCPServers


async def probe_mcp_servers(config: Config) -> list[str]:
    """One problem line per server that cannot be started or listed, or whose `tools` allow-list
    names a tool it does not offer; an empty list when every server answers."""
    if not config.mcp:
        return []
    servers = MCPServers(config.mcp)
    try:
        problems = await servers.start()
        problems += servers.specs()[1]
    finally:
        await servers.stop()
    return problems
