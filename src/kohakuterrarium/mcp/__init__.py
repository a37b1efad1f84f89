"""The MCP client: connect to Model Context Protocol servers and call their tools.

>>> from kohakuterrarium.mcp import MCPClientManager
>>> manager = MCPClientManager()                                              # doctest: +SKIP
>>> await manager.connect({"name": "time", "command": "mcp-server-time"})     # doctest: +SKIP
>>> await manager.call_tool("time", "get_current_time", {"timezone": "UTC"})  # doctest: +SKIP

Importing this package is cheap: the ``mcp`` SDK is imported only when a server is connected.
"""

from kohakuterrarium.mcp.attach import META_TOOLS, attach_mcp, ensure_manager, find_manager
from kohakuterrarium.mcp.catalog import (
    add_global_server,
    catalog_path,
    get_global_server,
    load_global_servers,
    remove_global_server,
)
from kohakuterrarium.mcp.config import TRANSPORT_ALIASES, MCPServerConfig
from kohakuterrarium.mcp.manager import MCPClientManager, MCPServerInfo, ServerStatus
from kohakuterrarium.mcp.prompt import format_tools_prompt
from kohakuterrarium.mcp.results import MCPToolInfo

__all__ = [
    "META_TOOLS",
    "TRANSPORT_ALIASES",
    "MCPClientManager",
    "MCPServerConfig",
    "MCPServerInfo",
    "MCPToolInfo",
    "ServerStatus",
    "add_global_server",
    "attach_mcp",
    "catalog_path",
    "ensure_manager",
    "find_manager",
    "format_tools_prompt",
    "get_global_server",
    "load_global_servers",
    "remove_global_server",
]
