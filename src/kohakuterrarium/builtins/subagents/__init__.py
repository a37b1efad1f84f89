"""The builtin sub-agents (explore, plan, worker, critic, summarize, research, ...)."""

from kohakuterrarium.builtins.subagents.catalog import BUILTIN_SUBAGENTS, builtin_subagent

__all__ = ["BUILTIN_SUBAGENTS", "builtin_subagent"]
