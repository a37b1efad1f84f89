"""The four MCP meta-tools: ``mcp_list``, ``mcp_call``, ``mcp_connect``, ``mcp_disconnect``.

MCP tools are not mirrored as native tools: the model reaches every server through these four,
which keeps the prompt small and contains a failing server to one call. They find the agent's
:class:`~kohakuterrarium.mcp.MCPClientManager` as ``context.agent.mcp`` (a sub-agent uses its
nearest parent's); ``mcp_connect`` creates it when the agent has none yet.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from kohakuterrarium.builtins.tools._shared import DirectTool, agent_of, object_schema
from kohakuterrarium.errors import ConfigError, MCPError
from kohakuterrarium.modules.tool.base import ToolConfig, ToolContext, ToolResult

_NO_SERVERS = (
    "No MCP server is connected. Connect one with mcp_connect "
    "(a name from the global catalog, or name + transport + command/url)."
)


def _manager(context: ToolContext | None) -> Any:
    from kohakuterrarium.mcp.attach import find_manager

    return find_manager(agent_of(context))


def _decode(value: Any, what: str) -> Any:
    """JSON-decode string arguments (bracket-format calls send objects as text)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"'{what}' is not valid JSON ({exc.msg} at position {exc.pos})") from None


def _server_lines(info: Any) -> list[str]:
    head = f"{info.name} [{info.status}] {info.config.transport}: {info.config.target()}"
    lines = [head]
    if info.error:
        lines.append(f"  error: {info.error}")
    for tool in info.tools:
        summary = f": {tool.summary}" if tool.summary else ""
        lines.append(f"  - {tool.signature()}{summary}")
    return lines


def _tool_details(tool: Any) -> list[str]:
    lines = [f"## {tool.name}"]
    if tool.description:
        lines.append(tool.description.strip())
    props = tool.input_schema.get("properties") or {}
    required = set(tool.input_schema.get("required") or [])
    if props:
        lines.append("Arguments:")
        for name, spec in props.items():
            spec = spec if isinstance(spec, dict) else {}
            kind = spec.get("type") or ("any of" if "anyOf" in spec else "any")
            star = ", required" if name in required else ""
            desc = f": {spec['description']}" if spec.get("description") else ""
            default = f" (default {json.dumps(spec['default'])})" if "default" in spec else ""
            lines.append(f"- {name} ({kind}{star}){desc}{default}")
    else:
        lines.append("Arguments: none")
    return lines


class MCPListTool(DirectTool):
    """List connected MCP servers and their tools."""

    tool_name = "mcp_list"
    description = (
        "List connected MCP servers and their tools; with a server name, show each tool's "
        "full parameter schema."
    )
    needs_context = True
    full_doc = (
        "## Behaviour\n- No argument: every server with its status and one line per tool.\n"
        "- `server`: that server's tools with their arguments (types, required, defaults).\n"
        "- Call a tool with `mcp_call`."
    )

    def get_parameters_schema(self) -> dict[str, Any]:
        return object_schema(
            {"server": {"type": "string", "description": "Only this server (full schemas)."}},
            [],
        )

    async def _execute(
        self, args: dict[str, Any], context: ToolContext | None = None, **_: Any
    ) -> ToolResult:
        manager = _manager(context)
        server = str(args.get("server") or args.get("content") or "").strip()
        if manager is None or not manager.server_names():
            return ToolResult(output=_NO_SERVERS + _catalog_note())
        if not server:
            lines: list[str] = []
            for info in manager.list_servers():
                lines += _server_lines(info)
            return ToolResult(output="\n".join(lines))
        info = manager.get_server(server)
        if info is None:
            known = ", ".join(manager.server_names())
            return ToolResult(error=f"unknown MCP server '{server}' (connected: {known})")
        lines = _server_lines(info)[:2] if info.error else [_server_lines(info)[0]]
        for tool in info.tools:
            lines += ["", *_tool_details(tool)]
        return ToolResult(output="\n".join(lines))


