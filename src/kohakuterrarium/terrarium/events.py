"""Engine events: what a :class:`~kohakuterrarium.terrarium.engine.Terrarium` reports.

Every creature's text and activity, every channel message, every topology change and every
lifecycle step is published as a small frozen :class:`EngineEvent`. Observers pick what they want
with an :class:`EventFilter`:

>>> f = EventFilter(kinds={EventKind.CHANNEL_MESSAGE}, channels={"tasks"})
>>> f.matches(EngineEvent(EventKind.CHANNEL_MESSAGE, "alice", "g1", "tasks", {}))
True
>>> f.matches(EngineEvent(EventKind.TEXT, "alice", "g1", None, {"text": "hi"}))
False
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal


class EventKind(StrEnum):
    """The kinds of :class:`EngineEvent` (string values, so ``kind == "text"`` works)."""

    TEXT = "text"
    ACTIVITY = "activity"
    CHANNEL_MESSAGE = "channel_message"
    TOPOLOGY_CHANGED = "topology_changed"
    SESSION_KIND_CHANGED = "session_kind_changed"
    SESSION_FORKED = "session_forked"
    CREATURE_STARTED = "creature_started"
    CREATURE_STOPPED = "creature_stopped"
    OUTPUT_WIRE_ADDED = "output_wire_added"
    OUTPUT_WIRE_REMOVED = "output_wire_removed"
    PARENT_LINK_CHANGED = "parent_link_changed"
    PROCESSING_START = "processing_start"
    PROCESSING_END = "processing_end"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class EngineEvent:
    """One thing that happened in the engine."""

    kind: EventKind
    """What happened."""
    creature_id: str | None = None
    """The creature concerned (None for graph-level events)."""
    graph_id: str | None = None
    """The graph it happened in."""
    channel: str | None = None
    """The channel concerned (channel messages, wiring changes)."""
    payload: dict[str, Any] = field(default_factory=dict)
    """Details; the keys depend on ``kind`` (text: ``text``; error: ``error``, ``where``...)."""
    ts: float = field(default_factory=time.time)
    """When it happened (epoch seconds)."""


def _as_set(values: Iterable[Any] | str | None) -> frozenset[Any] | None:
    if values is None:
        return None
    if isinstance(values, str):
        return frozenset((values,))
    return frozenset(values)


@dataclass(frozen=True, slots=True, init=False)
class EventFilter:
    """Which events an observer wants. Fields are ANDed; ``None`` means any.

    Each field accepts a single value or any iterable of values.
    """

    kinds: frozenset[str] | None
    """Event kinds to keep (EventKind members or their string values)."""
    creature_ids: frozenset[str] | None
    """Creatures to keep."""
    graph_ids: frozenset[str] | None
    """Graphs to keep."""
    channels: frozenset[str] | None
    """Channels to keep (events without a channel never match a channel filter)."""

    def __init__(
        self,
        kinds: Iterable[str] | str | None = None,
        creature_ids: Iterable[str] | str | None = None,
        graph_ids: Iterable[str] | str | None = None,
        channels: Iterable[str] | str | None = None,
    ) -> None:
        kind_set = _as_set(kinds)
        if kind_set is not None:
            kind_set = frozenset(EventKind(k) for k in kind_set)
        object.__setattr__(self, "kinds", kind_set)
        object.__setattr__(self, "creature_ids", _as_set(creature_ids))
        object.__setattr__(self, "graph_ids", _as_set(graph_ids))
        object.__setattr__(self, "channels", _as_set(channels))

    def matches(self, event: EngineEvent) -> bool:
        """Whether ``event`` passes every field of the filter (O(1))."""
        return (
            (self.kinds is None or event.kind in self.kinds)
            and (self.creature_ids is None or event.creature_id in self.creature_ids)
            and (self.graph_ids is None or event.graph_id in self.graph_ids)
            and (self.channels is None or event.channel in self.channels)
        )


@dataclass(frozen=True, slots=True)
class ConnectionResult:
    """What :meth:`Terrarium.connect` did."""

    channel: str
    """The channel that now carries sender -> receiver traffic."""
    trigger_id: str
    """Id of the receiver's listen edge on that channel."""
    delta_kind: Literal["nothing", "merge"]
    """``merge`` when two graphs were joined into one."""


@dataclass(frozen=True, slots=True)
class DisconnectionResult:
    """What :meth:`Terrarium.disconnect` did."""

    channels: tuple[str, ...]
    """The channels whose edges were removed."""
    delta_kind: Literal["nothing", "split"]
    """``split`` when the graph fell apart into two."""


DEFAULT_EVENT_QUEUE = 1000
"""Events buffered per engine subscriber before the oldest are dropped."""


class EventSubscription:
    """One observer of an engine: a bounded buffer of matching events, read by ``async for``.

    The buffer holds at most ``maxsize`` events; when a slow observer falls behind, the
    **oldest** event is dropped and ``dropped`` counts it (the engine never waits on an
    observer). Iteration ends when the subscription is closed or the engine shuts down.
    """

    __slots__ = ("_buf", "_on_close", "_ready", "closed", "dropped", "filter", "maxsize")

    def __init__(
        self,
        filter: EventFilter | None = None,
        *,
        maxsize: int = DEFAULT_EVENT_QUEUE,
        on_close: Callable[[EventSubscription], None] | None = None,
    ) -> None:
        self.filter = filter
        """Only events this filter matches are kept (None: all)."""
        self.maxsize = max(1, maxsize)
        self.dropped = 0
        """Events lost because the buffer was full."""
        self.closed = False
        self._buf: deque[EngineEvent] = deque()
        self._ready: asyncio.Event | None = None
        self._on_close = on_close

    def push(self, event: EngineEvent) -> None:
        """Buffer ``event`` if it matches (called by the engine; never blocks)."""
        if self.closed or (self.filter is not None and not self.filter.matches(event)):
            return
        if len(self._buf) >= self.maxsize:
            self._buf.popleft()
            self.dropped += 1
        self._buf.append(event)
        if self._ready is not None:
            self._ready.set()

    def get_nowait(self) -> EngineEvent | None:
        return self._buf.popleft() if self._buf else None

    async def get(self, timeout: float | None = None) -> EngineEvent | None:
        """The next event; None on timeout or once closed and drained."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not self._buf:
            if self.closed:
                return None
            if self._ready is None:
                self._ready = asyncio.Event()
            self._ready.clear()
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return None
            try:
                await asyncio.wait_for(self._ready.wait(), remaining)
            except TimeoutError:
                return None
        return self._buf.popleft()

    def close(self) -> None:
        """Stop receiving; a pending ``get`` returns None once the buffer is drained."""
        if self.closed:
            return
        self.closed = True
        if self._ready is not None:
            self._ready.set()
        if self._on_close is not None:
            self._on_close(self)

    def __aiter__(self) -> AsyncIterator[EngineEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[EngineEvent]:
        try:
            while True:
                event = await self.get()
                if event is None:
                    return
                yield event
        finally:
            self.close()

    async def __aenter__(self) -> EventSubscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "DEFAULT_EVENT_QUEUE",
    "ConnectionResult",
    "DisconnectionResult",
    "EngineEvent",
    "EventFilter",
    "EventKind",
    "EventSubscription",
]
