"""add_timer, add_schedule and watch_channel install real triggers; stop_task removes them."""

from __future__ import annotations

import asyncio
import re
import time

from kohakuterrarium.builtins.tools.stop_task import trigger_ids
from kohakuterrarium.builtins.tools.trigger_setup import (
    AddScheduleTool,
    AddTimerTool,
    WatchChannelTool,
)
from kohakuterrarium.builtins.triggers import SchedulerTrigger, TimerTrigger
from kohakuterrarium.core.agent import Agent
from kohakuterrarium.core.config_types import AgentConfig, ToolEntry
from kohakuterrarium.llm.message import content_text
from kohakuterrarium.modules.tool.base import ToolContext
from kohakuterrarium.modules.tool.catalog import create_builtin_tool
from kohakuterrarium.testing import ScriptedLLM, ScriptEntry


class RoutedLLM(ScriptedLLM):
    """Picks the first entry whose ``match`` fits the latest message, every time (no order)."""

    def _select(self, messages):
        last = messages[-1] if messages else {}
        text = content_text(last.get("content"))
        for i, entry in enumerate(self.script):
            m = entry.match
            if m is None or (m(messages) if callable(m) else m in text):
                return i
        return len(self.script) - 1


def call(tool: str, /, *, match, **args) -> ScriptEntry:
    return ScriptEntry(tool_calls=[{"name": tool, "arguments": args}], match=match)


def after(tool_name: str):
    """Match when the latest message is the result of a call to ``tool_name``."""

    def check(messages):
        last = messages[-1] if messages else {}
        if last.get("role") != "tool":
            return False
        calls = [
            c for m in messages if m.get("role") == "assistant" for c in m.get("tool_calls") or []
        ]
        names = {c["id"]: c["function"]["name"] for c in calls}
        return names.get(last.get("tool_call_id")) == tool_name

    return check


def agent_with(tools, script, **kw) -> Agent:
    config = AgentConfig(name="t", tool_format="native", tools=[ToolEntry(n) for n in tools])
    return Agent(config, llm=RoutedLLM(script), **kw)