class MCPCallTool(DirectTool):
    """Call a tool on a connected MCP server."""

    tool_name = "mcp_call"
    description = "Call a tool on a connected MCP server (see mcp_list for servers and tools)."
    needs_context = True
    full_doc = (
        "## Behaviour\n- `args` is an object with the tool's arguments; a JSON string is "
        "decoded, invalid JSON is an error.\n- The server's own error comes back as this "
        "call's error. A timeout or a server that died is an error too; the next call "
        "reconnects the server."
    )

    def __init__(self, config: ToolConfig | None = None) -> None:
        super().__init__(config)
        # The manager bounds every call by the server's call_timeout (with its own clear
        # message); the framework's generic 60 s default would only race it. A timeout set
        # explicitly in the creature config is kept and honoured.
        if self.config.timeout == ToolConfig().timeout:
            self.config.timeout = 0

    def get_parameters_schema(self) -> dict[str, Any]:
        return object_schema(
            {
                "server": {"type": "string", "description": "Name of the MCP server."},
                "tool": {"type": "string", "description": "Name of the tool on that server."},
                "args": {
                    "type": "object",
                    "description": "The tool's arguments as an object.",
                    "additionalProperties": True,
                },
            },
            ["server", "tool"],
        )

    async def _execute(
        self, args: dict[str, Any], context: ToolContext | None = None, **_: Any
    ) -> ToolResult:
        server = str(args.get("server") or "").strip()
        tool = str(args.get("tool") or "").strip()
        if not server or not tool:
            return ToolResult(error="mcp_call needs 'server' and 'tool' (see mcp_list)")
        try:
            call_args = _decode(args.get("args"), "args")
        except ValueError as exc:
            return ToolResult(error=f"mcp_call: {exc}")
        if call_args is None:
            call_args = {}
        if not isinstance(call_args, dict):
            return ToolResult(
                error=f"mcp_call: 'args' must be an object, got {type(call_args).__name__}"
            )
        manager = _manager(context)
        if manager is None:
            return ToolResult(error=_NO_SERVERS)
        limit = self.config.timeout if self.config.timeout and self.config.timeout > 0 else None
        try:
            return await manager.call_tool(server, tool, call_args, timeout=limit)
        except MCPError as exc:
            return ToolResult(error=str(exc))


