"""What the tool-call parsers emit while reading a model's stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class TextEvent:
    """Plain text (outside any tool-call block)."""

    text: str


@dataclass(slots=True)
class ToolCallEvent:
    """A complete tool call."""

    name: str
    """Tool name."""
    args: dict[str, Any] = field(default_factory=dict)
    """Arguments, converted to the types the tool's schema declares."""
    raw: str = ""
    """The exact text of the call as the model wrote it (empty in native mode)."""
    call_id: str | None = None
    """Native call id (native mode only)."""


@dataclass(slots=True)
class SubAgentCallEvent:
    """A call to a sub-agent."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    raw: str = ""
    call_id: str | None = None


@dataclass(slots=True)
class CommandEvent:
    """A framework command (info, read_job, jobs, wait) written inline."""

    command: str
    args: str = ""
    raw: str = ""


@dataclass(slots=True)
class OutputCallEvent:
    """Text addressed to a named output (``[/output_<target>]...``)."""

    target: str
    content: str
    raw: str = ""


@dataclass(slots=True)
class MalformedCallEvent:
    """A block that looked like a tool call but could not be parsed."""

    name: str
    error: str
    raw: str = ""


ParseEvent = (
    TextEvent
    | ToolCallEvent
    | SubAgentCallEvent
    | CommandEvent
    | OutputCallEvent
    | MalformedCallEvent
)

__all__ = [
    "CommandEvent",
    "MalformedCallEvent",
    "OutputCallEvent",
    "ParseEvent",
    "SubAgentCallEvent",
    "TextEvent",
    "ToolCallEvent",
]
