"""Tool-call formats: the streaming bracket / XML parsers and their events."""

from kohakuterrarium.parsing.events import (
    CommandEvent,
    MalformedCallEvent,
    OutputCallEvent,
    ParseEvent,
    SubAgentCallEvent,
    TextEvent,
    ToolCallEvent,
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
