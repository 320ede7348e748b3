"""Record an MCP server's `tools/list` as a JSON fixture for the planner evaluation.

    python bench/data/mcp/record_tools.py git .venv/bin/mcp-server-git --repository /tmp/repo

The planner sets (`bench/data/heldout19/`) plan over these tools exactly as the real server
describes them (names, descriptions, `inputSchema`, annotations), converted by the same code that
registers a live server's tools (`tools.mcp.servers.MCPServers`).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


async def record(name: str, command: str, args: list[str]) -> None:
    params = StdioServerParameters(command=command, args=args)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        listed = await session.list_tools()
    tools = [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in listed.tools]
    out = Path(__file__).with_name(f"{name}_tools.json")
    out.write_text(json.dumps(tools, indent=1) + "\n", encoding="utf-8")
    print(f"{len(tools)} tools -> {out}")


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1], sys.argv[2], sys.argv[3:]))
