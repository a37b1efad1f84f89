"""Turning what an MCP server returns into framework types.

A ``tools/call`` result becomes a :class:`ToolResult`: text blocks joined into one string (or,
when the result holds images, a list of ``TextPart`` / ``ImagePart``), ``isError`` into
``ToolResult.error``. A ``tools/list`` entry becomes an :class:`MCPToolInfo`. Both read the
SDK's objects by attribute only, so this module imports nothing from the SDK.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kohakuterrarium.llm.message import ImagePart, TextPart
from kohakuterrarium.modules.tool.base import ToolResult


@dataclass
class MCPToolInfo:
    """One tool a server offers."""

    name: str
    """Tool name on the server (what ``mcp_call(tool=...)`` takes)."""
    description: str = ""
    """The server's description of the tool."""
    input_schema: dict[str, Any] = field(default_factory=dict)
    """JSON schema of the tool's arguments."""

    @property
    def summary(self) -> str:
        """The first line of the description, at most 160 characters."""
        first = (self.description or "").strip().splitlines()
        line = first[0].strip() if first else ""
        return line if len(line) <= 160 else line[:157] + "..."

    def parameters(self) -> list[str]:
        """Parameter names, required ones marked with ``*``."""
        props = self.input_schema.get("properties") or {}
        required = set(self.input_schema.get("required") or [])
        return [f"{name}*" if name in required else str(name) for name in props]

    def signature(self) -> str:
        """``name(a*, b)``: the tool with its parameter names."""
        return f"{self.name}({', '.join(self.parameters())})"


def _attr(obj: Any, *names: str, default: Any = None) -> Any:
    """The first attribute that exists (the SDK spelled fields differently across versions)."""
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return default


def tool_info_from_sdk(tool: Any) -> MCPToolInfo:
    """An ``mcp`` ``Tool`` -> :class:`MCPToolInfo`."""
    schema = _attr(tool, "input_schema", "inputSchema", default={})
    if not isinstance(schema, dict):
        schema = dict(schema) if hasattr(schema, "items") else {}
    return MCPToolInfo(
        name=str(tool.name),
        description=str(_attr(tool, "description", default="") or ""),
        input_schema=schema,
    )


def _block_part(block: Any, origin: str) -> TextPart | ImagePart:
    kind = getattr(block, "type", None)
    if kind == "text":
        return TextPart(str(getattr(block, "text", "")))
    if kind == "image":
        mime = _attr(block, "mime_type", "mimeType", default="image/png")
        data = getattr(block, "data", "")
        return ImagePart(f"data:{mime};base64,{data}", source_type="mcp", source_name=origin)
    if kind == "audio":
        mime = _attr(block, "mime_type", "mimeType", default="audio")
        return TextPart(f"[audio content ({mime}) omitted]")
    if kind == "resource":
        resource = getattr(block, "resource", None)
        uri = getattr(resource, "uri", "")
        text = getattr(resource, "text", None)
        if text is not None:
            return TextPart(f"[resource {uri}]\n{text}")
        mime = _attr(resource, "mime_type", "mimeType", default="binary")
        return TextPart(f"[resource {uri} ({mime}) omitted]")
    if kind == "resource_link":
        return TextPart(f"[resource link {getattr(block, 'uri', '')}] {getattr(block, 'name', '')}")
    return TextPart(str(block))


def tool_result_from_sdk(result: Any, *, server: str, tool: str) -> ToolResult:
    """An ``mcp`` ``CallToolResult`` -> :class:`ToolResult` (``isError`` -> ``error``)."""
    origin = f"{server}/{tool}"
    parts = [_block_part(block, origin) for block in (getattr(result, "content", None) or [])]
    structured = _attr(result, "structured_content", "structuredContent")
    if not parts and structured is not None:
        parts.append(TextPart(json.dumps(structured, ensure_ascii=False, default=str)))
    text = "\n".join(p.text for p in parts if isinstance(p, TextPart))
    has_images = any(isinstance(p, ImagePart) for p in parts)
    metadata: dict[str, Any] = {"mcp_server": server, "mcp_tool": tool}
    if structured is not None:
        metadata["structured_content"] = structured
    output: Any = list(parts) if has_images else text
    if _attr(result, "is_error", "isError", default=False):
        error = text.strip() or f"MCP tool '{tool}' on server '{server}' reported an error"
        return ToolResult(output=output, error=error, metadata=metadata)
    return ToolResult(output=output, metadata=metadata)


__all__ = ["MCPToolInfo", "tool_info_from_sdk", "tool_result_from_sdk"]
