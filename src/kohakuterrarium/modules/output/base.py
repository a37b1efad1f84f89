# ruff: noqa: B027  (optional hooks are empty on purpose: subclasses override what they need)
"""``BaseOutputModule``: where an agent's text and activity go (terminal, chat bot, TTS).

Only ``async write(text)`` is required. Streaming text arrives through ``write_stream`` (which
defaults to ``write``); ``stop()`` flushes before ``_on_stop``. Activity notifications and
``OutputEvent``s are ignored unless overridden.

>>> class Collect(BaseOutputModule):
...     def __init__(self):
...         super().__init__()
...         self.parts = []
...     async def write(self, text):
...         self.parts.append(text)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kohakuterrarium.modules.output.event import OutputEvent


class BaseOutputModule(ABC):
    """Base class for output modules."""

    def __init__(self) -> None:
        self._running = False

    @property
    def is_running(self) -> bool:
        return bool(getattr(self, "_running", False))

    async def start(self) -> None:
        """Run ``_on_start`` (errors propagate)."""
        self._running = True
        try:
            await self._on_start()
        except BaseException:
            self._running = False
            raise

    async def stop(self) -> None:
        """Flush what is buffered, then run ``_on_stop``."""
        try:
            await self.flush()
        finally:
            self._running = False
            await self._on_stop()

    async def _on_start(self) -> None:
        """Acquire resources."""

    async def _on_stop(self) -> None:
        """Release what ``_on_start`` acquired."""

    @abstractmethod
    async def write(self, text: str) -> None:
        """Show a complete piece of text."""

    async def write_stream(self, chunk: str) -> None:
        """Show a streamed chunk (default: ``write`` it)."""
        await self.write(chunk)

    async def flush(self) -> None:
        """Push out anything buffered."""

    async def on_processing_start(self) -> None:
        """The agent started working on input."""

    async def on_processing_end(self) -> None:
        """The agent finished a turn."""

    async def on_user_input(self, text: str) -> None:
        """Echo of the user's input, for outputs that show a transcript."""

    def on_activity(self, activity_type: str, detail: Any = None, metadata: Any = None) -> None:
        """A tool/sub-agent/usage activity (``tool_start``, ``token_usage``, ...)."""

    async def emit(self, event: OutputEvent) -> None:
        """A structured OutputEvent (interactive requests, lifecycle marks)."""


OutputModule = BaseOutputModule
"""Alias kept for code written against the older name."""

__all__ = ["BaseOutputModule", "OutputModule"]
