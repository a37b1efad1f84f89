"""Non-blocking context compaction."""

from __future__ import annotations

import asyncio
import time

import pytest

from kohakuterrarium import Agent, tool
from kohakuterrarium.core.config_types import AgentConfig
from kohakuterrarium.errors import UnknownKeyError
from kohakuterrarium.modules.plugin.base import BasePlugin
from kohakuterrarium.testing import ScriptedLLM, ScriptEntry

BIG = {"prompt_tokens": 900, "completion_tokens": 5}


def make(script, *, summary="SUMMARY", summary_delay=0.0, plugins=(), tools=(), **compact):
    llm = ScriptedLLM(script, max_context=1000)
    cfg = AgentConfig(
        name="c",
        tool_format="native",
        compact={"threshold": 0.5, "keep_recent_turns": 1, "cooldown_seconds": 0, **compact},
    )
    agent = Agent(cfg, llm=llm, plugins=plugins, tools=tools)
    agent.compactor._llm = ScriptedLLM([ScriptEntry(summary, delay_before=summary_delay)])
    return agent, llm


async def wait_for_summary(agent):
    if agent.compactor._task is not None:
        await agent.compactor._task


async def test_summary_replaces_old_turns_and_keeps_the_live_zone():
    agent, llm = make([ScriptEntry(f"reply {i}", usage=BIG) for i in range(1, 4)])
    async with agent:
        await agent.run("turn one")
        assert not agent.compactor.running  # one turn: nothing to cut yet
        await agent.run("turn two")
        await wait_for_summary(agent)
        await agent.run("turn three")
    third = llm.call_log[2]
    assert [m["role"] for m in third] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    assert third[1]["content"].endswith("SUMMARY")
    assert [m["content"] for m in third[3:]] == ["turn two", "reply 2", "turn three"]
    assert agent.compactor.count == 1
    summariser_input = agent.compactor._llm.call_log[0][1]["content"]
    assert "turn one" in summariser_input and "reply 1" in summariser_input


async def test_agent_keeps_working_while_the_summary_is_built():
    agent, llm = make([ScriptEntry(f"r{i}", usage=BIG) for i in range(4)], summary_delay=0.5)
    async with agent:
        await agent.run("one")
        await agent.run("two")
        assert agent.compactor.running
        t0 = time.perf_counter()
        result = await agent.run("three")
        assert time.perf_counter() - t0 < 0.3 and result.text == "r2"
        await wait_for_summary(agent)
        await agent.run("four")
    assert llm.call_log[3][1]["content"].endswith("SUMMARY")


async def test_cut_never_separates_a_tool_call_from_its_result():
    @tool
    def ping() -> str:
        """Ping."""
        return "pong"

    call = ScriptEntry(tool_calls=[{"name": "ping", "arguments": {}}], usage=BIG)
    script = [
        call,
        ScriptEntry("after ping", usage=BIG),
        call,
        ScriptEntry("again", usage=BIG),
        "x",
    ]
    agent, llm = make(script, tools=[ping])
    async with agent:
        await agent.run("first")
        await agent.run("second")
        await wait_for_summary(agent)
        await agent.run("third")
    last = llm.call_log[-1]
    ids = {c["id"] for m in last if m["role"] == "assistant" for c in m.get("tool_calls") or []}
    answered = {m["tool_call_id"] for m in last if m["role"] == "tool"}
    assert ids == answered and ids


async def test_plugin_can_veto_and_sees_the_end_hook():
    class Gate(BasePlugin):
        name = "gate"

        def __init__(self):
            super().__init__()
            self.allow = False
            self.ended = []

        async def on_compact_start(self, context_length):
            return self.allow

        async def on_compact_end(self, summary, messages_removed):
            self.ended.append((summary, messages_removed))

    gate = Gate()
    agent, _llm = make([ScriptEntry(f"r{i}", usage=BIG) for i in range(5)], plugins=[gate])
    async with agent:
        await agent.run("one")
        await agent.run("two")
        await wait_for_summary(agent)
        await agent.run("three")
        assert agent.compactor.count == 0
        gate.allow = True
        await agent.run("four")
        await wait_for_summary(agent)
        await agent.run("five")
        await asyncio.sleep(0)
    assert agent.compactor.count == 1
    assert gate.ended and gate.ended[0][0] == "SUMMARY"


async def test_manual_compaction_and_disabled_auto():
    agent, llm = make([ScriptEntry(f"r{i}", usage=BIG) for i in range(3)], enabled=False)
    async with agent:
        await agent.run("one")
        await agent.run("two")
        assert not agent.compactor.running
        assert await agent.compactor.compact_now()
        await agent.run("three")
    assert llm.call_log[2][1]["content"].endswith("SUMMARY")


def test_unknown_compact_key_is_an_error():
    with pytest.raises(UnknownKeyError) as err:
        Agent(AgentConfig(name="x", compact={"treshold": 0.5}), llm="scripted")
    assert "threshold" in str(err.value)