async def until(predicate, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def timer_turns(llm: ScriptedLLM) -> int:
    return sum(1 for c in llm.calls if content_text(c.messages[-1].get("content")) == "tick tock")


async def test_add_timer_fires_into_the_agent_and_stop_task_removes_it():
    stop = ScriptEntry(match="please stop")
    script = [
        call("add_timer", interval=0.05, prompt="tick tock", match="start a timer"),
        ScriptEntry("timer set", match=after("add_timer")),
        stop,
        ScriptEntry("stopped", match=after("stop_task")),
        ScriptEntry("tock", match="tick tock"),
    ]
    agent = agent_with(["add_timer", "stop_task"], script)
    llm = agent.llm
    async with agent:
        result = await agent.run("start a timer", timeout=10)
        assert result.ok and result.text == "timer set"
        output = result.tool_calls[0].result
        trigger_id = re.search(r"trigger '(timer_[0-9a-f]{8})'", output)[1]
        assert trigger_ids(agent) == [trigger_id]
        await until(lambda: timer_turns(llm) >= 3)

        stop.tool_calls = [{"name": "stop_task", "arguments": {"job_id": trigger_id}}]
        result = await agent.run("please stop", timeout=10)
        assert result.ok and result.text == "stopped"
        assert result.tool_calls[0].result == f"Removed trigger {trigger_id}."
        assert trigger_ids(agent) == []
        await asyncio.sleep(0.1)  # let any event fired just before the removal be processed
        settled = timer_turns(llm)
        await asyncio.sleep(0.3)
        assert timer_turns(llm) == settled, "the timer kept firing after stop_task"


async def test_add_timer_rejects_bad_arguments():
    script = [
        call("add_timer", interval=0, prompt="x", match="zero"),
        call("add_timer", interval=5, prompt="x", every="day", match="extra"),
        ScriptEntry("ok"),
    ]
    agent = agent_with(["add_timer"], script)
    async with agent:
        zero = await agent.run("zero")
        extra = await agent.run("extra")
        assert trigger_ids(agent) == []
    assert "interval must be positive" in zero.tool_calls[0].result
    assert "does not take every" in extra.tool_calls[0].result


async def test_add_schedule_installs_a_scheduler_trigger():
    script = [
        call("add_schedule", prompt="daily report", daily_at="09:30", match="schedule it"),
        call("add_schedule", prompt="both", hourly_at=5, every_minutes=10, match="twice"),
        ScriptEntry("ok"),
    ]
    agent = agent_with(["add_schedule", "stop_task"], script)
    async with agent:
        ok = await agent.run("schedule it")
        bad = await agent.run("twice")
        (tid,) = trigger_ids(agent)
        trigger = agent.triggers.triggers[tid][0]
        assert isinstance(trigger, SchedulerTrigger) and trigger.describe() == "daily at 09:30"
        assert tid.startswith("schedule_") and tid in ok.tool_calls[0].result
    assert "exactly one of every_minutes, daily_at or hourly_at" in bad.tool_calls[0].result


class Channels:
    """Broadcast channels with a queue per subscriber."""

    def __init__(self):
        self.queues: dict[str, list[asyncio.Queue]] = {}

    def subscribe(self, channel):
        q: asyncio.Queue = asyncio.Queue()
        self.queues.setdefault(channel, []).append(q)
        return type(
            "Sub", (), {"receive": q.get, "close": lambda s: self.queues[channel].remove(q)}
        )()

    async def send(self, channel, message, *, sender, metadata=None, reply_to=None):
        for q in self.queues.get(channel, []):
            q.put_nowait({"content": message, "sender": sender, "metadata": metadata or {}})
        return None


async def test_watch_channel_wakes_the_agent_but_not_for_its_own_messages():
    env = Channels()
    script = [
        call("watch_channel", channel_name="tasks", match="watch tasks"),
        ScriptEntry("watching", match=after("watch_channel")),
        ScriptEntry("on it", match="[Channel 'tasks' from alice]"),
        ScriptEntry("?"),
    ]
    agent = agent_with(["watch_channel"], script, environment=env)
    llm = agent.llm
    async with agent:
        result = await agent.run("watch tasks")
        assert result.text == "watching" and result.tool_calls[0].status == "ok"
        calls_before = llm.call_count
        await env.send("tasks", "my own note", sender="t")
        await env.send("tasks", "write the docs", sender="alice")
        await until(lambda: llm.call_count > calls_before)
        await asyncio.sleep(0.1)
    prompts = [content_text(c.messages[-1].get("content")) for c in llm.calls[calls_before:]]
    assert prompts == ["[Channel 'tasks' from alice]: write the docs"]


async def test_watch_channel_without_environment_is_an_error():
    agent = agent_with(
        ["watch_channel"], [call("watch_channel", channel_name="x", match=None), "k"]
    )
    async with agent:
        result = await agent.run("go")
        assert trigger_ids(agent) == []
    assert "not connected to any channel" in result.tool_calls[0].result


async def test_setup_tools_need_an_agent_and_are_registered():
    for name, cls, trigger in (
        ("add_timer", AddTimerTool, TimerTrigger),
        ("add_schedule", AddScheduleTool, SchedulerTrigger),
        ("watch_channel", WatchChannelTool, None),
    ):
        tool = create_builtin_tool(name)
        assert isinstance(tool, cls) and tool.tool_name == name
        if trigger is not None:
            assert tool.get_parameters_schema() == trigger.setup_param_schema
        result = await tool.execute({}, ToolContext())
        assert "needs a running agent" in result.error
    timer_schema = AddTimerTool().get_parameters_schema()
    assert timer_schema["required"] == ["interval", "prompt"]
    assert set(timer_schema["properties"]) == {"interval", "prompt", "immediate"}
