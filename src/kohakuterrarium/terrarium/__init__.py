"""The multi-creature engine: creatures, graphs, channels, output wiring, recipes.

Public names load lazily: ``from kohakuterrarium.terrarium import Terrarium``.
See README.md in this folder for the module map and invariants.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY: dict[str, str] = {
    "Terrarium": "kohakuterrarium.terrarium.engine",
    "Creature": "kohakuterrarium.terrarium.creature_host",
    "CreatureEnvironment": "kohakuterrarium.terrarium.creature_host",
    "ChannelMessage": "kohakuterrarium.terrarium.channels",
    "EngineEvent": "kohakuterrarium.terrarium.events",
    "EventKind": "kohakuterrarium.terrarium.events",
    "EventFilter": "kohakuterrarium.terrarium.events",
    "ConnectionResult": "kohakuterrarium.terrarium.events",
    "DisconnectionResult": "kohakuterrarium.terrarium.events",
    "GraphTopology": "kohakuterrarium.terrarium.topology",
    "ChannelInfo": "kohakuterrarium.terrarium.topology",
    "TerrariumRecipe": "kohakuterrarium.terrarium.config",
    "load_terrarium_config": "kohakuterrarium.terrarium.config",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kohakuterrarium.terrarium' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
