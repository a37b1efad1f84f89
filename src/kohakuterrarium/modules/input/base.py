# ruff: noqa: B027  (optional hooks are empty on purpose: subclasses override what they need)
"""``BaseInputModule``: where an agent's user input comes from (CLI, chat bot, HTTP).

An input module implements ``async get_input() -> TriggerEvent | None``; the agent loops over it
and stops when it returns None. ``start``/``stop`` run ``_on_start``/``_on_stop`` and let their
exceptions propagate (a missing optional SDK must surface as the ImportError it is).

>>> class Lines(BaseInputModule):
...     def __init__(self, lines):
...         super().__init__()
...         self._lines = iter(lines)
...     async def get_input(self):
...         text = next(self._lines, None)
...         return None if text is None else create_user_input_event(text, source="lines")
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kohakuterrarium.core.events import TriggerEvent


class BaseInputModule(ABC):
    """Base class for input modules."""

    def __init__(self) -> None:
        self._running = False

    @property
    def is_running(self) -> bool:
        return bool(getattr(self, "_running", False))

    async def start(self) -> None:
        """Run ``_on_start``; on failure the module stays stopped and the error propagates."""
        self._running = True
        try:
            await self._on_start()
        except BaseException:
            self._running = False
            raise

    async def stop(self) -> None:
        """Mark stopped, then run ``_on_stop`` (errors propagate)."""
        self._running = False
        await self._on_stop()

    async def _on_start(self) -> None:
        """Acquire resources (connections, SDK clients)."""

    async def _on_stop(self) -> None:
        """Release what ``_on_start`` acquired."""

    @abstractmethod
    async def get_input(self) -> TriggerEvent | None:
        """Wait for the next input; None means the input has ended."""


InputModule = BaseInputModule
"""Alias kept for code written against the older name."""

__all__ = ["BaseInputModule", "InputModule"]
