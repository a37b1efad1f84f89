"""Builtin tools, registered by name in ``kohakuterrarium.modules.tool.catalog``."""
