"""KohakuTerrarium: a framework for building agents.

>>> from kohakuterrarium import Agent
>>> agent = await Agent.build("path/to/creature", llm="default")   # doctest: +SKIP
>>> result = await agent.run("Hello")                               # doctest: +SKIP

Every public name is loaded lazily on first access, so ``import kohakuterrarium`` is cheap and
touching ``Agent`` does not import provider SDKs, the web stack or the TUI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kohakuterrarium._version import __version__

_LAZY: dict[str, tuple[str, str]] = {
    "Agent": ("kohakuterrarium.core.agent", "Agent"),
    "Terrarium": ("kohakuterrarium.terrarium.engine", "Terrarium"),
    "Creature": ("kohakuterrarium.terrarium.creature_host", "Creature"),
    "Studio": ("kohakuterrarium.studio.studio", "Studio"),
    "SessionReader": ("kohakuterrarium.session.reader", "SessionReader"),
    "SessionStore": ("kohakuterrarium.session.store", "SessionStore"),
    "TurnResult": ("kohakuterrarium.core.result", "TurnResult"),
    "TextChunk": ("kohakuterrarium.core.result", "TextChunk"),
    "TurnEnded": ("kohakuterrarium.core.result", "TurnEnded"),
    "Activity": ("kohakuterrarium.core.result", "Activity"),
    "ToolCallRecord": ("kohakuterrarium.core.result", "ToolCallRecord"),
    "FunctionTool": ("kohakuterrarium.modules.tool.function", "FunctionTool"),
    "tool": ("kohakuterrarium.modules.tool.function", "tool"),
    "EngineEvent": ("kohakuterrarium.terrarium.events", "EngineEvent"),
    "EventKind": ("kohakuterrarium.terrarium.events", "EventKind"),
    "EventFilter": ("kohakuterrarium.terrarium.events", "EventFilter"),
    "ConnectionResult": ("kohakuterrarium.terrarium.events", "ConnectionResult"),
    "DisconnectionResult": ("kohakuterrarium.terrarium.events", "DisconnectionResult"),
    "validate": ("kohakuterrarium.core.config", "validate"),
    "errors": ("kohakuterrarium.errors", ""),
}

__all__ = [
    "Activity",
    "Agent",
    "ConnectionResult",
    "Creature",
    "DisconnectionResult",
    "EngineEvent",
    "EventFilter",
    "EventKind",
    "FunctionTool",
    "SessionReader",
    "SessionStore",
    "Studio",
    "Terrarium",
    "TextChunk",
    "TurnEnded",
    "TurnResult",
    "__version__",
    "errors",
    "tool",
    "validate",
]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'kohakuterrarium' has no attribute {name!r}")
    module = importlib.import_module(target[0])
    value = getattr(module, target[1]) if target[1] else module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from kohakuterrarium import errors
    from kohakuterrarium.core.agent import Agent
    from kohakuterrarium.core.config import validate
    from kohakuterrarium.core.result import Activity, TextChunk, TurnEnded, TurnResult
    from kohakuterrarium.modules.tool.function import FunctionTool, tool
