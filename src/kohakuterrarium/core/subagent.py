"""Sub-agents: helper creatures a parent calls like a tool.

A sub-agent runs as a job of its parent: it gets its own conversation, a filtered view of the
parent's tools and (unless it names its own) the parent's model. Its events are forwarded into
the parent's stream tagged with its path, and cancelling the parent's turn cancels it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SubAgentSpec:
    """How to build one sub-agent."""

    name: str
    """The name the parent calls it by."""
    description: str = ""
    """One line the parent's model sees."""
    system_prompt: str = "You are a focused helper. Do the task you are given and report back."
    """The sub-agent's own prompt."""
    tools: list[str] = field(default_factory=list)
    """Names of the parent's tools it may use."""
    extra_tools: list[Any] = field(default_factory=list)
    """Tools of its own (instances or functions)."""
    llm: Any = None
    """Its own model (a provider or profile name); None: the parent's."""
    max_turns: int = 0
    """Most LLM rounds per task (0: the framework default)."""
    timeout: float = 0.0
    """Seconds per task (0: none)."""
    tool_format: str | dict[str, Any] | None = None
    """Tool-call format; None: the parent's."""
    background: bool = True
    """Run in the background unless the call says otherwise."""
    stateless: bool = True
    """True: a fresh conversation per task; False: one child kept alive across tasks."""
    can_modify: bool = False
    """Informational: whether its tools change files (shown in its description)."""


BUILTIN_CATALOG = "kohakuterrarium.builtins.subagents.catalog"
"""Where the builtin sub-agents live; resolved by name at run time (like the tool catalog), so
this layer never imports ``builtins`` statically."""

_PARENT_MODEL = {None, "", "subagent-default", "default", "inherit", "parent"}

# Keys a ``subagents:`` entry may override, mapped to SubAgentSpec fields.
OVERRIDABLE = {
    "description": "description",
    "tools": "tools",
    "system_prompt": "system_prompt",
    "max_turns": "max_turns",
    "timeout": "timeout",
    "model": "llm",
    "tool_format": "tool_format",
    "run_in_background": "background",
    "background": "background",
    "stateless": "stateless",
    "can_modify": "can_modify",
}
"""Entry keys with a direct field; ``prompt_file``, ``extra_prompt`` and ``extra_prompt_file``
are handled by the loader (they read files / append)."""


def uses_parent_model(llm: object) -> bool:
    """True when a sub-agent's ``model`` means "use the parent's"."""
    return llm is None or (isinstance(llm, str) and llm in _PARENT_MODEL)


__all__ = ["BUILTIN_CATALOG", "OVERRIDABLE", "SubAgentSpec", "uses_parent_model"]
