# ruff: noqa: B027  (optional hooks are empty on purpose: subclasses override what they need)
"""``BaseTrigger``: something that wakes an agent without user input (timer, channel, webhook).

A trigger implements ``async wait_for_trigger() -> TriggerEvent | None``; the agent runs one task
per trigger that waits, fires, and waits again until the trigger is stopped. Optional hooks:
``_on_start``, ``_on_stop``, ``_on_context_update``.

>>> class Every(BaseTrigger):
...     async def wait_for_trigger(self):
...         await asyncio.sleep(self.options["seconds"])
...         return self._create_event(EventType.TIMER) if self._running else None

Every base method tolerates a subclass that never called ``super().__init__()``.
"""

from __future__ import annotations

import asyncio
import inspect
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from kohakuterrarium.utils.logging import get_logger

if TYPE_CHECKING:
    from kohakuterrarium.core.events import TriggerEvent

logger = get_logger(__name__)

# Strong references to context-update coroutines scheduled from sync code, so they are not
# garbage-collected mid-flight.
_pending_updates: set[asyncio.Task[Any]] = set()


class BaseTrigger(ABC):
    """Base class for triggers."""

    resumable: ClassVar[bool] = False
    """Saved with the session and re-created on resume (via ``to_resume_dict``)."""
    universal: ClassVar[bool] = False
    """Installable at runtime through a setup tool (``setup_*`` below)."""
    setup_tool_name: ClassVar[str | None] = None
    """Name of the tool that installs this trigger at runtime."""
    setup_description: ClassVar[str] = ""
    """One-line description of that tool."""
    setup_param_schema: ClassVar[dict[str, Any]] = {}
    """JSON schema of that tool's arguments."""
    setup_full_doc: ClassVar[str] = ""
    """Long documentation of that tool."""
    setup_require_manual_read: ClassVar[bool] = False
    """Whether the model must read the full doc before using the tool."""

    def __init__(self, prompt: str | None = None, **options: Any) -> None:
        self.prompt = prompt
        self.options: dict[str, Any] = options
        self._running = False
        self._context: dict[str, Any] = {}

    # -- lifecycle
    @property
    def is_running(self) -> bool:
        return bool(getattr(self, "_running", False))

    async def start(self) -> None:
        """Mark running, then run ``_on_start``; a failing start leaves it stopped and raises."""
        self._running = True
        try:
            await self._on_start()
        except BaseException:
            self._running = False
            raise

    async def stop(self) -> None:
        """Mark stopped, then run ``_on_stop``; safe without a prior ``start``."""
        self._running = False
        await self._on_stop()

    async def _on_start(self) -> None:
        """Acquire resources (servers, clients)."""

    async def _on_stop(self) -> None:
        """Release what ``_on_start`` acquired; must tolerate never having started."""

    # -- context
    def set_context(self, context: dict[str, Any]) -> None:
        """Replace the context copied into events, then call ``_on_context_update``."""
        self._context = dict(context or {})
        result = self._on_context_update(context)
        if inspect.iscoroutine(result):
            try:
                task = asyncio.get_running_loop().create_task(result)
            except RuntimeError:
                result.close()
                logger.warning("async _on_context_update needs a running loop; skipped")
                return
            _pending_updates.add(task)
            task.add_done_callback(_pending_updates.discard)

    def _on_context_update(self, context: dict[str, Any]) -> None:
        """React to a new context (called synchronously by ``set_context``)."""

    # -- firing
    @abstractmethod
    async def wait_for_trigger(self) -> TriggerEvent | None:
        """Wait until the trigger fires; return the event, or None when stopped."""

    def _create_event(
        self, event_type: str, content: Any = None, context: dict[str, Any] | None = None
    ) -> TriggerEvent:
        """An event of ``event_type``: content defaults to the prompt, context to a copy of ours."""
        from kohakuterrarium.core.events import TriggerEvent

        prompt = getattr(self, "prompt", None)
        if content is None:
            content = prompt if prompt is not None else ""
        if context is None:
            context = dict(getattr(self, "_context", None) or {})
        return TriggerEvent(
            type=event_type, content=content, context=context, prompt_override=prompt
        )

    # -- resume and runtime setup
    def to_resume_dict(self) -> dict[str, Any]:
        """What ``from_resume_dict`` needs to re-create this trigger."""
        return {
            "prompt": getattr(self, "prompt", None),
            "options": dict(getattr(self, "options", None) or {}),
        }

    @classmethod
    def from_resume_dict(cls, data: dict[str, Any]) -> BaseTrigger:
        """Re-create a trigger saved by ``to_resume_dict``."""
        return cls(prompt=data.get("prompt"), **dict(data.get("options") or {}))

    @classmethod
    def from_setup_args(cls, args: dict[str, Any]) -> BaseTrigger:
        """Build from the arguments of the setup tool."""
        return cls(**args)

    def post_setup(self, agent: Any) -> None:
        """Called after a runtime setup installed the trigger on ``agent``."""


__all__ = ["BaseTrigger"]
