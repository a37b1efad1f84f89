"""Engine events: the frozen event type, filters, bounded subscriptions."""

from __future__ import annotations

import dataclasses

import pytest

from kohakuterrarium import EngineEvent, EventFilter, EventKind
from kohakuterrarium.terrarium.events import EventSubscription


def ev(kind=EventKind.TEXT, creature="a", graph="g1", channel=None):
    return EngineEvent(kind, creature, graph, channel, {"text": "x"})


def test_engine_event_is_frozen_with_timestamp():
    e = ev()
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.kind = EventKind.ERROR  # type: ignore[misc]
    assert e.ts > 0
    assert e.kind == "text"  # str enum


def test_event_kinds_cover_the_design():
    assert {k.value for k in EventKind} == {
        "text",
        "activity",
        "channel_message",
        "topology_changed",
        "session_kind_changed",
        "session_forked",
        "creature_started",
        "creature_stopped",
        "output_wire_added",
        "output_wire_removed",
        "parent_link_changed",
        "processing_start",
        "processing_end",
        "error",
    }


def test_filter_fields_are_anded_and_none_means_any():
    assert EventFilter().matches(ev())
    f = EventFilter(kinds=["text", EventKind.ERROR], creature_ids="a")
    assert f.matches(ev())
    assert f.matches(ev(EventKind.ERROR))
    assert not f.matches(ev(creature="b"))
    assert not f.matches(ev(EventKind.ACTIVITY))
    g = EventFilter(graph_ids={"g2"})
    assert not g.matches(ev())
    c = EventFilter(channels="tasks")
    assert c.matches(ev(EventKind.CHANNEL_MESSAGE, channel="tasks"))
    assert not c.matches(ev())  # no channel never matches a channel filter


def test_filter_rejects_unknown_kind():
    with pytest.raises(ValueError):
        EventFilter(kinds="nonsense")


async def test_subscription_is_bounded_and_drops_oldest():
    sub = EventSubscription(maxsize=3)
    for i in range(5):
        sub.push(EngineEvent(EventKind.TEXT, str(i)))
    assert sub.dropped == 2
    got = [sub.get_nowait().creature_id for _ in range(3)]
    assert got == ["2", "3", "4"]
    assert await sub.get(timeout=0.01) is None


async def test_subscription_iteration_ends_on_close():
    sub = EventSubscription(EventFilter(kinds="error"))
    sub.push(ev())  # filtered out
    sub.push(ev(EventKind.ERROR))
    sub.close()
    seen = [e.kind async for e in sub]
    assert seen == [EventKind.ERROR]
