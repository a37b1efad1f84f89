"""Recorders for tests: what an agent wrote, and which events it produced in which order."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from kohakuterrarium.core.result import Activity, TextChunk
from kohakuterrarium.modules.output.base import BaseOutputModule


@dataclass
class ActivityRecord:
    """One activity an output module was told about."""

    type: str
    name: str
    payload: dict[str, Any]


class OutputRecorder(BaseOutputModule):
    """An output module that records everything it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []
        self.streams: list[str] = []
        self.activities: list[ActivityRecord] = []
        self.events: list[Any] = []
        self.processing_starts = 0
        self.processing_ends = 0

    async def write(self, text: str) -> None:
        self.writes.append(text)

    async def write_stream(self, chunk: str) -> None:
        self.streams.append(chunk)

    async def on_processing_start(self) -> None:
        self.processing_starts += 1

    async def on_processing_end(self) -> None:
        self.processing_ends += 1

    def on_activity(self, activity_type: str, detail: Any = None, metadata: Any = None) -> None:
        payload = metadata if isinstance(metadata, dict) else {}
        self.activities.append(ActivityRecord(activity_type, str(detail or ""), payload))

    async def emit(self, event: Any) -> None:
        self.events.append(event)

    # -- views
    @property
    def stream_text(self) -> str:
        return "".join(self.streams)

    @property
    def all_text(self) -> str:
        return "".join(self.writes) + self.stream_text

    @property
    def has_output(self) -> bool:
        return bool(self.writes or self.streams)

    def activity_types(self) -> list[str]:
        return [a.type for a in self.activities]

    # -- resets and assertions
    def reset(self) -> None:
        self.writes.clear()
        self.streams.clear()

    def clear_all(self) -> None:
        self.reset()
        self.activities.clear()
        self.events.clear()
        self.processing_starts = self.processing_ends = 0

    def assert_text_contains(self, text: str) -> None:
        assert text in self.all_text, f"{text!r} not in output {self.all_text!r}"

    def assert_no_text(self) -> None:
        assert not self.has_output, f"expected no output, got {self.all_text!r}"

    def assert_activity_count(self, activity_type: str, count: int) -> None:
        got = self.activity_types().count(activity_type)
        assert got == count, f"expected {count} {activity_type!r} activities, got {got}"


@dataclass
class RecordedEvent:
    """One recorded event."""

    type: str
    content: Any = None
    source: str = ""
    path: tuple[str, ...] = ()
    at: float = field(default_factory=time.monotonic)


class EventRecorder:
    """Records events in order; attach it to an agent with ``recorder.attach(agent)``."""

    def __init__(self) -> None:
        self.events: list[RecordedEvent] = []

    def record(
        self, type: str, content: Any = None, source: str = "", path: tuple[str, ...] = ()
    ) -> None:
        self.events.append(RecordedEvent(type, content, source, path))

    def __call__(self, event: Any) -> None:
        """Sink interface: records TextChunk as ``text`` and Activity by its type."""
        if type(event) is TextChunk:
            self.record("text", event.text, "/".join(event.path), event.path)
        elif type(event) is Activity:
            self.record(
                event.type, {"name": event.name, **event.payload}, "/".join(event.path), event.path
            )

    def attach(self, agent: Any) -> Any:
        """Subscribe to every event of ``agent`` (sub-agents included); returns unsubscribe."""
        return agent.subscribe(self)

    @property
    def count(self) -> int:
        return len(self.events)

    def of_type(self, type: str) -> list[RecordedEvent]:
        return [e for e in self.events if e.type == type]

    def of_source(self, source: str) -> list[RecordedEvent]:
        return [e for e in self.events if e.source == source]

    def types_in_order(self) -> list[str]:
        return [e.type for e in self.events]

    def sources_in_order(self) -> list[str]:
        return [e.source for e in self.events]

    def text(self) -> str:
        return "".join(str(e.content) for e in self.events if e.type == "text")

    def assert_order(self, *types: str) -> None:
        seq = [t for t in self.types_in_order() if t in types]
        it = iter(seq)
        missing = [t for t in types if not any(x == t for x in it)]
        assert not missing, f"events {types} not in order; saw {seq}"

    def assert_before(self, first: str, second: str) -> None:
        order = self.types_in_order()
        assert first in order and second in order, f"missing {first!r} or {second!r} in {order}"
        assert order.index(first) < order.index(second), f"{first!r} not before {second!r}"


__all__ = ["ActivityRecord", "EventRecorder", "OutputRecorder", "RecordedEvent"]
