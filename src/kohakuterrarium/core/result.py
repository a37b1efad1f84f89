"""Typed results and stream events of a turn.

``agent.run(...)`` returns a :class:`TurnResult`; ``agent.run_stream(...)`` yields
:class:`TextChunk`, :class:`Activity` and finally :class:`TurnEnded`. Every event is small and
frozen, has a ``kind`` and the ``path`` of the creature / sub-agent that produced it
(``("researcher",)`` for the agent itself, ``("researcher", "explore")`` for its sub-agent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from kohakuterrarium.llm.base import Usage

TurnStatus = Literal["ok", "error", "timeout", "cancelled", "interrupted"]
ToolStatus = Literal["ok", "error", "timeout", "cancelled", "interrupted", "background"]


@dataclass(frozen=True, slots=True)
class ToolCallRecord:
    """One tool (or sub-agent) call made during a turn."""

    name: str
    """Tool or sub-agent name."""
    args: dict[str, Any]
    """Arguments as the tool received them."""
    result: str
    """The result text the model saw (possibly truncated)."""
    status: ToolStatus
    """How the call ended."""
    duration_s: float
    """Wall time of the call."""
    job_id: str = ""
    """The job id of the call."""
    error: str | None = None
    """Error text for failed calls."""


@dataclass(frozen=True, slots=True)
class TextChunk:
    """A piece of assistant text, as it streams."""

    text: str
    path: tuple[str, ...] = ()
    kind: str = field(default="text", init=False)


@dataclass(frozen=True, slots=True)
class Activity:
    """Tool / sub-agent / compaction / trigger activity.

    ``type`` is one of ``tool_start``, ``tool_done``, ``tool_error``, ``subagent_start``,
    ``subagent_done``, ``subagent_error``, ``token_usage``, ``compact_start``,
    ``compact_complete``, ``trigger_fired``, ``job_cancelled``, ``interrupt``, ... ``name`` is the
    tool / sub-agent / trigger concerned; ``payload`` holds the details.
    """

    type: str
    name: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    path: tuple[str, ...] = ()
    kind: str = field(default="activity", init=False)


@dataclass(frozen=True, slots=True)
class TurnResult:
    """The outcome of one turn. ``run`` never raises for model or tool failures: read ``status``."""

    status: TurnStatus
    """ok, error, timeout, cancelled or interrupted."""
    text: str = ""
    """The final assistant text of the turn."""
    usage: Usage = field(default_factory=Usage)
    """Tokens (and cost) summed over every LLM call of the turn."""
    tool_calls: tuple[ToolCallRecord, ...] = ()
    """Every tool / sub-agent call of the turn, in start order."""
    activities: tuple[Activity, ...] = ()
    """The activity records of the turn."""
    error: BaseException | None = None
    """The typed error when status is not ok."""
    turn_index: int = 0
    """1-based index of the turn in the agent's life."""
    duration_s: float = 0.0
    """Wall time of the turn."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True, slots=True)
class TurnEnded:
    """The last event of ``run_stream``: carries the :class:`TurnResult`."""

    result: TurnResult
    path: tuple[str, ...] = ()
    kind: str = field(default="turn_ended", init=False)


StreamEvent = TextChunk | Activity | TurnEnded

__all__ = [
    "Activity",
    "StreamEvent",
    "TextChunk",
    "ToolCallRecord",
    "ToolStatus",
    "TurnEnded",
    "TurnResult",
    "TurnStatus",
]
