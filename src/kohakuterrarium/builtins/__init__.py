"""Builtin tools, sub-agents and triggers, registered by name."""
