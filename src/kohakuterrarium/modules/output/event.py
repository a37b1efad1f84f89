"""``OutputEvent``: the envelope for everything an agent shows a user besides plain text.

Activities (``tool_start``, ``token_usage``, ...), lifecycle marks and interactive requests
(``confirm``, ``ask_text``, ``selection``) travel as OutputEvents; an interactive one is answered
with a :class:`UIReply` carrying the same ``id`` as ``event_id``.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

Surface = Literal["chat", "modal", "toast", "side-panel", "status"]

TIMEOUT_ACTION = "__timeout__"
"""``UIReply.action_id`` when nobody answered before ``timeout_s``."""
SUPERSEDED_ACTION = "__superseded__"
"""``UIReply.action_id`` when a newer event replaced the one awaiting an answer."""

INTERACTIVE_TYPES = frozenset(
    {"ask_text", "confirm", "selection", "progress", "notification", "card"}
)
"""Event types that UIs render as interactive widgets."""


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass
class OutputEvent:
    """One thing for an output module to show."""

    type: str
    """What it is: ``text``, ``processing_start``, an activity name, ``confirm``, ..."""
    content: Any = ""
    """Text or content parts to show."""
    payload: dict[str, Any] = field(default_factory=dict)
    """Structured data for the type (tool args, usage numbers, options of a selection)."""
    id: str = field(default_factory=_new_id)
    """Unique id; a UIReply names it in ``event_id``."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Free-form data that UIs may ignore."""
    timestamp: float = field(default_factory=time.time)
    """When it was created (epoch seconds)."""
    surface: Surface = "chat"
    """Where a UI should put it."""
    interactive: bool = False
    """Whether the sender waits for a UIReply."""
    update_target: str | None = None
    """Id of an earlier event this one updates in place (progress bars)."""
    timeout_s: float | None = None
    """How long an interactive event waits for its reply."""
    correlation_id: str | None = None
    """Groups related events (one tool call's start and done)."""


@dataclass
class UIReply:
    """A user's answer to an interactive OutputEvent."""

    event_id: str
    """``OutputEvent.id`` this answers."""
    action_id: str
    """Which action was taken (a button id, or TIMEOUT_ACTION / SUPERSEDED_ACTION)."""
    values: dict[str, Any] = field(default_factory=dict)
    """Form values entered with the action."""
    user: str | None = None
    """Who answered, when the surface knows."""
    timestamp: float = field(default_factory=time.time)
    """When the answer arrived (epoch seconds)."""

    @property
    def timed_out(self) -> bool:
        return self.action_id == TIMEOUT_ACTION


__all__ = [
    "INTERACTIVE_TYPES",
    "SUPERSEDED_ACTION",
    "TIMEOUT_ACTION",
    "OutputEvent",
    "Surface",
    "UIReply",
]
