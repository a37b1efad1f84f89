"""How one MCP server is reached: :class:`MCPServerConfig` and its validation.

The same shape comes from three places: a creature's ``mcp_servers:`` list, the global catalog
(``~/.kohakuterrarium/mcp_servers.yaml``) and the ``mcp_connect`` tool. All three go through
:meth:`MCPServerConfig.from_dict`, which rejects bad entries with a ``ConfigError`` naming the
server and the key.

>>> MCPServerConfig.from_dict({"name": "time", "command": "mcp-server-time"}).transport
'stdio'
>>> MCPServerConfig.from_dict({"name": "web", "transport": "http", "url": "http://h/mcp"}).transport
'streamable_http'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kohakuterrarium.errors import BadValueError, UnknownKeyError, did_you_mean

Transport = Literal["stdio", "streamable_http", "sse"]

TRANSPORT_ALIASES: dict[str, Transport] = {
    "stdio": "stdio",
    "streamable_http": "streamable_http",
    "streamable-http": "streamable_http",
    "http_streamable": "streamable_http",
    # Deliberately unlike 1.x, where "http" meant legacy SSE: every current server speaks
    # streamable HTTP, and "sse" stays available by its own name.
    "http": "streamable_http",
    "sse": "sse",
}
"""Accepted spellings of ``transport`` -> the canonical name."""

DEFAULT_CONNECT_TIMEOUT = 30.0
"""Seconds allowed to start a server, shake hands and list its tools."""
DEFAULT_CALL_TIMEOUT = 60.0
"""Seconds allowed for one tool call (or tool-list refresh)."""

_KEYS = (
    "name",
    "transport",
    "command",
    "args",
    "env",
    "url",
    "headers",
    "connect_timeout",
    "call_timeout",
    "cwd",
)


@dataclass
class MCPServerConfig:
    """One MCP server: its name, how to reach it, and its time limits."""

    name: str
    """Name the agent uses for the server (``mcp_call(server=...)``)."""
    transport: Transport = "stdio"
    """``stdio`` (a subprocess), ``streamable_http`` or legacy ``sse``."""
    command: str | None = None
    """Executable to start (stdio only)."""
    args: list[str] = field(default_factory=list)
    """Arguments of ``command`` (stdio only)."""
    env: dict[str, str] = field(default_factory=dict)
    """Extra environment variables for the server process (stdio only)."""
    url: str | None = None
    """Endpoint URL (streamable_http / sse), e.g. ``http://127.0.0.1:8000/mcp``."""
    headers: dict[str, str] = field(default_factory=dict)
    """Extra HTTP headers sent with every request (streamable_http / sse)."""
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    """Seconds allowed to connect (start, handshake, first tool list)."""
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    """Default seconds allowed for one tool call."""
    cwd: str | None = None
    """Working directory of the server process (stdio); None: the agent's working directory."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str | None = None) -> MCPServerConfig:
        """Validate one server entry; keys whose value is None count as absent."""
        if not isinstance(data, Mapping):
            raise BadValueError(
                f"an MCP server entry must be a mapping, got {type(data).__name__}",
                file=file,
                key="mcp_servers",
            )
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise BadValueError(
                "an MCP server entry needs a non-empty 'name'",
                file=file,
                key="mcp_servers.name",
                hint="e.g. {name: time, command: mcp-server-time}",
            )
        name = name.strip()

        def where(key: str) -> str:
            return f"mcp_servers.{name}.{key}"

        for key in data:
            if key not in _KEYS:
                raise UnknownKeyError(
                    f"MCP server '{name}' has an unknown key '{key}'",
                    file=file,
                    key=where(str(key)),
                    hint=did_you_mean(str(key), _KEYS) or "known keys: " + ", ".join(_KEYS),
                )
        values = {k: v for k, v in data.items() if v is not None}

        raw_transport = str(values.get("transport", "stdio")).strip().lower()
        transport = TRANSPORT_ALIASES.get(raw_transport)
        if transport is None:
            raise BadValueError(
                f"MCP server '{name}' has an unknown transport '{values.get('transport')}'",
                file=file,
                key=where("transport"),
                hint="use stdio, streamable_http (aliases: http, streamable-http) or sse",
            )
        cfg = cls(name=name, transport=transport)
        cfg.command = _opt_str(values, "command", name, file)
        cfg.url = _opt_str(values, "url", name, file)
        cfg.cwd = _opt_str(values, "cwd", name, file)
        cfg.args = _str_list(values.get("args"), where("args"), name, file)
        cfg.env = _str_map(values.get("env"), where("env"), name, file)
        cfg.headers = _str_map(values.get("headers"), where("headers"), name, file)
        cfg.connect_timeout = _timeout(
            values.get("connect_timeout"), DEFAULT_CONNECT_TIMEOUT, where("connect_timeout"), file
        )
        cfg.call_timeout = _timeout(
            values.get("call_timeout"), DEFAULT_CALL_TIMEOUT, where("call_timeout"), file
        )

        if transport == "stdio" and not cfg.command:
            raise BadValueError(
                f"MCP server '{name}' uses stdio and needs a 'command'",
                file=file,
                key=where("command"),
                hint="the executable that starts the server, e.g. mcp-server-time",
            )
        if transport != "stdio":
            if not cfg.url:
                raise BadValueError(
                    f"MCP server '{name}' uses {transport} and needs a 'url'",
                    file=file,
                    key=where("url"),
                    hint="e.g. http://127.0.0.1:8000/mcp",
                )
            if not cfg.url.startswith(("http://", "https://")):
                raise BadValueError(
                    f"MCP server '{name}' has url '{cfg.url}', which is not http(s)",
                    file=file,
                    key=where("url"),
                )
        return cfg

    def to_dict(self) -> dict[str, Any]:
        """The entry as written in YAML (defaults and empty values left out)."""
        out: dict[str, Any] = {"name": self.name, "transport": self.transport}
        for key in ("command", "url", "cwd"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        for key in ("args", "env", "headers"):
            value = getattr(self, key)
            if value:
                out[key] = list(value) if isinstance(value, list) else dict(value)
        if self.connect_timeout != DEFAULT_CONNECT_TIMEOUT:
            out["connect_timeout"] = self.connect_timeout
        if self.call_timeout != DEFAULT_CALL_TIMEOUT:
            out["call_timeout"] = self.call_timeout
        return out

    def target(self) -> str:
        """A one-line description of where the server is: its command line or its URL."""
        if self.transport == "stdio":
            return " ".join([self.command or "", *self.args]).strip()
        return self.url or ""


def as_server_config(value: MCPServerConfig | Mapping[str, Any]) -> MCPServerConfig:
    """Accept a config or a raw entry (validated)."""
    if isinstance(value, MCPServerConfig):
        return value
    return MCPServerConfig.from_dict(value)


def _opt_str(values: Mapping[str, Any], key: str, name: str, file: str | None) -> str | None:
    value = values.get(key)
    if value is None:
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise BadValueError(
            f"MCP server '{name}': '{key}' must be a string, got {type(value).__name__}",
            file=file,
            key=f"mcp_servers.{name}.{key}",
        )
    text = str(value).strip()
    return text or None


def _str_list(value: Any, key: str, name: str, file: str | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise BadValueError(
            f"MCP server '{name}': 'args' must be a list of strings",
            file=file,
            key=key,
            hint='e.g. args: ["--local-timezone", "UTC"]',
        )
    if any(isinstance(v, (dict, list)) for v in value):
        raise BadValueError(
            f"MCP server '{name}': 'args' must hold plain values", file=file, key=key
        )
    return [str(v) for v in value]


def _str_map(value: Any, key: str, name: str, file: str | None) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BadValueError(
            f"MCP server '{name}': '{key.rsplit('.', 1)[-1]}' must be a mapping of strings",
            file=file,
            key=key,
        )
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def _timeout(value: Any, default: float, key: str, file: str | None) -> float:
    if value is None:
        return default
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if isinstance(value, bool) or not seconds > 0:
        raise BadValueError(f"'{value}' is not a positive number of seconds", file=file, key=key)
    return seconds


__all__ = [
    "DEFAULT_CALL_TIMEOUT",
    "DEFAULT_CONNECT_TIMEOUT",
    "TRANSPORT_ALIASES",
    "MCPServerConfig",
    "Transport",
    "as_server_config",
]
