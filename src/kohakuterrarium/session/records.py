"""Typed records read back from a session file.

:class:`SessionEvent` is also a read-only mapping over its flattened fields (``event["type"]``,
``event["content"]``, ``event.get("tool_calls")``), the shape plugins written for the 1.x store
expect from ``get_events``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from kohakuterrarium.llm.base import Usage

_HEADER = ("type", "event_id", "agent", "seq", "turn_index", "ts")


@dataclass(frozen=True, slots=True)
class SessionEvent(Mapping[str, Any]):
    """One row of the append-only event log."""

    event_id: int
    """Global, monotonic id (the order events were written in)."""
    agent: str
    """Creature the event belongs to."""
    seq: int
    """Per-agent sequence number, from 1."""
    type: str
    """Event type: ``user_message``, ``tool_start``, ``token_usage``, ..."""
    turn_index: int | None
    """Turn of the agent the event happened in (None when outside any turn)."""
    ts: float
    """Unix time it was written."""
    data: dict[str, Any] = field(default_factory=dict)
    """The payload (for message events: the message dict itself)."""

    # Mapping view: the header fields first, then the payload.
    def __getitem__(self, key: str) -> Any:
        if key in _HEADER:
            return getattr(self, key)
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        yield from _HEADER
        yield from (k for k in self.data if k not in _HEADER)

    def __len__(self) -> int:
        return len(_HEADER) + sum(1 for k in self.data if k not in _HEADER)

    def to_dict(self) -> dict[str, Any]:
        """The flattened dict (payload plus header fields)."""
        return {**self.data, **{k: getattr(self, k) for k in _HEADER}}


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One full-text search result."""

    score: float
    """BM25 relevance (higher is better)."""
    snippet: str
    """A short excerpt around the match."""
    text: str
    """The whole indexed text of the hit."""
    type: str
    """Event type, ``channel_message`` or ``memory``."""
    agent: str | None
    """Creature of the event, the sender of a channel message, or the memory's agent."""
    ts: float
    """When it was written (unix time)."""
    event_id: int | None = None
    """Id of the matching event (None for channel messages and memories)."""
    turn_index: int | None = None
    """Turn of the matching event."""
    seq: int | None = None
    """Per-agent sequence of the matching event (or channel sequence)."""
    channel: str | None = None
    """Channel name for a channel message."""
    message_id: int | None = None
    """Id of the matching channel message."""
    memory_id: int | None = None
    """Id of the matching memory block."""
    data: dict[str, Any] = field(default_factory=dict)
    """The payload of the event / message / memory."""


@dataclass(frozen=True, slots=True)
class ChannelMessage:
    """A message sent on a channel."""

    message_id: int
    """Global id."""
    channel: str
    """Channel name."""
    seq: int
    """Position in the channel, from 1."""
    sender: str
    """Who sent it."""
    content: str
    """The message text."""
    ts: float
    """Unix time it was sent."""
    data: dict[str, Any] = field(default_factory=dict)
    """Extra fields (metadata, message id of the channel layer, ...)."""


@dataclass(frozen=True, slots=True)
class TurnToolCall:
    """One tool or sub-agent call of a turn, read back."""

    name: str
    """Tool or sub-agent name."""
    args: dict[str, Any]
    """Arguments (sub-agents: ``{"task": ...}``)."""
    status: str
    """ok, error, timeout, cancelled, interrupted, or running when no end was recorded."""
    result: str
    """Result text (as recorded by the activity: at most 500 characters)."""
    job_id: str = ""
    """The job id."""
    duration_s: float | None = None
    """Wall time, when the call ended."""
    kind: str = "tool"
    """``tool`` or ``subagent``."""


@dataclass(frozen=True, slots=True)
class TurnRollup:
    """The per-turn counters row of ``turn_rollup``."""

    agent: str
    """Creature."""
    turn_index: int
    """Turn."""
    started_at: float | None
    """Unix time the turn started."""
    ended_at: float | None
    """Unix time the turn ended."""
    tokens_in: int
    """Prompt tokens."""
    tokens_out: int
    """Completion tokens."""
    tokens_cached: int
    """Cached prompt tokens."""
    cost_usd: float | None
    """Cost when known."""
    tool_calls: int
    """Number of tool / sub-agent calls."""
    has_error: bool
    """The turn or one of its calls failed."""
    status: str | None
    """Turn status (ok, error, timeout, cancelled, interrupted)."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn of one creature, rebuilt from the event log."""

    index: int
    """1-based turn index of the agent."""
    agent: str
    """Creature."""
    user_text: str
    """The input that started the turn."""
    assistant_text: str
    """The last thing the assistant said in the turn."""
    tool_calls: tuple[TurnToolCall, ...]
    """Calls made by the agent itself (sub-agents' inner calls excluded), in start order."""
    usage: Usage
    """Tokens (and cost) of the turn."""
    started_at: float | None
    """Unix time of the turn's first event."""
    ended_at: float | None
    """Unix time the turn ended (or of its last event)."""
    status: str | None = None
    """How the turn ended, when that was recorded."""


def age_str(ts: float, now: float | None = None) -> str:
    """``"just now"``, ``"5m ago"``, ``"3h ago"``, ``"2d ago"``."""
    delta = max(0.0, (time.time() if now is None else now) - ts)
    if delta < 60:
        return "just now"
    if delta < 3600:
        return f"{int(delta // 60)}m ago"
    if delta < 86400:
        return f"{int(delta // 3600)}h ago"
    return f"{int(delta // 86400)}d ago"


__all__ = [
    "ChannelMessage",
    "SearchHit",
    "SessionEvent",
    "Turn",
    "TurnRollup",
    "TurnToolCall",
    "age_str",
]
