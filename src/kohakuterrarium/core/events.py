"""Trigger events: every stimulus an agent reacts to.

User input, timer firings, channel messages, background-job completions: each becomes a
:class:`TriggerEvent`. The controller batches consecutive *stackable* events into one round.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from kohakuterrarium.llm.message import content_text


class EventType:
    """Well-known event type names (``TriggerEvent.type`` is any non-empty string)."""

    USER_INPUT = "user_input"
    IDLE = "idle"
    TIMER = "timer"
    CONTEXT_UPDATE = "context_update"
    TOOL_COMPLETE = "tool_complete"
    SUBAGENT_OUTPUT = "subagent_output"
    CHANNEL_MESSAGE = "channel_message"
    CREATURE_OUTPUT = "creature_output"
    MONITOR = "monitor"
    ERROR = "error"
    STARTUP = "startup"
    SHUTDOWN = "shutdown"
    EXTERNAL = "external"


@dataclass
class TriggerEvent:
    """One stimulus for an agent."""

    type: str
    """Event type; see :class:`EventType` (free-form strings are allowed)."""
    content: Any = ""
    """Text or a list of content parts."""
    context: dict[str, Any] = field(default_factory=dict)
    """Extra data (source, channel, sender, ...)."""
    timestamp: float = field(default_factory=time.time)
    """When it happened (epoch seconds)."""
    job_id: str | None = None
    """The job this event reports on, if any."""
    prompt_override: str | None = None
    """Text to show the model instead of the default formatting."""
    stackable: bool = True
    """Whether it may be batched with neighbouring events into one round."""
    source: str | None = None
    """Who produced it (a plugin, an io module, ...)."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Free-form data that does not go to the model."""

    def __post_init__(self) -> None:
        if not isinstance(self.type, str) or not self.type:
            raise ValueError("TriggerEvent.type must be a non-empty string")
        if self.context is None:
            self.context = {}
        if self.metadata is None:
            self.metadata = {}

    def get_text_content(self) -> str:
        return content_text(self.content)


def create_user_input_event(
    content: Any, source: str = "programmatic", **context: Any
) -> TriggerEvent:
    """A user_input event."""
    return TriggerEvent(EventType.USER_INPUT, content, {"source": source, **context}, source=source)


def create_tool_complete_event(
    job_id: str,
    content: Any,
    exit_code: int | None = None,
    error: str | None = None,
    **context: Any,
) -> TriggerEvent:
    """A tool_complete event reporting a background job."""
    ctx = {"exit_code": exit_code, "error": error, **context}
    return TriggerEvent(EventType.TOOL_COMPLETE, content, ctx, job_id=job_id)


def create_error_event(content: Any, **context: Any) -> TriggerEvent:
    """A non-stackable error event."""
    return TriggerEvent(EventType.ERROR, content, dict(context), stackable=False)


__all__ = [
    "EventType",
    "TriggerEvent",
    "create_error_event",
    "create_tool_complete_event",
    "create_user_input_event",
]
