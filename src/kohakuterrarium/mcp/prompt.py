"""The ``## Available MCP Tools`` block of the system prompt.

Short on purpose: one line per tool (name, parameter names, first line of its description). The
model calls them through ``mcp_call`` and reads full schemas with ``mcp_list``; MCP tools are not
mirrored as native tools, which keeps the prompt small and a failing server contained.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

HEADER = "## Available MCP Tools"
"""First line of the block."""


def format_tools_prompt(servers: Sequence[Any], *, max_tools: int = 60) -> str:
    """The block for ``servers`` (``MCPServerInfo``s); "" when there are none.

    At most ``max_tools`` tool lines are written in all; the rest are counted, for ``mcp_list``.
    """
    if not servers:
        return ""
    lines = [
        HEADER,
        "",
        'Call these with `mcp_call` (server, tool, args as an object, e.g. {"a": 1}). '
        "`mcp_list` with a server name shows each tool's full parameter schema.",
    ]
    shown = 0
    hidden = 0
    for info in servers:
        lines.append("")
        if info.status != "connected":
            reason = f": {info.error}" if info.error else ""
            lines.append(f"### {info.name} ({info.status}{reason})")
            continue
        lines.append(f"### {info.name}")
        if not info.tools:
            lines.append("- (no tools)")
        for tool in info.tools:
            if shown >= max_tools:
                hidden += 1
                continue
            shown += 1
            summary = f": {tool.summary}" if tool.summary else ""
            lines.append(f"- {tool.signature()}{summary}")
    if hidden:
        lines += ["", f"({hidden} more tools not shown; use `mcp_list` to see them.)"]
    lines.append("")
    lines.append("Parameters marked * are required.")
    return "\n".join(lines)


__all__ = ["HEADER", "format_tools_prompt"]
