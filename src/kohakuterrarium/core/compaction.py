"""Context compaction that never blocks the agent.

When a round's prompt passes ``threshold × window`` tokens, a summary of everything before the
last ``keep_recent_turns`` user turns is built in the background while the agent keeps working.
At the start of the next round the summary is swapped in: system prompt, then the summary, then
the live zone (everything from the cut on, including what was appended meanwhile). The cut is
always at the start of a user turn, so a tool call is never separated from its result; the
system prompt (and pinned instructions in it) is always kept.

Plugins see ``on_compact_start(context_length)`` (returning False vetoes) and
``on_compact_end(summary, messages_removed)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kohakuterrarium.errors import UnknownKeyError, did_you_mean
from kohakuterrarium.llm.message import content_text
from kohakuterrarium.utils.logging import get_logger

if TYPE_CHECKING:
    from kohakuterrarium.core.agent import Agent

logger = get_logger(__name__)

SUMMARY_PROMPT = """You compress a conversation between a user and an AI agent so the agent can \
continue the work without the full history. Write these sections, in this order:

## Current Goal
## Key Decisions
## Progress
(mark items [DONE], [IN PROGRESS] or [PENDING])
## Files Modified
## Key Facts
## Keywords
## Key Sentences
(quote the user's exact words where they state requirements)

Be faithful and specific (names, paths, numbers). Never invent anything. If the transcript \
starts with an earlier summary, fold it in."""


@dataclass
class CompactConfig:
    """The ``compact:`` block of a creature config."""

    enabled: bool = True
    """Whether automatic compaction runs at all (``/compact`` still works)."""
    threshold: float = 0.8
    """Fraction of the window at which compaction starts."""
    target: float = 0.4
    """Informational: the fraction the summary aims to bring the prompt under."""
    keep_recent_turns: int = 8
    """User turns kept verbatim after the summary."""
    cooldown_seconds: float = 30.0
    """Minimum time between two compactions."""
    max_tokens: int | None = None
    """The window in tokens (default: the model's max_context)."""
    compact_model: str | None = None
    """A cheaper model for summaries (default: the agent's own)."""

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, *, file: str | None = None) -> CompactConfig:
        data = dict(data or {})
        known = set(cls.__dataclass_fields__)
        for key in data:
            if key not in known:
                raise UnknownKeyError(
                    f"unknown compaction setting '{key}'",
                    file=file,
                    key=f"compact.{key}",
                    hint=did_you_mean(key, known) or f"known: {', '.join(sorted(known))}",
                )
        return cls(**data)


def render_transcript(messages: list[dict[str, Any]]) -> str:
    """Plain-text transcript of messages for the summariser."""
    lines = []
    for msg in messages:
        role = msg.get("role", "?")
        text = content_text(msg.get("content"))
        if msg.get("tool_calls"):
            calls = ", ".join(
                f"{c.get('function', {}).get('name')}({c.get('function', {}).get('arguments')})"
                for c in msg["tool_calls"]
            )
            text = f"{text}\n[calls: {calls}]".strip()
        if role == "tool":
            role = f"tool result ({msg.get('name', '')})"
        lines.append(f"### {role}\n{text}")
    return "\n\n".join(lines)


class CompactManager:
    """Decides when to compact, builds summaries in the background, swaps them in."""

    def __init__(self, agent: Agent, config: CompactConfig) -> None:
        self.agent = agent
        self.config = config
        self.count = 0
        self._task: asyncio.Task[Any] | None = None
        self._ready: tuple[int, str, int] | None = None
        """(cut index, summary, version of the conversation list it was cut from)."""
        self._last = 0.0
        self._llm: Any = None

    @property
    def window(self) -> int:
        return int(self.config.max_tokens or getattr(self.agent.llm.config, "max_context", 0) or 0)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def observe(self, prompt_tokens: int) -> None:
        """Called after every round with the prompt size the provider reported."""
        if not self.config.enabled or self.running or self._ready is not None:
            return
        window = self.window
        if window <= 0 or prompt_tokens < self.config.threshold * window:
            return
        if time.monotonic() - self._last < self.config.cooldown_seconds:
            return
        self.start(prompt_tokens)

    def start(self, context_length: int = 0) -> bool:
        """Start a background compaction (False when nothing can be compacted now)."""
        if self.running:
            return False
        cut = self._cut_index()
        if cut is None:
            return False
        self._last = time.monotonic()
        self._task = self.agent._spawn(self._build(cut, context_length), "compact")
        return True

    def _cut_index(self) -> int | None:
        conv = self.agent.conversation
        starts = conv.turn_starts
        keep = max(1, self.config.keep_recent_turns)
        if len(starts) <= keep:
            return None
        cut = starts[-keep]
        return cut if cut > 1 else None

    async def _build(self, cut: int, context_length: int) -> None:
        agent = self.agent
        plugins = agent.plugins
        if plugins is not None and not await plugins.compact_start(context_length):
            agent.emit_activity("compact_decision", "", {"vetoed": True}, None)
            return
        conv = agent.conversation
        source = conv.messages
        agent.emit_activity("compact_start", "", {"messages": cut - 1}, None)
        try:
            summary = await self._summarise(source[1:cut])
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("compaction failed; keeping the full history", error=str(exc))
            agent.emit_activity("compact_error", "", {"error": str(exc)}, None)
            return
        self._ready = (cut, summary, id(source))

    async def _summarise(self, messages: list[dict[str, Any]]) -> str:
        if self._llm is None:
            if self.config.compact_model:
                from kohakuterrarium.llm.resolve import resolve_llm

                self._llm = resolve_llm(self.config.compact_model, None)
            else:
                self._llm = self.agent.llm
        request = [
            {"role": "system", "content": SUMMARY_PROMPT},
            {"role": "user", "content": render_transcript(messages)},
        ]
        response = await self._llm.chat_complete(request)
        text = response.content.strip()
        if not text:
            raise ValueError("the summariser returned an empty summary")
        return text

    def swap_if_ready(self) -> bool:
        """Swap a finished summary in (between rounds). True when the history changed."""
        ready = self._ready
        if ready is None:
            return False
        self._ready = None
        cut, summary, source_id = ready
        conv = self.agent.conversation
        if id(conv.messages) != source_id:
            return False  # the history was replaced meanwhile (cleared, resumed): drop it
        removed = cut - 1
        conv.compact(cut, summary)
        self.count += 1
        self.agent.emit_activity(
            "compact_complete", "", {"messages_removed": removed, "count": self.count}, None
        )
        plugins = self.agent.plugins
        if plugins is not None:
            self.agent._spawn(plugins.compact_end(summary, removed), "compact-end")
        return True

    async def compact_now(self) -> bool:
        """Compact right away and wait for it (``/compact``)."""
        if not self.running and not self.start():
            return False
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self.swap_if_ready()


def summary_messages(summary: str) -> list[dict[str, Any]]:
    """The two messages that stand for the compacted history."""
    return [
        {"role": "user", "content": f"[Summary of the earlier conversation]\n{summary}"},
        {"role": "assistant", "content": "Understood. I will continue from this summary."},
    ]


__all__ = [
    "SUMMARY_PROMPT",
    "CompactConfig",
    "CompactManager",
    "render_transcript",
    "summary_messages",
]