class MCPConnectTool(DirectTool):
    """Connect an MCP server at run time."""

    tool_name = "mcp_connect"
    description = (
        "Connect an MCP server: a name from the global catalog, or a name with transport "
        "(stdio: command + args; http/streamable-http/sse: url)."
    )
    needs_context = True
    is_concurrency_safe = False
    full_doc = (
        "## Behaviour\n- Only `name`: the entry of that name in the global catalog "
        "(`kt mcp add`).\n- A server of the same name is replaced.\n- A server that fails to "
        "start is reported as an error; nothing else is affected."
    )

    def get_parameters_schema(self) -> dict[str, Any]:
        return object_schema(
            {
                "name": {"type": "string", "description": "Name for the server."},
                "transport": {
                    "type": "string",
                    "enum": ["stdio", "http", "streamable-http", "sse"],
                    "description": "How to reach it (http = streamable HTTP).",
                },
                "command": {"type": "string", "description": "Executable (stdio)."},
                "args": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Arguments of the command (stdio).",
                },
                "url": {"type": "string", "description": "Endpoint URL (http, sse)."},
                "env": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "Extra environment variables (stdio).",
                },
                "connect_timeout": {"type": "number", "description": "Seconds (default 30)."},
            },
            ["name"],
        )

    async def _execute(
        self, args: dict[str, Any], context: ToolContext | None = None, **_: Any
    ) -> ToolResult:
        from kohakuterrarium.mcp.attach import ensure_manager, register_meta_tools
        from kohakuterrarium.mcp.config import MCPServerConfig

        agent = agent_of(context)
        if agent is None:
            return ToolResult(error="mcp_connect needs a running agent (no agent in the context)")
        name = str(args.get("name") or args.get("content") or "").strip()
        if not name:
            return ToolResult(error="mcp_connect needs a 'name'")
        try:
            config = self._config(name, args, MCPServerConfig)
        except (ConfigError, ValueError) as exc:
            return ToolResult(error=f"mcp_connect: {exc}")
        manager = ensure_manager(agent)
        info = await manager.connect(config)
        if info.status != "connected":
            return ToolResult(error=f"MCP server '{name}' is not connected: {info.error}")
        if getattr(agent, "registry", None) is not None:
            register_meta_tools(agent)
        lines = [f"Connected MCP server '{name}' ({len(info.tools)} tools):"]
        lines += [
            f"- {t.signature()}" + (f": {t.summary}" if t.summary else "") for t in info.tools
        ]
        return ToolResult(output="\n".join(lines), metadata={"server": name})

    @staticmethod
    def _config(name: str, args: dict[str, Any], config_cls: Any) -> Any:
        spec: dict[str, Any] = {"name": name}
        for key in ("transport", "command", "url", "connect_timeout"):
            value = args.get(key)
            if value not in (None, ""):
                spec[key] = value
        raw_args = args.get("args")
        if isinstance(raw_args, str) and raw_args.strip():
            text = raw_args.strip()
            raw_args = _decode(text, "args") if text.startswith("[") else shlex.split(text)
        if raw_args not in (None, "", []):
            spec["args"] = raw_args
        env = _decode(args.get("env"), "env")
        if env:
            spec["env"] = env
        if "command" not in spec and "url" not in spec:
            from kohakuterrarium.mcp.catalog import get_global_server, load_global_servers

            known = get_global_server(name)
            if known is None:
                names = [s.name for s in load_global_servers()]
                listing = ", ".join(names) if names else "the catalog is empty"
                raise ValueError(
                    f"'{name}' is not in the global MCP catalog ({listing}); give a transport "
                    "with a command (stdio) or a url (http, sse)"
                )
            if "connect_timeout" not in spec:
                return known
            return config_cls.from_dict(
                {**known.to_dict(), "connect_timeout": spec["connect_timeout"]}
            )
        spec.setdefault("transport", "stdio" if "command" in spec else "streamable_http")
        return config_cls.from_dict(spec)


class MCPDisconnectTool(DirectTool):
    """Disconnect an MCP server."""

    tool_name = "mcp_disconnect"
    description = "Disconnect an MCP server (its process is stopped)."
    needs_context = True
    is_concurrency_safe = False

    def get_parameters_schema(self) -> dict[str, Any]:
        return object_schema(
            {"server": {"type": "string", "description": "Name of the server."}}, ["server"]
        )

    async def _execute(
        self, args: dict[str, Any], context: ToolContext | None = None, **_: Any
    ) -> ToolResult:
        server = str(args.get("server") or args.get("content") or "").strip()
        if not server:
            return ToolResult(error="mcp_disconnect needs the 'server' name")
        manager = _manager(context)
        if manager is None or not await manager.disconnect(server):
            known = ", ".join(manager.server_names()) if manager is not None else ""
            return ToolResult(
                error=f"no MCP server named '{server}' is connected"
                + (f" (connected: {known})" if known else "")
            )
        return ToolResult(output=f"Disconnected MCP server '{server}'.")


def _catalog_note() -> str:
    try:
        from kohakuterrarium.mcp.catalog import load_global_servers

        names = [s.name for s in load_global_servers()]
    except ConfigError:
        return ""
    return f" Catalog servers: {', '.join(names)}." if names else ""


__all__ = ["MCPCallTool", "MCPConnectTool", "MCPDisconnectTool", "MCPListTool"]
