"""The conversation of one agent: an append-only list of OpenAI-shaped message dicts.

Append-only matters twice: per-turn work never grows with history (nothing re-walks or copies
the list on the hot path), and a prefix of the live list is a valid snapshot, which lets the
scripted LLM and the session layer log calls in O(1). Operations that drop messages (clear,
compaction, ``max_messages`` trimming) build a new list instead of mutating the old one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Message = dict[str, Any]


class Conversation:
    """The message list the controller sends to the model."""

    __slots__ = ("_messages", "_system", "listeners", "max_messages", "turn_starts")

    def __init__(self, system_prompt: str = "", *, max_messages: int = 0) -> None:
        self._system: Message = {"role": "system", "content": system_prompt}
        self._messages: list[Message] = [self._system]
        self.max_messages = max_messages
        """Keep at most this many non-system messages (0: no limit)."""
        self.listeners: list[Callable[[Message], None]] = []
        """Called with every appended message (the session layer persists from here)."""
        self.turn_starts: list[int] = []
        """Index of the first message of each user turn (safe places to cut the history)."""

    # -- reading
    @property
    def messages(self) -> list[Message]:
        """The live list (do not mutate it; append through :meth:`append`)."""
        return self._messages

    @property
    def system_prompt(self) -> str:
        return str(self._system.get("content") or "")

    def __len__(self) -> int:
        return len(self._messages)

    def to_list(self) -> list[Message]:
        """A copy, safe to keep or mutate."""
        return [dict(m) for m in self._messages]

    # -- writing
    def mark_turn_start(self) -> None:
        """The next appended message starts a user turn."""
        self.turn_starts.append(len(self._messages))

    def append(self, message: Message) -> None:
        self._messages.append(message)
        for listener in self.listeners:
            listener(message)
        if self.max_messages and len(self._messages) - 1 > self.max_messages * 2:
            self._trim()

    def set_system_prompt(self, content: str) -> None:
        # A new dict and a new list: earlier snapshots keep the prompt they were sent with.
        self._system = {"role": "system", "content": content}
        self._messages = [self._system, *self._messages[1:]]

    def replace(self, messages: list[Message]) -> None:
        """Swap in a new history (compaction, resume). The system prompt is kept."""
        rest = [m for m in messages if m.get("role") != "system"] if messages else []
        self._messages = [self._system, *rest]
        self.turn_starts = [i for i, m in enumerate(self._messages) if m.get("role") == "user"]

    def clear(self) -> None:
        self._messages = [self._system]
        self.turn_starts = []

    def compact(self, cut: int, summary: str) -> None:
        """Replace messages before ``cut`` (a turn start) with a summary."""
        from kohakuterrarium.core.compaction import summary_messages

        head = [self._system, *summary_messages(summary)]
        shift = len(head) - cut
        self._messages = [*head, *self._messages[cut:]]
        self.turn_starts = [i + shift for i in self.turn_starts if i >= cut]

    def _trim(self) -> None:
        # Amortised: trim back to max_messages only when twice over, never splitting a tool
        # call from its results.
        keep = self._messages[-self.max_messages :]
        while keep and keep[0].get("role") == "tool":
            keep = keep[1:]
        cut = len(self._messages) - len(keep)
        self._messages = [self._system, *keep]
        self.turn_starts = [i - cut + 1 for i in self.turn_starts if i >= cut]

    def dangling_tool_calls(self) -> list[str]:
        """Ids of native tool calls (in the last assistant message) that have no result yet."""
        for i in range(len(self._messages) - 1, 0, -1):
            msg = self._messages[i]
            if msg.get("role") == "assistant":
                calls = msg.get("tool_calls") or []
                answered = {m.get("tool_call_id") for m in self._messages[i + 1 :]}
                return [c["id"] for c in calls if c.get("id") not in answered]
        return []


__all__ = ["Conversation", "Message"]
