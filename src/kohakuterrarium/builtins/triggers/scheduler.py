"""``SchedulerTrigger``: wake the agent at wall-clock times (local time).

Exactly one schedule:

- ``every_minutes=N``: at every minute of the day that is a multiple of N since midnight
  (``every_minutes=15`` fires at :00, :15, :30, :45), so the schedule survives restarts;
- ``daily_at="HH:MM"``: once a day;
- ``hourly_at=M`` (0-59): once an hour, at minute M.

Installable at runtime through ``add_schedule`` and saved with the session. ``clock`` and
``sleep`` are injectable, so tests run a simulated day in milliseconds.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from kohakuterrarium.core.events import EventType, TriggerEvent
from kohakuterrarium.errors import BadValueError
from kohakuterrarium.modules.trigger.base import BaseTrigger

Clock = Callable[[], datetime]
"""Returns the current local time (``datetime.now``)."""
Sleep = Callable[[float], Awaitable[Any]]
"""An ``asyncio.sleep``-like coroutine function."""

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_RECHECK_S = 60.0
"""Longest single sleep: the clock is re-read at least this often (suspend, clock changes)."""
_DAY_MINUTES = 24 * 60


def _int_in(value: Any, key: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadValueError(f"{key} must be an integer, got {value!r}", key=key) from None
    if number != value and not (isinstance(value, str) and value.strip() == str(number)):
        raise BadValueError(f"{key} must be a whole number, got {value!r}", key=key)
    if not low <= number <= high:
        raise BadValueError(f"{key} must be between {low} and {high}, got {number}", key=key)
    return number


class SchedulerTrigger(BaseTrigger):
    """Fires at wall-clock times: every N minutes, hourly at :M, or daily at HH:MM."""

    resumable: ClassVar[bool] = True
    universal: ClassVar[bool] = True
    setup_tool_name: ClassVar[str | None] = "add_schedule"
    setup_description: ClassVar[str] = (
        "Wake yourself up on a clock schedule with `prompt`: give exactly one of "
        "every_minutes, daily_at (HH:MM) or hourly_at (minute 0-59)."
    )
    setup_param_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "prompt": {"type": "string", "description": "What you will be told each time."},
            "every_minutes": {
                "type": "integer",
                "description": "Fire every N minutes (aligned to the clock, 1-1440).",
            },
            "daily_at": {"type": "string", "description": "Fire daily at this local time, HH:MM."},
            "hourly_at": {"type": "integer", "description": "Fire hourly at this minute (0-59)."},
        },
        "required": ["prompt"],
    }
    setup_full_doc: ClassVar[str] = (
        '## Behaviour\n- Exactly one of `every_minutes`, `daily_at` ("HH:MM", local time) or '
        "`hourly_at` (minute 0-59).\n- `every_minutes` is aligned to the clock: 15 fires at "
        ":00, :15, :30 and :45.\n- Returns a trigger id; `stop_task(job_id=<id>)` removes it."
    )

    def __init__(
        self,
        prompt: str | None = None,
        *,
        every_minutes: int | None = None,
        daily_at: str | None = None,
        hourly_at: int | None = None,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        given = {
            k: v
            for k, v in (
                ("every_minutes", every_minutes),
                ("daily_at", daily_at),
                ("hourly_at", hourly_at),
            )
            if v is not None and v != ""
        }
        if len(given) != 1:
            raise BadValueError(
                "give exactly one of every_minutes, daily_at or hourly_at"
                + (f" (got {', '.join(given)})" if given else ""),
                key="schedule",
                hint="e.g. every_minutes=30, daily_at='09:00' or hourly_at=15",
            )
        self.every_minutes: int | None = None
        """Minutes between firings (clock-aligned), or None."""
        self.daily_at: tuple[int, int] | None = None
        """(hour, minute) of the daily firing, or None."""
        self.hourly_at: int | None = None
        """Minute of the hourly firing, or None."""
        if "every_minutes" in given:
            self.every_minutes = _int_in(every_minutes, "every_minutes", 1, _DAY_MINUTES)
        elif "hourly_at" in given:
            self.hourly_at = _int_in(hourly_at, "hourly_at", 0, 59)
        else:
            match = _HHMM.match(str(daily_at).strip())
            if match is None:
                raise BadValueError(
                    f"daily_at must be a 24-hour time HH:MM, got {daily_at!r}", key="daily_at"
                )
            self.daily_at = (int(match[1]), int(match[2]))
        super().__init__(prompt, **self._schedule_options())
        self._clock: Clock = clock or datetime.now
        self._sleep: Sleep = sleep or asyncio.sleep
        self.last_fired: datetime | None = None
        """When it last fired (by its clock)."""

    def _schedule_options(self) -> dict[str, Any]:
        if self.every_minutes is not None:
            return {"every_minutes": self.every_minutes}
        if self.hourly_at is not None:
            return {"hourly_at": self.hourly_at}
        assert self.daily_at is not None
        return {"daily_at": f"{self.daily_at[0]:02d}:{self.daily_at[1]:02d}"}

    def next_fire(self, now: datetime) -> datetime:
        """The first firing time strictly after ``now``."""
        base = now.replace(second=0, microsecond=0)
        if self.every_minutes is not None:
            midnight = base.replace(hour=0, minute=0)
            elapsed = base.hour * 60 + base.minute
            step = self.every_minutes
            candidate = midnight + timedelta(minutes=(elapsed // step + 1) * step)
            if candidate.date() != midnight.date():  # the grid restarts at midnight
                candidate = midnight + timedelta(days=1)
            return candidate
        if self.hourly_at is not None:
            candidate = base.replace(minute=self.hourly_at)
            return candidate if candidate > now else candidate + timedelta(hours=1)
        assert self.daily_at is not None
        candidate = base.replace(hour=self.daily_at[0], minute=self.daily_at[1])
        return candidate if candidate > now else candidate + timedelta(days=1)

    async def wait_for_trigger(self) -> TriggerEvent | None:
        if not self.is_running:
            return None
        target = self.next_fire(self._clock())
        while self.is_running:
            delay = (target - self._clock()).total_seconds()
            if delay <= 0:
                break
            await self._sleep(min(delay, _RECHECK_S))
        if not self.is_running:
            return None
        self.last_fired = target
        return self._create_event(
            EventType.TIMER,
            content=self.prompt or f"Scheduled time reached ({self.describe()}).",
            context={**self._context, "schedule": self.describe(), "fired_at": target.isoformat()},
        )

    def describe(self) -> str:
        """One line for tool results and UIs."""
        if self.every_minutes is not None:
            return f"every {self.every_minutes} min"
        if self.hourly_at is not None:
            return f"hourly at :{self.hourly_at:02d}"
        assert self.daily_at is not None
        return f"daily at {self.daily_at[0]:02d}:{self.daily_at[1]:02d}"

    def to_resume_dict(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "options": self._schedule_options()}

    @classmethod
    def from_setup_args(cls, args: dict[str, Any]) -> SchedulerTrigger:
        prompt = args.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise BadValueError("add_schedule needs a non-empty prompt", key="prompt")
        return cls(
            prompt,
            every_minutes=args.get("every_minutes"),
            daily_at=args.get("daily_at"),
            hourly_at=args.get("hourly_at"),
        )


__all__ = ["SchedulerTrigger"]
