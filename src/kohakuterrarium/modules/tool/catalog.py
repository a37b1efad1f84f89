"""The catalog of builtin tools, by name.

Entries are ``"module:Class"`` strings resolved on first use, so this layer imports nothing
heavy and never imports ``builtins/`` statically (the agent looks tools up by name; the
builtins package registers itself here). ``register_builtin`` adds entries at run time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from kohakuterrarium.errors import ModuleLoadError

BUILTIN_TOOLS: dict[str, str] = {}
"""Tool name -> ``"package.module:ClassName"``."""

# Shell, web and agent-service builtins (and the trigger setup tools, used via `type: trigger`).
BUILTIN_TOOLS.update(
    {
        "bash": "kohakuterrarium.builtins.tools.bash:BashTool",
        "python": "kohakuterrarium.builtins.tools.python:PythonTool",
        "scratchpad": "kohakuterrarium.builtins.tools.scratchpad:ScratchpadTool",
        "info": "kohakuterrarium.builtins.tools.info:InfoTool",
        "ask_user": "kohakuterrarium.builtins.tools.ask_user:AskUserTool",
        "send_message": "kohakuterrarium.builtins.tools.send_message:SendMessageTool",
        "stop_task": "kohakuterrarium.builtins.tools.stop_task:StopTaskTool",
        "web_fetch": "kohakuterrarium.builtins.tools.web_fetch:WebFetchTool",
        "web_search": "kohakuterrarium.builtins.tools.web_search:WebSearchTool",
        "add_timer": "kohakuterrarium.builtins.tools.trigger_setup:AddTimerTool",
        "add_schedule": "kohakuterrarium.builtins.tools.trigger_setup:AddScheduleTool",
        "watch_channel": "kohakuterrarium.builtins.tools.trigger_setup:WatchChannelTool",
    }
)

# File tools (builtins/tools/: read, write, edit, search, notebooks, JSON).
BUILTIN_TOOLS.update(
    {
        "read": "kohakuterrarium.builtins.tools.read:ReadTool",
        "write": "kohakuterrarium.builtins.tools.write:WriteTool",
        "edit": "kohakuterrarium.builtins.tools.edit:EditTool",
        "multi_edit": "kohakuterrarium.builtins.tools.multi_edit:MultiEditTool",
        "glob": "kohakuterrarium.builtins.tools.glob:GlobTool",
        "grep": "kohakuterrarium.builtins.tools.grep:GrepTool",
        "tree": "kohakuterrarium.builtins.tools.tree:TreeTool",
        "notebook_read": "kohakuterrarium.builtins.tools.notebook_read:NotebookReadTool",
        "notebook_edit": "kohakuterrarium.builtins.tools.notebook_edit:NotebookEditTool",
        "json_read": "kohakuterrarium.builtins.tools.json_read:JsonReadTool",
        "json_write": "kohakuterrarium.builtins.tools.json_write:JsonWriteTool",
    }
)

# MCP meta-tools (builtins/tools/mcp_tools.py; the client itself is kohakuterrarium.mcp).
BUILTIN_TOOLS.update(
    {
        "mcp_list": "kohakuterrarium.builtins.tools.mcp_tools:MCPListTool",
        "mcp_call": "kohakuterrarium.builtins.tools.mcp_tools:MCPCallTool",
        "mcp_connect": "kohakuterrarium.builtins.tools.mcp_tools:MCPConnectTool",
        "mcp_disconnect": "kohakuterrarium.builtins.tools.mcp_tools:MCPDisconnectTool",
    }
)

_LOADED: dict[str, type] = {}


def register_builtin(name: str) -> Callable[[type], type]:
    """Class decorator: register a tool class as the builtin named ``name``."""

    def deco(cls: type) -> type:
        BUILTIN_TOOLS[name] = f"{cls.__module__}:{cls.__qualname__}"
        _LOADED[name] = cls
        return cls

    return deco


def builtin_tool_names() -> list[str]:
    return sorted(BUILTIN_TOOLS)


def get_builtin_tool_class(name: str) -> type | None:
    """The class of builtin ``name`` (imported on first use), or None if unknown."""
    cls = _LOADED.get(name)
    if cls is not None:
        return cls
    target = BUILTIN_TOOLS.get(name)
    if target is None:
        return None
    module_name, _, attr = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ModuleLoadError(f"builtin tool '{name}' failed to load from {target}: {exc}") from exc
    _LOADED[name] = cls
    return cls


def create_builtin_tool(name: str, config: Any = None) -> Any | None:
    cls = get_builtin_tool_class(name)
    return None if cls is None else cls(config)


__all__ = [
    "BUILTIN_TOOLS",
    "builtin_tool_names",
    "create_builtin_tool",
    "get_builtin_tool_class",
    "register_builtin",
]

BUILTIN_TOOLS["search_memory"] = "kohakuterrarium.builtins.tools.search_memory:SearchMemoryTool"

# Engine tools: usable only on creatures hosted by a Terrarium (they reach it through their
# context); listed here so a root config naming them loads before the engine is imported.
_GROUP = "kohakuterrarium.terrarium.group_tools"
_ROOT = "kohakuterrarium.terrarium.root_tools"
BUILTIN_TOOLS.update(
    {
        "send_channel": f"{_GROUP}:SendChannelTool",
        "group_send": f"{_GROUP}:GroupSendTool",
        "group_add_node": f"{_GROUP}:GroupAddNodeTool",
        "group_remove_node": f"{_GROUP}:GroupRemoveNodeTool",
        "group_start_node": f"{_GROUP}:GroupStartNodeTool",
        "group_stop_node": f"{_GROUP}:GroupStopNodeTool",
        "group_channel": f"{_GROUP}:GroupChannelTool",
        "group_wire": f"{_GROUP}:GroupWireTool",
        "group_status": f"{_GROUP}:GroupStatusTool",
        "terrarium_create": f"{_ROOT}:TerrariumCreateTool",
        "terrarium_status": f"{_ROOT}:TerrariumStatusTool",
        "terrarium_stop": f"{_ROOT}:TerrariumStopTool",
        "terrarium_send": f"{_ROOT}:TerrariumSendTool",
        "terrarium_observe": f"{_ROOT}:TerrariumObserveTool",
        "terrarium_history": f"{_ROOT}:TerrariumHistoryTool",
        "creature_start": f"{_ROOT}:CreatureStartTool",
        "creature_stop": f"{_ROOT}:CreatureStopTool",
    }
)
