"""Plugins: hooks that change behaviour between modules (see ``base`` and ``manager``)."""

from kohakuterrarium.modules.plugin.base import (
    BasePlugin,
    PluginBlockError,
    PluginContext,
    PluginOptionError,
)
from kohakuterrarium.modules.plugin.manager import PluginManager, instantiate_plugin

__all__ = [
    "BasePlugin",
    "PluginBlockError",
    "PluginContext",
    "PluginManager",
    "PluginOptionError",
    "instantiate_plugin",
]
