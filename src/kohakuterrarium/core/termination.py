"""When an agent should stop running on its own: turn, token, time and idle limits, stop
keywords, and votes from plugins.

>>> checker = TerminationChecker(TerminationConfig(max_turns=3))
>>> checker.start()
>>> for _ in range(3):
...     checker.record_turn()
>>> checker.should_terminate()
True
>>> checker.reason
'max_turns reached (3)'

A plugin votes through ``contribute_termination_check()``: a callable that receives a
:class:`TerminationContext` and returns a :class:`TerminationDecision` (or None to abstain).
"""

from __future__ import annotations

import inspect
import time
from collections import deque
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from kohakuterrarium.errors import BadValueError, UnknownKeyError, did_you_mean
from kohakuterrarium.utils.logging import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable

logger = get_logger(__name__)

RECENT_RESULTS = 20
"""How many recent tool results a TerminationContext carries."""


@dataclass(frozen=True)
class TerminationDecision:
    """A vote on whether to stop."""

    should_stop: bool
    """True stops the agent."""
    reason: str = ""
    """Why, shown to the user and logged."""


@dataclass
class TerminationContext:
    """What a termination check can look at."""

    turn_count: int = 0
    """Turns completed since start."""
    elapsed: float = 0.0
    """Seconds since start."""
    idle_time: float = 0.0
    """Seconds since the last turn or recorded activity."""
    last_output: str = ""
    """Text of the last turn."""
    scratchpad: Any = None
    """The agent's scratchpad, when attached."""
    recent_tool_results: list[Any] = field(default_factory=list)
    """The last few tool results, oldest first."""
    total_tokens: int = 0
    """Tokens recorded since start."""


@dataclass
class TerminationConfig:
    """Built-in limits; zero (or empty) turns a limit off."""

    max_turns: int = 0
    """Stop after this many turns."""
    max_tokens: int = 0
    """Stop once this many tokens were used."""
    max_duration: float = 0
    """Stop after this many seconds."""
    idle_timeout: float = 0
    """Stop after this many seconds without a turn."""
    keywords: list[str] = field(default_factory=list)
    """Stop when the last output contains any of these."""

    @classmethod
    def from_dict(
        cls, data: dict[str, Any] | None, *, file: str | None = None
    ) -> TerminationConfig:
        """Build from a creature config's ``termination:`` block, rejecting unknown keys."""
        data = dict(data or {})
        known = [f.name for f in fields(cls)]
        for key in data:
            if key not in known:
                raise UnknownKeyError(
                    f"unknown termination key '{key}'",
                    file=file,
                    key=f"termination.{key}",
                    hint=did_you_mean(key, known) or f"known keys: {', '.join(known)}",
                )
        keywords = data.get("keywords", [])
        if isinstance(keywords, str):
            keywords = [keywords]
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            raise BadValueError(
                "termination.keywords must be a list of strings", file=file, key="termination"
            )
        data["keywords"] = keywords
        for key in ("max_turns", "max_tokens", "max_duration", "idle_timeout"):
            value = data.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise BadValueError(
                    f"termination.{key} must be a number >= 0 (0 = off), got {value!r}",
                    file=file,
                    key=f"termination.{key}",
                )
        return cls(**data)


class TerminationChecker:
    """Decides, after each turn, whether the agent should stop."""

    def __init__(
        self,
        config: TerminationConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config if config is not None else TerminationConfig()
        self._clock = clock
        self._plugins: Any = None
        self._scratchpad: Any = None
        self._started_at = clock()
        self._last_activity = self._started_at
        self.turn_count = 0
        self.total_tokens = 0
        self.recent_tool_results: deque[Any] = deque(maxlen=RECENT_RESULTS)
        self.reason = ""

    # -- wiring
    def attach_plugins(self, plugins: Any) -> None:
        """Consult ``plugins.collect_termination_checkers()`` on every check."""
        self._plugins = plugins

    def attach_scratchpad(self, scratchpad: Any) -> None:
        """Hand ``scratchpad`` to plugin checks through the context."""
        self._scratchpad = scratchpad

    # -- recording
    def start(self) -> None:
        """Reset counters and clocks."""
        self._started_at = self._last_activity = self._clock()
        self.turn_count = 0
        self.total_tokens = 0
        self.recent_tool_results.clear()
        self.reason = ""

    def record_turn(self, tokens: int = 0) -> None:
        """Count one finished turn and the tokens it used."""
        self.turn_count += 1
        self.total_tokens += int(tokens or 0)
        self._last_activity = self._clock()

    def record_activity(self) -> None:
        """Reset the idle clock without counting a turn."""
        self._last_activity = self._clock()

    def record_tool_result(self, result: Any) -> None:
        """Remember a tool result for plugin checks (only the last few are kept)."""
        self.recent_tool_results.append(result)

    @property
    def is_active(self) -> bool:
        """Whether any built-in limit is set or plugins may vote."""
        cfg = self.config
        limits = (cfg.max_turns, cfg.max_tokens, cfg.max_duration, cfg.idle_timeout, cfg.keywords)
        return any(limits) or self._plugins is not None

    @property
    def elapsed(self) -> float:
        return self._clock() - self._started_at

    @property
    def idle_time(self) -> float:
        return self._clock() - self._last_activity

    def context(self, last_output: str = "") -> TerminationContext:
        """The TerminationContext plugin checks see now."""
        return TerminationContext(
            turn_count=self.turn_count,
            elapsed=self.elapsed,
            idle_time=self.idle_time,
            last_output=last_output,
            scratchpad=self._scratchpad,
            recent_tool_results=list(self.recent_tool_results),
            total_tokens=self.total_tokens,
        )

    # -- deciding
    def should_terminate(self, last_output: str = "") -> bool:
        """True when a limit is reached or a plugin votes to stop; the why is in ``reason``."""
        reason = self._builtin_reason(last_output) or self._plugin_reason(last_output)
        if reason:
            self.reason = reason
            return True
        return False

    def _builtin_reason(self, last_output: str) -> str:
        cfg = self.config
        if cfg.max_turns and self.turn_count >= cfg.max_turns:
            return f"max_turns reached ({cfg.max_turns})"
        if cfg.max_tokens and self.total_tokens >= cfg.max_tokens:
            return f"max_tokens reached ({self.total_tokens} >= {cfg.max_tokens})"
        if cfg.max_duration and self.elapsed >= cfg.max_duration:
            return f"max_duration reached ({cfg.max_duration:g}s)"
        if cfg.idle_timeout and self.idle_time >= cfg.idle_timeout:
            return f"idle_timeout reached ({cfg.idle_timeout:g}s)"
        if last_output:
            for word in cfg.keywords:
                if word and word in last_output:
                    return f"keyword found: {word!r}"
        return ""

    def _plugin_reason(self, last_output: str) -> str:
        if self._plugins is None:
            return ""
        try:
            checkers = list(self._plugins.collect_termination_checkers())
        except Exception as exc:
            logger.exception("collecting plugin termination checks failed", error=exc)
            return ""
        if not checkers:
            return ""
        ctx = self.context(last_output)
        for check in checkers:
            try:
                decision = check(ctx)
            except Exception as exc:
                logger.exception("plugin termination check failed; ignored", error=exc)
                continue
            if inspect.iscoroutine(decision):
                decision.close()
                logger.warning("termination checks must be synchronous; result ignored")
                continue
            if isinstance(decision, TerminationDecision) and decision.should_stop:
                return decision.reason or "stopped by plugin"
        return ""


__all__ = [
    "TerminationChecker",
    "TerminationConfig",
    "TerminationContext",
    "TerminationDecision",
]
