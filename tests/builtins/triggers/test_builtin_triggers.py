"""TimerTrigger, SchedulerTrigger and ChannelTrigger with injected clocks and fake channels."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from kohakuterrarium.builtins.triggers import ChannelTrigger, SchedulerTrigger, TimerTrigger
from kohakuterrarium.core.events import EventType
from kohakuterrarium.errors import BadValueError, TerrariumError


class FakeClock:
    """A clock that only moves when the trigger sleeps."""

    def __init__(self, start: datetime):
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)
        await asyncio.sleep(0)


# --------------------------------------------------------------------------- timer


async def test_timer_sleeps_the_interval_then_fires_the_prompt():
    clock = FakeClock(datetime(2024, 1, 1))
    timer = TimerTrigger("check the build", interval=30, sleep=clock.sleep)
    await timer.start()
    first = await timer.wait_for_trigger()
    second = await timer.wait_for_trigger()
    assert clock.sleeps == [30, 30]
    assert first.type == EventType.TIMER and first.prompt_override == "check the build"
    assert (first.context["count"], second.context["count"]) == (1, 2)


async def test_timer_immediate_fires_once_without_waiting():
    clock = FakeClock(datetime(2024, 1, 1))
    timer = TimerTrigger("now", interval=10, immediate=True, sleep=clock.sleep)
    await timer.start()
    await timer.wait_for_trigger()
    assert clock.sleeps == []
    await timer.wait_for_trigger()
    assert clock.sleeps == [10]


async def test_timer_stopped_returns_none():
    timer = TimerTrigger("x", interval=1)
    assert await timer.wait_for_trigger() is None  # never started
    await timer.start()
    await timer.stop()
    assert await timer.wait_for_trigger() is None


def test_timer_resume_round_trip_and_validation():
    timer = TimerTrigger("p", interval=2.5, immediate=True)
    again = TimerTrigger.from_resume_dict(timer.to_resume_dict())
    assert (again.prompt, again.interval, again.immediate) == ("p", 2.5, True)
    for bad in (0, -1, "soon"):
        with pytest.raises(BadValueError, match="interval"):
            TimerTrigger("p", interval=bad)
    with pytest.raises(BadValueError, match="prompt"):
        TimerTrigger.from_setup_args({"interval": 5})
    assert TimerTrigger.resumable and TimerTrigger.universal
    assert TimerTrigger.setup_tool_name == "add_timer"


# --------------------------------------------------------------------------- scheduler


def at(h: int, m: int, s: int = 0, day: int = 1) -> datetime:
    return datetime(2024, 3, day, h, m, s)


@pytest.mark.parametrize(
    ("options", "now", "expected"),
    [
        ({"every_minutes": 15}, at(10, 7, 30), at(10, 15)),
        ({"every_minutes": 15}, at(10, 15), at(10, 30)),
        ({"every_minutes": 7}, at(23, 58), at(0, 0, day=2)),
        ({"hourly_at": 5}, at(10, 3), at(10, 5)),
        ({"hourly_at": 5}, at(10, 5), at(11, 5)),
        ({"hourly_at": 0}, at(23, 30), at(0, 0, day=2)),
        ({"daily_at": "09:00"}, at(8, 59, 59), at(9, 0)),
        ({"daily_at": "09:00"}, at(10, 7), at(9, 0, day=2)),
        ({"daily_at": "9:30"}, at(0, 0), at(9, 30)),
    ],
)
def test_scheduler_next_fire(options, now, expected):
    assert SchedulerTrigger("p", **options).next_fire(now) == expected


async def test_scheduler_waits_on_its_clock_in_bounded_steps_and_fires():
    clock = FakeClock(at(10, 7, 30))
    trigger = SchedulerTrigger("stand-up", daily_at="10:10", clock=clock, sleep=clock.sleep)
    await trigger.start()
    event = await trigger.wait_for_trigger()
    assert clock.now == at(10, 10)
    assert max(clock.sleeps) <= 60 and sum(clock.sleeps) == pytest.approx(150)
    assert event.prompt_override == "stand-up"
    assert event.context["fired_at"] == "2024-03-01T10:10:00"
    assert event.context["schedule"] == "daily at 10:10"
    await trigger.wait_for_trigger()
    assert clock.now == at(10, 10, day=2)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "exactly one"),
        ({"every_minutes": 5, "hourly_at": 3}, "exactly one"),
        ({"every_minutes": 0}, "between 1 and 1440"),
        ({"every_minutes": 2.5}, "whole number"),
        ({"hourly_at": 60}, "between 0 and 59"),
        ({"daily_at": "25:00"}, "HH:MM"),
        ({"daily_at": "noon"}, "HH:MM"),
    ],
)
def test_scheduler_rejects_bad_schedules(options, message):
    with pytest.raises(BadValueError, match=message):
        SchedulerTrigger("p", **options)


def test_scheduler_resume_round_trip():
    for options in ({"every_minutes": 30}, {"daily_at": "07:05"}, {"hourly_at": 45}):
        trigger = SchedulerTrigger("p", **options)
        data = trigger.to_resume_dict()
        assert data == {"prompt": "p", "options": options}
        assert SchedulerTrigger.from_resume_dict(data).describe() == trigger.describe()


# --------------------------------------------------------------------------- channel


class FakeChannels:
    """An environment with broadcast channels: one queue per subscriber."""

    def __init__(self):
        self.subscribers: dict[str, list[asyncio.Queue]] = {}
        self.closed = 0

    def subscribe(self, channel: str):
        queue: asyncio.Queue = asyncio.Queue()
        self.subscribers.setdefault(channel, []).append(queue)
        env = self

        class Subscription:
            async def receive(self):
                return await queue.get()

            def close(self):
                env.closed += 1
                env.subscribers[channel].remove(queue)

        return Subscription()

    async def send(self, channel, message, *, sender, metadata=None, reply_to=None):
        msg = {
            "content": message,
            "sender": sender,
            "channel": channel,
            "message_id": f"m{sum(len(q) for q in self.subscribers.values())}",
            "metadata": metadata or {},
        }
        for queue in self.subscribers.get(channel, []):
            queue.put_nowait(msg)
        return msg["message_id"]


async def test_channel_trigger_renders_default_and_custom_prompts():
    env = FakeChannels()
    plain = ChannelTrigger(channel_name="tasks", environment=env)
    custom = ChannelTrigger(
        "New {kind} from {sender}: {content}", channel_name="tasks", environment=env
    )
    await plain.start()
    await custom.start()
    await env.send("tasks", "fix the bug", sender="alice", metadata={"kind": "task"})
    event = await plain.wait_for_trigger()
    assert event.type == EventType.CHANNEL_MESSAGE
    assert event.prompt_override == "[Channel 'tasks' from alice]: fix the bug"
    assert event.context["sender"] == "alice" and event.content == "fix the bug"
    assert (await custom.wait_for_trigger()).prompt_override == "New task from alice: fix the bug"
    await plain.stop()
    await custom.stop()
    assert env.closed == 2 and env.subscribers["tasks"] == []


async def test_channel_trigger_skips_itself_and_honours_filter_sender():
    env = FakeChannels()
    trigger = ChannelTrigger(
        channel_name="c", environment=env, ignore_sender="me", filter_sender="bob, carol"
    )
    await trigger.start()
    for sender in ("me", "alice", "carol"):
        await env.send("c", f"hi from {sender}", sender=sender)
    event = await asyncio.wait_for(trigger.wait_for_trigger(), 2)
    assert event.context["sender"] == "carol"


async def test_channel_trigger_prompt_without_content_gets_it_appended():
    env = FakeChannels()
    trigger = ChannelTrigger("Handle this: {unknown}", channel_name="c", environment=env)
    await trigger.start()
    await env.send("c", {"task": 1}, sender="x")
    event = await trigger.wait_for_trigger()
    assert event.prompt_override == 'Handle this: {unknown}\n\n{"task": 1}'


async def test_channel_trigger_needs_an_environment_and_ends_with_its_channel():
    with pytest.raises(TerrariumError, match="not connected to any channel"):
        await ChannelTrigger(channel_name="c").start()
    with pytest.raises(BadValueError):
        ChannelTrigger(channel_name=" ")

    class OneShot:
        def subscribe(self, channel):
            async def gen():
                yield {"content": "only", "sender": "s"}

            return gen()

    trigger = ChannelTrigger(channel_name="c", environment=OneShot())
    await trigger.start()
    assert (await trigger.wait_for_trigger()).content == "only"
    assert await trigger.wait_for_trigger() is None
    assert not trigger.is_running


def test_channel_trigger_resume_keeps_its_options():
    trigger = ChannelTrigger(
        "p {content}", channel_name="c", filter_sender=["a"], ignore_sender="me"
    )
    again = ChannelTrigger.from_resume_dict(trigger.to_resume_dict())
    assert (again.channel_name, again.filter_sender, again.ignore_sender) == ("c", ["a"], "me")
    assert again.environment is None  # re-bound on resume through post_setup(agent)
