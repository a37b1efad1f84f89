"""The controller loop, driven end to end through Agent with the scripted LLM."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from kohakuterrarium import tool
from kohakuterrarium.core.agent import Agent
from kohakuterrarium.core.config_types import AgentConfig
from kohakuterrarium.core.result import Activity, TextChunk, TurnEnded
from kohakuterrarium.core.subagent import SubAgentSpec
from kohakuterrarium.errors import (
    AgentStateError,
    BadValueError,
    ProviderError,
    TurnInterrupted,
    TurnTimeout,
)
from kohakuterrarium.modules.tool.base import BaseTool, ExecutionMode, ToolResult
from kohakuterrarium.testing import ScriptedLLM, ScriptEntry, TestAgentBuilder


@tool
def count_words(text: str) -> str:
    """Count the words in a text."""
    return str(len(text.split()))


def native_call(name: str, **args) -> ScriptEntry:
    return ScriptEntry(tool_calls=[{"name": name, "arguments": args}])


def make_agent(script, *, tools=(), fmt="native", **config) -> Agent:
    cfg = AgentConfig(name="t", system_prompt="You test.", tool_format=fmt, **config)
    return Agent(cfg, llm=ScriptedLLM(script), tools=tools)


def no_dangling(agent: Agent) -> bool:
    """Every native tool call in the conversation has a result message."""
    msgs = agent.conversation.messages
    answered = {m.get("tool_call_id") for m in msgs if m.get("role") == "tool"}
    calls = [
        c["id"] for m in msgs if m.get("role") == "assistant" for c in m.get("tool_calls") or []
    ]
    return all(c in answered for c in calls)


async def test_plain_turn_returns_text_usage_and_index():
    async with make_agent(["Hello there."]) as agent:
        result = await agent.run("hi")
        assert result.ok and result.status == "ok"
        assert result.text == "Hello there."
        assert result.usage.total_tokens > 0
        assert result.turn_index == 1
        second = await agent.run("again")
        assert second.turn_index == 2
        assert (
            agent.total_usage.total_tokens == result.usage.total_tokens + second.usage.total_tokens
        )


async def test_native_tool_call_result_is_fed_back():
    llm = ScriptedLLM([native_call("count_words", text="a b c"), "There are 3 words."])
    async with Agent(
        AgentConfig(name="t", tool_format="native"), llm=llm, tools=[count_words]
    ) as agent:
        result = await agent.run("count")
    assert result.text == "There are 3 words."
    assert [(c.name, c.status, c.result) for c in result.tool_calls] == [("count_words", "ok", "3")]
    second_call = llm.call_log[1]
    tool_msgs = [m for m in second_call if m["role"] == "tool"]
    assert tool_msgs and tool_msgs[0]["content"] == "3"
    assistant = next(m for m in second_call if m["role"] == "assistant")
    assert assistant["tool_calls"][0]["function"]["name"] == "count_words"
    assert tool_msgs[0]["tool_call_id"] == assistant["tool_calls"][0]["id"]
    assert llm.last_tools and llm.last_tools[0].name == "count_words"


async def test_bracket_tool_call_in_text_runs_and_feeds_back():
    script = ["Let me count.\n[/count_words]@@text=one two[count_words/]", "Two words."]
    llm = ScriptedLLM(script)
    async with Agent(
        AgentConfig(name="t", tool_format="bracket"), llm=llm, tools=[count_words]
    ) as agent:
        result = await agent.run("count")
    assert result.text == "Two words."
    assert result.tool_calls[0].args == {"text": "one two"}
    batch = llm.call_log[1][-1]
    assert batch["role"] == "user"
    assert batch["content"].startswith("[Tool batch completed]")
    assert "- OK\n2" in batch["content"]
    # The model sees the call it wrote in its own assistant message.
    assert "[/count_words]" in llm.call_log[1][-2]["content"]


async def test_xml_tool_call_format():
    script = ['<count_words text="x y z"/>', "done"]
    async with make_agent(script, tools=[count_words], fmt="xml") as agent:
        result = await agent.run("count")
    assert result.tool_calls[0].result == "3"


async def test_run_stream_yields_typed_events_and_turn_ended():
    llm = ScriptedLLM([ScriptEntry("streamed reply text", chunk_size=4)])
    async with Agent(AgentConfig(name="s"), llm=llm) as agent:
        events = [e async for e in agent.run_stream("go")]
    chunks = [e for e in events if isinstance(e, TextChunk)]
    assert len(chunks) == 5
    assert "".join(c.text for c in chunks) == "streamed reply text"
    assert all(c.path == ("s",) and c.kind == "text" for c in chunks)
    assert isinstance(events[-1], TurnEnded) and events[-1].result.text == "streamed reply text"
    assert any(isinstance(e, Activity) and e.type == "token_usage" for e in events)


async def test_parallel_tool_calls_run_concurrently():
    @tool
    async def slow(n: int) -> str:
        """Sleep a little."""
        await asyncio.sleep(0.3)
        return f"slept {n}"

    entry = ScriptEntry(tool_calls=[{"name": "slow", "arguments": {"n": i}} for i in range(3)])
    async with make_agent([entry, "ok"], tools=[slow]) as agent:
        t0 = time.perf_counter()
        result = await agent.run("go")
        elapsed = time.perf_counter() - t0
    assert [c.result for c in result.tool_calls] == ["slept 0", "slept 1", "slept 2"]
    assert elapsed < 0.8


async def test_tool_starts_while_the_model_is_still_streaming():
    started: list[float] = []

    @tool
    async def mark() -> str:
        """Record when the tool started."""
        started.append(time.perf_counter())
        return "marked"

    text = "[/mark][mark/]" + " and some more text" * 3
    entry = ScriptEntry(text, chunk_size=8, delay_per_chunk=0.05)
    async with make_agent([entry, "done"], tools=[mark], fmt="bracket") as agent:
        t0 = time.perf_counter()
        stream_end = None
        async for ev in agent.run_stream("go"):
            if isinstance(ev, Activity) and ev.type == "token_usage" and stream_end is None:
                stream_end = time.perf_counter()
    assert started and stream_end is not None
    assert started[0] - t0 < 0.2 < stream_end - t0


async def test_turn_timeout_cancels_the_llm_stream_and_keeps_agent_usable():
    slow = ScriptEntry("x" * 50, chunk_size=1, delay_per_chunk=0.05)
    async with make_agent([slow, "fast answer"]) as agent:
        t0 = time.perf_counter()
        result = await agent.run("slow please", timeout=0.2)
        assert time.perf_counter() - t0 < 1.0
        assert result.status == "timeout" and isinstance(result.error, TurnTimeout)
        # What streamed before the timeout is kept.
        assert result.text.startswith("xx")
        assert agent.conversation.messages[-1]["role"] == "assistant"
        nxt = await agent.run("again")
        assert nxt.ok and nxt.text == "fast answer"


async def test_turn_timeout_cancels_running_tool_and_closes_the_call():
    cancelled = asyncio.Event()

    @tool
    async def hang() -> str:
        """Never finish."""
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "unreachable"

    async with make_agent([native_call("hang"), "after"], tools=[hang]) as agent:
        result = await agent.run("go", timeout=0.3)
        assert result.status == "timeout"
        assert cancelled.is_set()
        assert result.tool_calls[0].status == "timeout"
        assert no_dangling(agent)
        tool_msg = agent.conversation.messages[-1]
        assert tool_msg["role"] == "tool" and "timed out" in tool_msg["content"]
        assert (await agent.run("next")).text == "after"


async def test_timeout_kills_subprocess_of_a_tool(tmp_path):
    from kohakuterrarium.utils.process import run_process

    pidfile = tmp_path / "pid"

    @tool
    async def shell(command: str) -> str:
        """Run a shell command."""
        res = await run_process(command, cwd=tmp_path)
        return res.stdout

    cmd = f"echo $$ > {pidfile}; exec sleep 30"
    async with make_agent([native_call("shell", command=cmd), "x"], tools=[shell]) as agent:
        result = await agent.run("go", timeout=0.5)
    assert result.status == "timeout"
    pid = int(pidfile.read_text())
    await asyncio.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_interrupt_from_another_thread():
    slow = ScriptEntry("y" * 100, chunk_size=1, delay_per_chunk=0.02)
    async with make_agent([slow, "fine"]) as agent:
        timer = threading.Timer(0.15, agent.interrupt)
        timer.start()
        result = await agent.run("go")
        timer.join()
        assert result.status == "interrupted" and isinstance(result.error, TurnInterrupted)
        assert any(a.type == "interrupt" for a in result.activities)
        assert (await agent.run("go on")).text == "fine"


async def test_background_job_completion_continues_the_turn():
    class Slow(BaseTool):
        tool_name = "slow_bg"
        description = "A background job."

        @property
        def execution_mode(self):
            return ExecutionMode.BACKGROUND

        async def _execute(self, args, **kw):
            await asyncio.sleep(0.1)
            return ToolResult(output="bg result")

    llm = ScriptedLLM([native_call("slow_bg"), "started it", "got: bg result"])
    async with Agent(AgentConfig(name="t", tool_format="native"), llm=llm, tools=[Slow()]) as agent:
        result = await agent.run("go")
    assert result.text == "got: bg result"
    assert llm.call_count == 3
    # The placeholder answered the call at once; the completion arrived as a user message.
    placeholder = next(m for m in llm.call_log[1] if m["role"] == "tool")
    assert "background" in placeholder["content"]
    completion = llm.call_log[2][-1]
    assert completion["role"] == "user" and "completed]\nbg result" in completion["content"]


async def test_unknown_tool_becomes_an_error_result_the_model_can_read():
    llm = ScriptedLLM([native_call("count_wrds", text="a"), "sorry"])
    async with Agent(
        AgentConfig(name="t", tool_format="native"), llm=llm, tools=[count_words]
    ) as agent:
        result = await agent.run("go")
    assert result.ok
    assert result.tool_calls[0].status == "error"
    fed = next(m for m in llm.call_log[1] if m["role"] == "tool")["content"]
    assert "unknown tool 'count_wrds'" in fed and "count_words" in fed


async def test_tool_raising_and_returning_non_string():
    @tool
    def boom() -> str:
        """Always fails."""
        raise RuntimeError("kaboom")

    @tool
    def data() -> dict:
        """Returns a dict."""
        return {"a": 1}

    entry = ScriptEntry(
        tool_calls=[{"name": "boom", "arguments": {}}, {"name": "data", "arguments": {}}]
    )
    async with make_agent([entry, "ok"], tools=[boom, data]) as agent:
        result = await agent.run("go")
    by_name = {c.name: c for c in result.tool_calls}
    assert by_name["boom"].status == "error" and "kaboom" in by_name["boom"].result
    assert by_name["data"].status == "ok" and by_name["data"].result == '{"a": 1}'


async def test_malformed_text_call_is_reported_to_the_model():
    @tool
    def repeat(text: str, times: int) -> str:
        """Repeat text."""
        return text * times

    script = ["[/repeat]@@text=ab\n@@times=many[repeat/]", "fixed"]
    llm = ScriptedLLM(script)
    async with make_agent(script, tools=[repeat], fmt="bracket") as agent:
        agent.llm = llm
        result = await agent.run("go")
    assert result.ok and result.tool_calls[0].status == "error"
    assert "times" in llm.call_log[1][-1]["content"]


async def test_per_tool_timeout():
    @tool(timeout=0.1)
    async def sleepy() -> str:
        """Sleeps too long."""
        await asyncio.sleep(2)
        return "late"

    async with make_agent([native_call("sleepy"), "moved on"], tools=[sleepy]) as agent:
        t0 = time.perf_counter()
        result = await agent.run("go")
    assert time.perf_counter() - t0 < 1.0
    assert result.ok and result.text == "moved on"
    assert result.tool_calls[0].status == "timeout"


async def test_timeout_of_zero_is_a_typed_error():
    async with make_agent(["x"]) as agent:
        with pytest.raises(BadValueError):
            await agent.run("go", timeout=0)


async def test_stream_error_half_way_keeps_partial_text_and_agent_usable():
    script = [ScriptEntry("half an answ", error="connection reset"), "whole answer"]
    async with make_agent(script) as agent:
        result = await agent.run("go")
        assert result.status == "error" and isinstance(result.error, ProviderError)
        assert result.text == "half an answ"
        assert agent.conversation.messages[-1] == {"role": "assistant", "content": "half an answ"}
        assert (await agent.run("retry")).text == "whole answer"


async def test_programming_errors_raise():
    agent = make_agent(["x"])
    with pytest.raises(AgentStateError):
        await agent.run("not started")
    await agent.start()
    await agent.stop()
    with pytest.raises(AgentStateError):
        await agent.run("stopped")
    with pytest.raises(AgentStateError):
        await agent.start()


async def test_subagent_events_are_forwarded_with_their_path():
    spec = SubAgentSpec("helper", description="Helps.", tools=["count_words"])
    llm = ScriptedLLM(
        [
            native_call("helper", task="count a b", run_in_background=False),
            native_call("count_words", text="a b"),
            "helper says 2",
            "parent: the helper found 2",
        ]
    )
    agent = Agent(
        AgentConfig(name="boss", tool_format="native"),
        llm=llm,
        tools=[count_words],
        subagents=[spec],
    )
    async with agent:
        events = [e async for e in agent.run_stream("delegate")]
    result = events[-1].result
    assert result.text == "parent: the helper found 2"
    sub_text = [e for e in events if isinstance(e, TextChunk) and e.path == ("boss", "helper")]
    assert "".join(e.text for e in sub_text) == "helper says 2"
    sub_tools = [
        e
        for e in events
        if isinstance(e, Activity) and e.path == ("boss", "helper") and e.type == "tool_done"
    ]
    assert sub_tools and sub_tools[0].name == "count_words"
    assert (
        result.tool_calls[-1].name == "helper" and result.tool_calls[-1].result == "helper says 2"
    )


async def test_interrupt_cancels_a_running_subagent():
    spec = SubAgentSpec("slowpoke", description="Slow.")
    slow = ScriptEntry("z" * 200, chunk_size=1, delay_per_chunk=0.01)
    llm = ScriptedLLM([native_call("slowpoke", task="t", run_in_background=False), slow, "later"])
    agent = Agent(AgentConfig(name="p", tool_format="native"), llm=llm, subagents=[spec])
    async with agent:
        asyncio.get_running_loop().call_later(0.2, agent.interrupt)
        result = await agent.run("go")
        assert result.status == "interrupted"
        assert result.tool_calls[0].status == "interrupted"
        assert no_dangling(agent)


async def test_test_agent_builder_drives_full_loop_with_output_recorder():
    env = (
        TestAgentBuilder()
        .with_llm_script([native_call("count_words", text="q w e r"), "4"])
        .with_tool(count_words)
        .with_tool_format("native")
        .build()
    )
    async with env:
        assert await env.chat("count") == "4"
    env.output.assert_text_contains("4")
    assert env.output.processing_starts == env.output.processing_ends == 1
    env.events.assert_order("tool_start", "tool_done", "text")


async def test_caller_cancelling_run_cancels_the_turn_and_keeps_history_valid():
    started = asyncio.Event()

    @tool
    async def wait_forever() -> str:
        """Blocks."""
        started.set()
        await asyncio.sleep(30)
        return "never"

    async with make_agent([native_call("wait_forever"), "next"], tools=[wait_forever]) as agent:
        task = asyncio.create_task(agent.run("go"))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert no_dangling(agent)
        assert "cancelled" in agent.conversation.messages[-1]["content"]
        assert not agent.jobs.running
        assert (await agent.run("again")).text == "next"


async def test_breaking_out_of_run_stream_cancels_the_turn():
    slow = ScriptEntry("w" * 100, chunk_size=1, delay_per_chunk=0.01)
    async with make_agent([slow, "done"]) as agent:
        seen = 0
        async for event in agent.run_stream("go"):
            if isinstance(event, TextChunk):
                seen += 1
                if seen == 3:
                    break
        result = await agent.run("again")
        assert result.ok and result.text == "done"


async def test_stop_during_a_turn_returns_cancelled_result():
    slow = ScriptEntry("v" * 100, chunk_size=1, delay_per_chunk=0.02)
    agent = make_agent([slow])
    await agent.start()
    task = asyncio.create_task(agent.run("go"))
    await asyncio.sleep(0.1)
    await agent.stop()
    result = await task
    assert result.status == "cancelled"
    assert not agent.is_running


async def test_trigger_events_wake_the_agent():
    from kohakuterrarium.core.events import TriggerEvent
    from kohakuterrarium.modules.trigger.base import BaseTrigger

    class Once(BaseTrigger):
        fired = False

        async def wait_for_trigger(self):
            if self.fired:
                await asyncio.sleep(3600)
            self.fired = True
            return TriggerEvent("timer", "tick")

    llm = ScriptedLLM(["tock"])
    agent = Agent(AgentConfig(name="t"), llm=llm)
    seen = []
    agent.subscribe(seen.append)
    async with agent:
        await agent.add_trigger(Once())
        for _ in range(100):
            if llm.call_count:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
    assert llm.call_count == 1
    assert llm.call_log[0][-1] == {"role": "user", "content": "[timer] tick"}
    assert any(isinstance(e, TextChunk) and e.text == "tock" for e in seen)
