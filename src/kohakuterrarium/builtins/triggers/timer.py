"""``TimerTrigger``: wake the agent every ``interval`` seconds with a prompt.

>>> timer = TimerTrigger("Check the build.", interval=300)
>>> trigger_id = await agent.add_trigger(timer)          # doctest: +SKIP

Installable at runtime through the ``add_timer`` tool (``interval*, prompt*, immediate``) and
saved with the session (``resumable``). ``sleep`` is injectable so tests need no real waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from kohakuterrarium.core.events import EventType, TriggerEvent
from kohakuterrarium.errors import BadValueError
from kohakuterrarium.modules.trigger.base import BaseTrigger

Sleep = Callable[[float], Awaitable[Any]]
"""An ``asyncio.sleep``-like coroutine function."""


def _positive_seconds(value: Any, key: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise BadValueError(f"{key} must be a number of seconds, got {value!r}", key=key) from None
    if not seconds > 0:
        raise BadValueError(f"{key} must be positive, got {seconds:g}", key=key)
    return seconds


class TimerTrigger(BaseTrigger):
    """Fires every ``interval`` seconds (first after one interval, or at once if ``immediate``)."""

    resumable: ClassVar[bool] = True
    universal: ClassVar[bool] = True
    setup_tool_name: ClassVar[str | None] = "add_timer"
    setup_description: ClassVar[str] = (
        "Wake yourself up every `interval` seconds with `prompt` (a recurring reminder)."
    )
    setup_param_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "interval": {"type": "number", "description": "Seconds between firings."},
            "prompt": {"type": "string", "description": "What you will be told each time."},
            "immediate": {
                "type": "boolean",
                "description": "Fire once right away too (default false).",
            },
        },
        "required": ["interval", "prompt"],
    }
    setup_full_doc: ClassVar[str] = (
        "## Behaviour\n- Every `interval` seconds a new turn starts with `prompt` as its input.\n"
        "- `immediate: true` also fires once right away.\n- Returns a trigger id; "
        "`stop_task(job_id=<id>)` removes the timer."
    )

    def __init__(
        self,
        prompt: str | None = None,
        *,
        interval: float,
        immediate: bool = False,
        sleep: Sleep | None = None,
    ) -> None:
        interval = _positive_seconds(interval, "interval")
        super().__init__(prompt, interval=interval, immediate=bool(immediate))
        self.interval = interval
        """Seconds between firings."""
        self.immediate = bool(immediate)
        """Whether the first firing happens at start."""
        self.fired = 0
        """How many times it has fired."""
        self._sleep: Sleep = sleep or asyncio.sleep

    async def wait_for_trigger(self) -> TriggerEvent | None:
        if not self.is_running:
            return None
        if not (self.immediate and self.fired == 0):
            await self._sleep(self.interval)
        if not self.is_running:
            return None
        self.fired += 1
        return self._create_event(
            EventType.TIMER,
            content=self.prompt or f"Timer fired (every {self.interval:g}s).",
            context={**self._context, "interval": self.interval, "count": self.fired},
        )

    def to_resume_dict(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "options": {"interval": self.interval, "immediate": self.immediate},
        }

    @classmethod
    def from_setup_args(cls, args: dict[str, Any]) -> TimerTrigger:
        prompt = args.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise BadValueError("add_timer needs a non-empty prompt", key="prompt")
        if args.get("interval") is None:
            raise BadValueError("add_timer needs an interval in seconds", key="interval")
        return cls(prompt, interval=args["interval"], immediate=bool(args.get("immediate")))

    def describe(self) -> str:
        """One line for tool results and UIs."""
        return f"timer every {self.interval:g}s" + (" (fired at start)" if self.immediate else "")


__all__ = ["TimerTrigger"]
