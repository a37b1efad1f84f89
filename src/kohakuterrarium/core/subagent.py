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


__all__ = ["SubAgentSpec"]
