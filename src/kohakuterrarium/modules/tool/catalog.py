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
