"""MCP servers as tools: each `[[mcp]]` server's tools become `ToolSpec`s in the one registry,
behind the same risk, approvals, timeouts and roles as every other tool.

Built on the official `mcp` SDK (`mcp.Client` over stdio or Streamable HTTP). The SDK only
carries messages; what may run, who approves and what a result may say stay with chatops.
"""

from chatops.tools.mcp.probe import probe_mcp_servers
from chatops.tools.mcp.risk import risk_of
from chatops.tools.mcp.servers import MCPServers

__all__ = ["MCPServers", "probe_mcp_servers", "risk_of"]
