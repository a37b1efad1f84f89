"""Attaching MCP servers to an agent: the manager, the meta-tools, the prompt block.

The agent calls :func:`attach_mcp` from ``start()`` when its config declares ``mcp_servers``::

    manager = await attach_mcp(self, self.config.mcp_servers)
    self.update_system_prompt(manager.prompt_block())
    ...
    await self.mcp.shutdown()          # in stop()

Unlike 1.x, declaring servers also registers the four meta-tools (``mcp_list``, ``mcp_call``,
``mcp_connect``, ``mcp_disconnect``): a prompt that advertises MCP tools the model cannot call
is a trap. Entries already in the registry (listed under ``tools:`` with options) are kept.

Paths: in a creature's ``mcp_servers``, a stdio ``command``, argument or ``cwd`` written as
``./x`` or ``../x`` is relative to the creature folder (like prompt files); the server process
itself runs in the agent's working directory unless ``cwd`` says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kohakuterrarium.errors import ModuleLoadError
from kohakuterrarium.mcp.config import MCPServerConfig
from kohakuterrarium.mcp.manager import MCPClientManager
from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)

META_TOOLS: tuple[str, ...] = ("mcp_list", "mcp_call", "mcp_connect", "mcp_disconnect")
"""The builtin tools through which a model uses MCP servers."""


def find_manager(agent: Any) -> MCPClientManager | None:
    """The MCP manager serving ``agent``: its own, else the nearest parent's (sub-agents)."""
    seen = 0
    while agent is not None and seen < 64:
        manager = getattr(agent, "mcp", None)
        if isinstance(manager, MCPClientManager):
            return manager
        agent = getattr(agent, "parent", None)
        seen += 1
    return None


def ensure_manager(agent: Any) -> MCPClientManager:
    """The agent's manager, created (and stored as ``agent.mcp``) on first use."""
    manager = getattr(agent, "mcp", None)
    if isinstance(manager, MCPClientManager):
        return manager
    manager = MCPClientManager(cwd=getattr(agent, "pwd", None))
    agent.mcp = manager
    return manager


def register_meta_tools(agent: Any) -> list[str]:
    """Register the meta-tools the agent does not have yet; returns the names added."""
    from kohakuterrarium.modules.tool.catalog import create_builtin_tool

    added = []
    for name in META_TOOLS:
        if agent.registry.get_tool(name) is not None:
            continue
        tool = create_builtin_tool(name)
        if tool is None:
            raise ModuleLoadError(
                f"builtin tool '{name}' is not registered; the MCP meta-tools ship with "
                "kohakuterrarium.builtins.tools.mcp_tools"
            )
        agent.registry.register_tool(tool)
        added.append(name)
    return added


def resolve_creature_paths(entry: Mapping[str, Any], folder: Path | None) -> dict[str, Any]:
    """``./x`` / ``../x`` in a stdio command, args or cwd -> absolute, against ``folder``."""
    out = dict(entry)
    if folder is None:
        return out

    def fix(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(("./", "../")):
            return str((folder / value).resolve())
        return value

    for key in ("command", "cwd"):
        if key in out:
            out[key] = fix(out[key])
    if isinstance(out.get("args"), list):
        out["args"] = [fix(a) for a in out["args"]]
    return out


def server_configs(
    agent: Any, servers: Iterable[Mapping[str, Any] | MCPServerConfig]
) -> list[MCPServerConfig]:
    """Validate the agent's ``mcp_servers`` entries (ConfigError names file, server and key)."""
    config = getattr(agent, "config", None)
    folder = getattr(config, "agent_path", None)
    file = getattr(config, "config_file", None)
    out = []
    for entry in servers:
        if isinstance(entry, MCPServerConfig):
            out.append(entry)
            continue
        resolved = resolve_creature_paths(entry, Path(folder) if folder else None)
        out.append(MCPServerConfig.from_dict(resolved, file=str(file) if file else None))
    return out


async def attach_mcp(
    agent: Any, servers: Iterable[Mapping[str, Any] | MCPServerConfig]
) -> MCPClientManager:
    """Give ``agent`` an MCP manager (``agent.mcp``) and connect ``servers`` concurrently.

    Registers the meta-tools when there is at least one server. A server that fails to start
    does not raise: it shows up with ``status="error"`` in ``manager.list_servers()`` and in
    ``manager.prompt_block()``, and the agent runs on. Invalid entries raise ``ConfigError``.
    """
    configs = server_configs(agent, servers)
    manager = ensure_manager(agent)
    if configs:
        register_meta_tools(agent)
        infos = await manager.connect_all(configs)
        for info in infos:
            if info.status != "connected":
                logger.warning(
                    "mcp server unavailable",
                    agent=getattr(agent, "name", ""),
                    server=info.name,
                    error=info.error,
                )
    return manager


__all__ = [
    "META_TOOLS",
    "attach_mcp",
    "ensure_manager",
    "find_manager",
    "register_meta_tools",
    "resolve_creature_paths",
    "server_configs",
]
